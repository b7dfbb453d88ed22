/**
 * The local runtime's in-process JobQueue, with SQS's contract: at-least-once delivery, per-message
 * delays honoured with timers, a failed handling (thrown, or answered 'retry') re-delivered after an
 * exponential backoff, and a message that fails `maxAttempts` times moved to a dead-letter list.
 * At most `concurrency` handlers run at once. Timers are unref'd: the queue never keeps a process
 * alive by itself.
 *
 * A handler may also answer `{ waitMs }`: the message is not failing, its offboarding is busy in a
 * live run (another message's). It is delivered again after `waitMs` without using up an attempt,
 * or as soon as a handling of another message for the same offboarding ends, whichever comes
 * first: an expected wait never ends in the dead-letter list.
 */
import type { DeadLetterQueue, JobQueue } from '../../lambdas/core/ports.ts';

export interface MemoryJobMessage {
  /** Unique per enqueue (as SQS's MessageId). */
  messageId?: string;
  offboardingId: string;
  /** 1 for the first delivery, 2 for the first redelivery after a failure... (waits do not count) */
  attempt: number;
  enqueuedAt: Date;
}

/** A handler's answer: the message waits for its offboarding's live run, and is no failure. */
export interface MemoryJobWait {
  waitMs: number;
}

/**
 * Resolve (with anything but 'retry' or a wait) when handled; throw or resolve 'retry' to have it
 * redelivered after a backoff; resolve `{ waitMs }` to have it delivered again once the run that
 * holds its offboarding ends.
 */
export type MemoryJobHandler = (message: MemoryJobMessage) => Promise<unknown>;

/** Shortest and longest wait a handler may ask for (SQS's longest delay). */
const MIN_WAIT_MS = 50;
const MAX_WAIT_MS = 900_000;

const isWait = (v: unknown): v is MemoryJobWait =>
  typeof v === 'object' && v !== null && typeof (v as MemoryJobWait).waitMs === 'number';

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
  /** Waiting messages by offboarding id, with the timer that delivers each. */
  private readonly waiting = new Map<string, Map<NodeJS.Timeout, MemoryJobMessage>>();
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
    this.waiting.clear();
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
    let answer: unknown;
    try {
      answer = await this.onMessage(message);
      failed = answer === 'retry';
    } catch (e) {
      failed = true;
      error = e;
    }
    if (isWait(answer)) {
      this.wait(message, answer.waitMs);
      return;
    }
    // Whatever ended, the messages waiting for this offboarding's run need not wait any longer.
    this.wake(message.offboardingId);
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

  private wait(message: MemoryJobMessage, waitMs: number): void {
    if (this.closed) return;
    const delay = Math.min(
      MAX_WAIT_MS,
      Math.max(MIN_WAIT_MS, Number.isFinite(waitMs) ? waitMs : MIN_WAIT_MS),
    );
    const byTimer = this.waiting.get(message.offboardingId) ?? new Map<NodeJS.Timeout, MemoryJobMessage>();
    this.waiting.set(message.offboardingId, byTimer);
    const timer = setTimeout(() => this.release(message.offboardingId, timer), delay);
    timer.unref();
    this.timers.add(timer);
    byTimer.set(timer, message);
  }

  /** Delivers one waiting message now. */
  private release(offboardingId: string, timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
    const byTimer = this.waiting.get(offboardingId);
    const message = byTimer?.get(timer);
    byTimer?.delete(timer);
    if (byTimer?.size === 0) this.waiting.delete(offboardingId);
    if (!message || this.closed) return;
    this.ready.push(message);
    this.pump();
  }

  /** Delivers every message waiting for `offboardingId` now. */
  private wake(offboardingId: string): void {
    for (const timer of [...(this.waiting.get(offboardingId)?.keys() ?? [])])
      this.release(offboardingId, timer);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
