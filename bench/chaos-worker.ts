/**
 * One worker process for the chaos run: plays the SQS event source mapping for the worker Lambda
 * handler (receive up to CHAOS_BATCH messages, default 10, with a visibility timeout, invoke the handler with the batch,
 * delete the messages it did not report as failed; failed ones reappear when their visibility
 * timeout ends). Dependencies come from the environment exactly as in Lambda (createAwsDeps on
 * moto_server). Prints `CHAOS {"event":"batch-start"|"batch-end",...}` lines so the parent can kill it
 * mid-batch.
 *
 * CHAOS_CLOCK_OFFSET_MS (short CI form only) moves this process's clock forward: a replacement for
 * a killed worker then starts after the dead worker's lease (its deadline + 60 s) instead of waiting
 * it out in real time. Only one worker runs at a time in that form, so no live lease is taken over.
 *
 * CHAOS_HOLD=1 (with CHAOS_OFFSET_FILE): start, then wait for SIGUSR2 before receiving; the clock
 * offset is read from the file then (the parent knows it only after its kills).
 *
 * CHAOS_STALL_AFTER_DELETE=1: the first removal the vendor answers with a 2xx is held back (its
 * answer never reaches the connector) and the process prints `CHAOS {"event":"delete-landed"}`; the
 * parent kills it then. The grant is removed at the vendor but its `action_finished` never written,
 * so the next run must repeat the delete, and the vendor answers 404 (`already_absent`).
 */
import './support/env.ts';

// CHAOS_HOLD=1: started early so its start-up cost overlaps the run, this worker waits for SIGUSR2
// before it receives anything, and only then reads its clock offset from CHAOS_OFFSET_FILE. The
// handler comes first: a signal before it exists would end the process.
// A signal handler alone does not keep Node running (a pending top-level await exits with 13): a
// timer does, until the signal.
const held =
  process.env.CHAOS_HOLD === '1'
    ? new Promise<void>((go) => {
        const alive = setInterval(() => {}, 60_000);
        process.once('SIGUSR2', () => {
          clearInterval(alive);
          go();
        });
      })
    : undefined;

function shiftClock(offset: number): void {
  if (offset === 0) return;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + offset);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return realNow() + offset;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
if (!held) shiftClock(Number(process.env.CHAOS_CLOCK_OFFSET_MS ?? 0));

if (process.env.CHAOS_STALL_AFTER_DELETE === '1') {
  const realFetch = globalThis.fetch.bind(globalThis);
  let stalled = false;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const res = await realFetch(input, init);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = input instanceof Request ? input.url : String(input);
    const removal =
      method === 'DELETE' || method === 'PATCH' || (method === 'POST' && url.includes(':removeUser'));
    if (!stalled && removal && res.status >= 200 && res.status < 300) {
      stalled = true;
      process.stdout.write(`CHAOS ${JSON.stringify({ event: 'delete-landed', method, url })}\n`);
      return new Promise<Response>(() => {}); // held until the parent kills this process
    }
    return res;
  }) as typeof fetch;
}

const { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } = await import('@aws-sdk/client-sqs');
const { handler } = await import('../lambdas/handlers/worker.ts');
const { localContext } = await import('../lambdas/handlers/middleware.ts');
const { awsClientConfig } = await import('../lambdas/handlers/wiring.ts');

const say = (event: Record<string, unknown>) => process.stdout.write(`CHAOS ${JSON.stringify(event)}\n`);
const sqs = new SQSClient({ ...awsClientConfig(), maxAttempts: 5 });
const queueUrl = process.env.QUEUE_URL!;
const visibility = Number(process.env.CHAOS_VISIBILITY_S ?? 5);
const budgetMs = Number(process.env.CHAOS_BUDGET_MS ?? 15_000);
/** Messages per receive (SQS allows 1-10): smaller batches spread one group's leavers over more workers. */
const batchSize = Math.min(10, Math.max(1, Number(process.env.CHAOS_BATCH ?? 10)));
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

if (held) {
  await held;
  const { readFileSync } = await import('node:fs');
  shiftClock(Number(readFileSync(process.env.CHAOS_OFFSET_FILE!, 'utf8')));
}

let batchNo = 0;
while (!stopping) {
  const r = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: batchSize,
      WaitTimeSeconds: 1,
      VisibilityTimeout: visibility,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  const messages = r.Messages ?? [];
  if (messages.length === 0) continue;
  batchNo++;
  const offboardingIds = messages.map((m) => {
    try {
      return String((JSON.parse(m.Body ?? '{}') as { offboardingId?: unknown }).offboardingId);
    } catch {
      return '';
    }
  });
  say({ event: 'batch-start', batch: batchNo, messages: messages.length, ids: offboardingIds });
  const now = String(Date.now());
  const res = await handler(
    {
      Records: messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: now,
          SenderId: 'chaos',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:chaos',
        awsRegion: 'us-east-1',
      })),
    },
    localContext('leaver-worker', budgetMs),
  );
  const failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  const done = messages.filter((m) => !failed.has(m.MessageId!));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  say({ event: 'batch-end', batch: batchNo, done: done.length, retry: failed.size });
}
process.exit(0);
