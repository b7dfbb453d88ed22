/**
 * JobQueue on SQS: one message per offboarding, body `{"offboardingId":"..."}`. SQS delivers at
 * least once; the worker is idempotent per offboarding, so duplicates are harmless.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { LeaverError } from '../core/errors.ts';
import type { JobQueue } from '../core/ports.ts';
import { toLeaverAwsError } from './aws-errors.ts';

export interface SqsJobQueueOptions {
  /** The client, or a factory called on the first enqueue (the worker never enqueues). */
  client: SQSClient | (() => Promise<SQSClient>);
  queueUrl: string;
}

/** SQS's per-message delay limit. */
export const MAX_DELAY_SECONDS = 900;

export interface JobMessage {
  offboardingId: string;
}

/** Parses a job message body; throws invalid_request for anything else. */
export function parseJobMessage(body: string): JobMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new LeaverError('invalid_request', 'Queue message is not JSON');
  }
  const id = (parsed as { offboardingId?: unknown } | null)?.offboardingId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    throw new LeaverError('invalid_request', 'Queue message has no offboardingId');
  }
  return { offboardingId: id };
}

export class SqsJobQueue implements JobQueue {
  private readonly clientSource: SqsJobQueueOptions['client'];
  private client?: Promise<SQSClient>;
  private readonly queueUrl: string;

  constructor(opts: SqsJobQueueOptions) {
    if (!opts.queueUrl) throw new LeaverError('config_invalid', 'SqsJobQueue needs a queueUrl');
    this.clientSource = opts.client;
    this.queueUrl = opts.queueUrl;
  }

  private sqs(): Promise<SQSClient> {
    const c = this.clientSource;
    this.client ??= typeof c === 'function' ? c() : Promise.resolve(c);
    return this.client;
  }

  /** `delaySeconds` is clamped to 0..900 (SQS's limit); longer waits belong to the schedules. */
  async enqueue(offboardingId: string, opts: { delaySeconds?: number } = {}): Promise<void> {
    if (!offboardingId) throw new LeaverError('invalid_request', 'Nothing to enqueue: no offboarding id');
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.floor(opts.delaySeconds ?? 0)));
    const body: JobMessage = { offboardingId };
    try {
      const [{ SendMessageCommand }, client] = await Promise.all([import('@aws-sdk/client-sqs'), this.sqs()]);
      await client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: JSON.stringify(body),
          ...(delay > 0 ? { DelaySeconds: delay } : {}),
        }),
      );
    } catch (e) {
      throw toLeaverAwsError(e, 'Enqueueing the offboarding', 'storage_unavailable');
    }
  }
}
