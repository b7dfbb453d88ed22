/**
 * Feeds the in-process queue's messages to the worker handler in SQS-shaped batches: messages that
 * arrive within `windowMs` (up to `batchSize`) go to one handler call, as an SQS event source with a
 * batching window would deliver them, so the worker lists each tenant once for the whole batch.
 * Each message learns its own verdict from the handler's `batchItemFailures`; one the worker left
 * for later because a live run holds its offboarding (`busyFor`) waits for that run instead of
 * counting as a failed attempt.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MemoryJobMessage, MemoryJobWait } from './adapters/memory-job-queue.ts';

export interface BatchingWorkerOptions {
  batchSize: number;
  /** How long the first message of a batch waits for others. */
  windowMs?: number;
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  /**
   * Asked about a message the worker answered 'retry': how long (ms) a live run still holds its
   * offboarding, or undefined when none does (then the retry is a real failure).
   */
  busyFor?: (offboardingId: string) => Promise<number | undefined>;
}

export type PumpVerdict = 'done' | 'retry' | MemoryJobWait;

interface Waiting {
  message: MemoryJobMessage;
  messageId: string;
  resolve: (verdict: 'done' | 'retry') => void;
  reject: (e: unknown) => void;
}

let counter = 0;

/** An SQS record as the event source mapping delivers it to the worker. */
export function sqsRecord(m: {
  messageId: string;
  body: string;
  receiptHandle?: string;
  receiveCount?: number | string;
  sentAt?: number | string;
  region?: string;
}): SQSRecord {
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle ?? m.messageId,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount ?? 1),
      SentTimestamp: String(m.sentAt ?? Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${m.region ?? 'local'}:000000000000:leaver-jobs`,
    awsRegion: m.region ?? 'local',
  };
}

const toRecord = (w: Waiting): SQSRecord =>
  sqsRecord({
    messageId: w.messageId,
    body: JSON.stringify({ offboardingId: w.message.offboardingId }),
    receiveCount: w.message.attempt,
    sentAt: w.message.enqueuedAt.getTime(),
  });

/** A `MemoryJobQueue` `onMessage` handler that batches messages into worker invocations. */
export function createBatchingWorker(
  opts: BatchingWorkerOptions,
): (message: MemoryJobMessage) => Promise<PumpVerdict> {
  const windowMs = opts.windowMs ?? 25;
  const waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = waiting.splice(0, opts.batchSize);
    if (waiting.length > 0) timer = setTimeout(flush, windowMs);
    if (batch.length === 0) return;
    opts
      .invoke({ Records: batch.map(toRecord) })
      .then((response) => {
        const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const w of batch) w.resolve(failed.has(w.messageId) ? 'retry' : 'done');
      })
      .catch((e: unknown) => {
        for (const w of batch) w.reject(e);
      });
  };

  const handled = (message: MemoryJobMessage) =>
    new Promise<'done' | 'retry'>((resolve, reject) => {
      counter += 1;
      waiting.push({ message, messageId: `local-${counter}-${message.attempt}`, resolve, reject });
      if (waiting.length >= opts.batchSize) flush();
      else timer ??= setTimeout(flush, windowMs);
    });

  return async (message) => {
    const verdict = await handled(message);
    if (verdict !== 'retry' || !opts.busyFor) return verdict;
    const busyMs = await opts.busyFor(message.offboardingId).catch(() => undefined);
    return busyMs === undefined ? 'retry' : { waitMs: busyMs };
  };
}
