/**
 * Benchmark 1: signed Standard Webhooks through the intake Lambda handler (the middy-wrapped
 * `handler` of lambdas/handlers/intake.ts, API Gateway v2 events) in this one process, against
 * dynalite (in its own process, as DynamoDB is a remote service) and the in-process MemoryJobQueue.
 * Each webhook: signature check, parse, conditional create, audit append, enqueue.
 *
 * With `storage: 'memory'` the store and audit log are in-memory fakes (test/support/memory-ports.ts),
 * which isolates the handler's own cost from dynalite's.
 *
 * Two runs: `concurrency` requests in flight (one process serving many, as the local runtime does)
 * for throughput; and one at a time (a Lambda instance's view) for latency without queueing.
 */

import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { setDeps } from '../lambdas/handlers/wiring.ts';
import { MemoryJobQueue } from '../local/adapters/memory-job-queue.ts';
import { MemoryAuditLog, MemoryStore } from '../test/support/memory-ports.ts';
import { buildEngine } from './support/engine.ts';
import { BENCH_WEBHOOK_SECRET, percentile, STANDARD_SOURCE, terminationEvent } from './support/webhooks.ts';

export interface IntakeRun {
  concurrency: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  accepted: number;
  enqueued: number;
}

export async function measureIntake(opts: {
  dynamoEndpoint: string;
  requests: number;
  concurrency: number;
  warmup?: number;
  /** `memory`: the same handler with the store and audit log in memory (Leaver's own cost only). */
  storage?: 'dynalite' | 'memory';
}): Promise<{ concurrent: IntakeRun; sequential: IntakeRun }> {
  let enqueued = 0;
  const queue = new MemoryJobQueue({
    onMessage: async () => {
      enqueued++;
    },
    concurrency: 64,
  });
  const engine = await buildEngine({
    dynamoEndpoint: opts.dynamoEndpoint,
    config: {
      sources: [STANDARD_SOURCE],
      safety: { blastRadius: { maxOffboardings: 1_000_000, windowMinutes: 1, maxPercentOfPeople: 100 } },
    },
    secrets: { [STANDARD_SOURCE.secretName]: { secret: BENCH_WEBHOOK_SECRET } },
    queue,
  });
  if (opts.storage === 'memory') {
    engine.deps.store = new MemoryStore();
    engine.deps.audit = new MemoryAuditLog();
  }
  setDeps(engine.deps);
  let n = 0;
  const one = async (): Promise<{ ms: number; ok: boolean }> => {
    const event = terminationEvent(`leaver${n++}@bench.example`);
    const t = performance.now();
    // A fresh context per invocation: middy aborts when the context's remaining time runs out.
    const res = (await intakeHandler(event, localContext('leaver-intake', 30_000))) as { statusCode: number };
    return { ms: performance.now() - t, ok: res.statusCode === 202 };
  };
  const run = async (count: number, concurrency: number): Promise<IntakeRun> => {
    const before = enqueued;
    const lat: number[] = [];
    let accepted = 0;
    let left = count;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left > 0) {
          left--;
          const r = await one();
          lat.push(r.ms);
          if (r.ok) accepted++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    await queue.drain();
    lat.sort((a, b) => a - b);
    return {
      concurrency,
      requests: count,
      seconds: round(seconds, 2),
      perSecond: Math.round(count / seconds),
      p50Ms: round(percentile(lat, 50), 2),
      p99Ms: round(percentile(lat, 99), 2),
      accepted,
      enqueued: enqueued - before,
    };
  };
  try {
    await run(opts.warmup ?? 300, opts.concurrency);
    const concurrent = await run(opts.requests, opts.concurrency);
    const sequential = await run(Math.max(200, Math.floor(opts.requests / 5)), 1);
    return { concurrent, sequential };
  } finally {
    await queue.close();
    setDeps(undefined);
    engine.close();
  }
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** dynalite's own ceiling: PutItem calls per second on the offboardings table (same item shape size). */
export async function measureDynalitePuts(
  dynamoEndpoint: string,
  count = 1000,
  concurrency = 16,
): Promise<number> {
  const { DynamoDBClient, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { createTables } = await import('../local/adapters/table-setup.ts');
  const client = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const table = `cap${Date.now()}`;
  await createTables(client, { offboardingsTable: table, auditTable: `${table}-audit` });
  let n = 0;
  const put = (i: number) =>
    client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: `CAP#${i}` }, sk: { S: 'META' }, v: { S: 'x'.repeat(400) } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  for (let i = 0; i < 100; i++) await put(-i - 1);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (n < count) await put(n++);
    }),
  );
  const perSecond = Math.round(count / ((performance.now() - t0) / 1000));
  client.destroy();
  return perSecond;
}
