/**
 * The work queue's dead-letter queue on SQS, for an operator: peek and redrive.
 *
 * peek: ReceiveMessage with a short visibility timeout (the only way SQS shows a message), then
 *   ChangeMessageVisibility 0, so every message peeked is visible again at once and stays in the
 *   DLQ (its receive count goes up by one: harmless, the DLQ has no redrive policy of its own).
 * redrive: receive, SendMessageBatch the same bodies to the work queue, then DeleteMessageBatch
 *   exactly the ones the work queue accepted; the others are made visible again and counted as
 *   failed. A crash between send and delete leaves a duplicate, never a loss (the worker is
 *   idempotent per offboarding). Receives wait one second (long polling): a short poll of SQS
 *   samples only some of its servers and can answer empty while messages wait.
 */
import type { Message, SendMessageBatchCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import { LeaverError } from '../core/errors.ts';
import type { DeadLetter, DeadLetterQueue } from '../core/ports.ts';
import { toLeaverAwsError } from './aws-errors.ts';
import { parseJobMessage } from './sqs-job-queue.ts';

export interface SqsDeadLetterQueueOptions {
  /** The client, or a factory called on first use. */
  client: SQSClient | (() => Promise<SQSClient>);
  /** The dead-letter queue. */
  queueUrl: string;
  /** The work queue a redrive sends messages back to. */
  targetQueueUrl: string;
  /** Seconds a peeked or in-flight message is hidden before it is released again. */
  visibilitySeconds?: number;
  /** Long-poll wait of each receive (seconds). */
  waitSeconds?: number;
}

const BATCH = 10;

function offboardingIdOf(body: string | undefined): string | undefined {
  try {
    return parseJobMessage(body ?? '').offboardingId;
  } catch {
    return undefined;
  }
}

function deadLetterOf(m: Message): DeadLetter {
  const count = Number(m.Attributes?.ApproximateReceiveCount);
  const sent = Number(m.Attributes?.SentTimestamp);
  const offboardingId = offboardingIdOf(m.Body);
  return {
    messageId: m.MessageId ?? '',
    ...(offboardingId ? { offboardingId } : {}),
    ...(Number.isFinite(count) && count > 0 ? { receiveCount: count } : {}),
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
  };
}

export class SqsDeadLetterQueue implements DeadLetterQueue {
  private readonly clientSource: SqsDeadLetterQueueOptions['client'];
  private client?: Promise<SQSClient>;
  private readonly queueUrl: string;
  private readonly targetQueueUrl: string;
  private readonly visibilitySeconds: number;
  private readonly waitSeconds: number;

  constructor(opts: SqsDeadLetterQueueOptions) {
    if (!opts.queueUrl || !opts.targetQueueUrl) {
      throw new LeaverError('config_invalid', 'SqsDeadLetterQueue needs queueUrl and targetQueueUrl');
    }
    this.clientSource = opts.client;
    this.queueUrl = opts.queueUrl;
    this.targetQueueUrl = opts.targetQueueUrl;
    this.visibilitySeconds = opts.visibilitySeconds ?? 30;
    this.waitSeconds = opts.waitSeconds ?? 1;
  }

  private sqs(): Promise<SQSClient> {
    const c = this.clientSource;
    this.client ??= typeof c === 'function' ? c() : Promise.resolve(c);
    return this.client;
  }

  private async receive(max: number): Promise<Message[]> {
    const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const out = await (await this.sqs()).send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(BATCH, max),
        VisibilityTimeout: this.visibilitySeconds,
        WaitTimeSeconds: this.waitSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    return out.Messages ?? [];
  }

  /** Makes received messages visible again at once (they stay in the DLQ). */
  private async release(messages: Message[]): Promise<void> {
    const { ChangeMessageVisibilityBatchCommand } = await import('@aws-sdk/client-sqs');
    const client = await this.sqs();
    for (let i = 0; i < messages.length; i += BATCH) {
      const chunk = messages.slice(i, i + BATCH);
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  async peek(limit: number): Promise<{ items: DeadLetter[]; more: boolean }> {
    const seen = new Map<string, Message>();
    let full = false;
    try {
      while (seen.size < limit) {
        const batch = await this.receive(limit - seen.size);
        const fresh = batch.filter((m) => m.MessageId && !seen.has(m.MessageId));
        for (const m of fresh) seen.set(m.MessageId!, m);
        if (fresh.length === 0) break;
      }
      full = seen.size >= limit;
    } catch (e) {
      throw toLeaverAwsError(e, 'Reading the dead-letter queue', 'storage_unavailable');
    } finally {
      await this.release([...seen.values()]).catch(() => {
        // They become visible again by themselves after the visibility timeout.
      });
    }
    return { items: [...seen.values()].map(deadLetterOf), more: full };
  }

  async redrive(
    limit: number,
    opts: { until?: number } = {},
  ): Promise<{ moved: number; failed: number; offboardingIds: string[] }> {
    const { DeleteMessageBatchCommand, SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    let moved = 0;
    let failed = 0;
    const offboardingIds: string[] = [];
    try {
      const client = await this.sqs();
      while (moved + failed < limit && (opts.until === undefined || Date.now() < opts.until)) {
        const batch = await this.receive(limit - moved - failed);
        if (batch.length === 0) break;
        let sent: SendMessageBatchCommandOutput;
        try {
          sent = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.targetQueueUrl,
              Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })),
            }),
          );
        } catch (e) {
          // Nothing of this batch moved: it is visible in the DLQ again at once.
          await this.release(batch).catch(() => {});
          throw e;
        }
        const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
        const accepted = batch.filter((_, i) => ok.has(i));
        const refused = batch.filter((_, i) => !ok.has(i));
        if (accepted.length > 0) {
          await client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: accepted.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
        for (const m of accepted) {
          const id = offboardingIdOf(m.Body);
          if (id) offboardingIds.push(id);
        }
        moved += accepted.length;
        failed += refused.length;
        if (refused.length > 0) {
          await this.release(refused);
          break; // the work queue refuses: trying the rest now would fail the same way
        }
      }
    } catch (e) {
      throw toLeaverAwsError(e, 'Redriving the dead-letter queue', 'storage_unavailable');
    }
    return { moved, failed, offboardingIds };
  }
}
