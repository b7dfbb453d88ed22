/**
 * The local runtime's in-process JobQueue, with SQS's contract: at-least-once delivery, per-message
 * delays honoured with timers, a failed handling (thrown, or answered 'retry') re-delivered after an
 * exponential backoff, and a message that fails `maxAttempts` times moved to a dead-letter list.
 * At most `concurrency` handlers run at once. Timers are unref'd: the queue never keeps a process
 * alive by itself.
 */
import type { DeadLetterQueue, JobQueue } from '../core/ports.ts';

export interface MemoryJobMessage {
  /** Unique per enqueue (as SQS's MessageId). */
  messageId?: string;
  offboardingId: string;
  /** 1 for the first delivery, 2 for the first redelivery... */
  attempt: number;
  enqueuedAt: Date;
}

/** Resolve (with anything but 'retry') when handled; throw or resolve 'retry' to have it redelivered. */
export type MemoryJobHandler = (message: MemoryJobMessage) => Promise<unknown>;

export interface MemoryJobQueueOptions {
  onMessage: MemoryJobHandler;
  concurrency?: number;
  /** Deliveries of one message before it goes to the dead-letter list. */
  maxAttempts?: number;
  /** Redelivery backoff: base * 2^(attempt-1), capped at maxDelayMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Told when a message is dead-lettered (the local runtime logs it). */
  onDeadLetter?: (message: MemoryJobMessage, error?: unknown) => void;
  /** Told about every failed handling (thrown error or 'retry'). */
  onError?: (message: MemoryJobMessage, error?: unknown) => void;
}

export class MemoryJobQueue implements JobQueue {
  private readonly onMessage: MemoryJobHandler;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly onDeadLetter?: MemoryJobQueueOptions['onDeadLetter'];
  private readonly onError?: MemoryJobQueueOptions['onError'];

  private readonly ready: MemoryJobMessage[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly dead: MemoryJobMessage[] = [];
  private running = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private delivered = 0;
  private enqueued = 0;

  constructor(opts: MemoryJobQueueOptions) {
    this.onMessage = opts.onMessage;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.retryBaseMs = opts.retryBaseMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 60_000;
    this.onDeadLetter = opts.onDeadLetter;
    this.onError = opts.onError;
  }

  async enqueue(offboardingId: string, opts: { delaySeconds?: number } = {}): Promise<void> {
    if (this.closed) throw new Error('MemoryJobQueue is closed');
    if (!offboardingId) throw new Error('Nothing to enqueue: no offboarding id');
    const delayMs = Math.min(900, Math.max(0, opts.delaySeconds ?? 0)) * 1000;
    this.enqueued++;
    this.schedule(
      { messageId: `local-${this.enqueued}`, offboardingId, attempt: 1, enqueuedAt: new Date() },
      delayMs,
    );
  }

  /** Messages waiting, in flight or delayed. */
  get pending(): number {
    return this.ready.length + this.running + this.timers.size;
  }

  /** Handlings started so far (deliveries and redeliveries). */
  get deliveries(): number {
    return this.delivered;
  }

  deadLetters(): readonly MemoryJobMessage[] {
    return [...this.dead];
  }

  /**
   * The dead-letter list as the management API sees a DLQ: peek leaves messages in it; redrive
   * puts them back on this queue as fresh messages (first delivery again), oldest first.
   */
  readonly deadLetterQueue: DeadLetterQueue = {
    peek: async (limit) => ({
      items: this.dead.slice(0, limit).map((m) => ({
        messageId: m.messageId ?? '',
        offboardingId: m.offboardingId,
        receiveCount: m.attempt,
        sentAt: m.enqueuedAt.toISOString(),
      })),
      more: this.dead.length > limit,
    }),
    redrive: async (limit) => {
      if (this.closed) return { moved: 0, failed: Math.min(limit, this.dead.length), offboardingIds: [] };
      const moving = this.dead.splice(0, limit);
      for (const m of moving) this.schedule({ ...m, attempt: 1, enqueuedAt: new Date() }, 0);
      return { moved: moving.length, failed: 0, offboardingIds: moving.map((m) => m.offboardingId) };
    },
  };

  /** Resolves when nothing is waiting, delayed or running (tests). */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking messages, drops the delayed ones, and waits for running handlers to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.notifyIdle();
  }

  private schedule(message: MemoryJobMessage, delayMs: number): void {
    if (this.closed) return;
    if (delayMs <= 0) {
      this.ready.push(message);
      queueMicrotask(() => this.pump());
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push(message);
      this.pump();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.ready.length > 0) {
      const message = this.ready.shift()!;
      this.running++;
      this.delivered++;
      void this.handle(message).finally(() => {
        this.running--;
        this.pump();
        if (this.pending === 0 || (this.closed && this.running === 0)) this.notifyIdle();
      });
    }
    if (this.pending === 0) this.notifyIdle();
  }

  private async handle(message: MemoryJobMessage): Promise<void> {
    let error: unknown;
    let failed = false;
    try {
      failed = (await this.onMessage(message)) === 'retry';
    } catch (e) {
      failed = true;
      error = e;
    }
    if (!failed) return;
    this.onError?.(message, error);
    if (message.attempt >= this.maxAttempts) {
      this.dead.push(message);
      this.onDeadLetter?.(message, error);
      return;
    }
    const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (message.attempt - 1));
    this.schedule({ ...message, attempt: message.attempt + 1 }, backoff);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
