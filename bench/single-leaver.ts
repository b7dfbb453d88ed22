/**
 * Benchmark 2: one leaver with grants in `n` tenants at each of the three vendors (one sandbox,
 * each tenant its own organisation / iTwin account and credentials), a fixed latency on every
 * vendor call, and the vendors' documented rate limits (iTwin 5,000/min per client; Atlas the
 * documented example bucket, capacity 10 and 5 per 60 s per endpoint set and org; Cloud Manager,
 * which documents none, 10/s with a burst of 20 per API key).
 *
 * Path: a signed webhook through the intake Lambda handler; the enqueued id handed to the worker
 * Lambda handler as an SQS event (both with the real adapters on dynalite, the real connectors over
 * HTTP). Timed from the webhook (and, separately, from the worker's start) to the moment the
 * sandbox answered the last successful revocation.
 *
 * Lower bound = max(fewest calls of a rate bucket beyond its burst / its refill rate,
 *                   longest chain of dependent calls x latency); see support/scenario.ts.
 */
import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { setDeps } from '../lambdas/handlers/wiring.ts';
import { handler as workerHandler } from '../lambdas/handlers/worker.ts';
import { MemoryAuditLog, MemoryStore } from '../test/support/memory-ports.ts';
import { summarise } from './support/calls.ts';
import type { SandboxClient } from './support/control.ts';
import { type BenchEngine, buildEngine, CollectingQueue, sqsEvent } from './support/engine.ts';
import { rateBoundSeconds } from './support/minimum.ts';
import { LEAVER, ONE_LEAVER_PER_TENANT, oneLeaverScenario } from './support/scenario.ts';
import { remainingGrants } from './support/state.ts';
import { terminationEvent } from './support/webhooks.ts';

export interface SingleLeaverResult {
  storage: 'dynalite' | 'memory';
  tenantsPerVendor: number;
  latencyMs: number;
  grants: number;
  fromWebhookMs: number;
  fromWorkerStartMs: number;
  lowerBoundMs: number;
  /** max over rate buckets of (fewest calls beyond the burst) / refill rate, in ms. */
  rateBoundMs: number;
  /** The bucket that sets rateBoundMs (the first one when none binds). */
  rateBoundBucket: string;
  /** Longest chain of dependent calls x latency, in ms. */
  chainBoundMs: number;
  chainCalls: number;
  ratio: number;
  calls: number;
  minimumCalls: number;
  rateLimited: number;
  remaining: number;
  status: string;
  verdict: string;
  /** The offboarding's audit records, and the items they were written in (group commit; dynalite only). */
  auditRecords?: number;
  auditWrites?: number;
}

/**
 * The vendors' documented limits this benchmark enforces in the sandbox, and the bound uses: iTwin
 * 5,000 a minute per client (the sandbox's token bucket: capacity 5,000, refill 5,000/60 s); Atlas
 * the documented example bucket (10, 5 per 60 s) per endpoint set and org; Cloud Manager 10/s with
 * a burst of 20 per API key. Every tenant has its own client, org and key, so its own buckets.
 */
export const SINGLE_LEAVER_RATES = {
  itwin: { capacity: 5000, refillPerSecond: 5000 / 60 },
  atlas: { capacity: 10, refillPerSecond: 5 / 60 },
  cloudmanager: { capacity: 20, refillPerSecond: 10 },
} as const;

/**
 * Lower bound of the single-leaver job: max(rate term, chain term). Rate term: for each bucket,
 * (fewest calls in it - its burst) / its refill rate, the largest (each tenant's buckets are its
 * own, so the per-tenant fewest calls of support/scenario.ts apply whatever the tenant count).
 */
export function singleLeaverBound(latencyMs: number) {
  const per = ONE_LEAVER_PER_TENANT;
  const rateOf = (bucket: string) =>
    bucket.startsWith('atlas:')
      ? SINGLE_LEAVER_RATES.atlas
      : SINGLE_LEAVER_RATES[bucket as 'itwin' | 'cloudmanager'];
  const perBucket = Object.entries({
    ...per.itwin.buckets,
    ...per.atlas.buckets,
    ...per.cloudmanager.buckets,
  }).map(([bucket, calls]) => ({ bucket, calls, ms: rateBoundSeconds(calls, rateOf(bucket)) * 1000 }));
  const worst = perBucket.reduce((a, b) => (b.ms > a.ms ? b : a));
  const chainCalls = Math.max(per.itwin.chain, per.atlas.chain, per.cloudmanager.chain);
  const chainBoundMs = chainCalls * latencyMs;
  return {
    rateBoundMs: Math.round(worst.ms),
    rateBoundBucket: worst.bucket,
    chainCalls,
    chainBoundMs,
    lowerBoundMs: Math.max(Math.round(worst.ms), chainBoundMs),
    perBucket,
  };
}

export async function measureSingleLeaver(opts: {
  sandbox: SandboxClient;
  dynamoEndpoint: string;
  tenantsPerVendor: number;
  latencyMs: number;
  /** `memory`: store and audit log in memory, to separate Leaver's scheduling from DynamoDB writes. */
  storage?: 'dynalite' | 'memory';
}): Promise<SingleLeaverResult> {
  const { sandbox, tenantsPerVendor: n, latencyMs } = opts;
  const sc = oneLeaverScenario(n, sandbox.urls);
  await sandbox.prepare(sc.seed, SINGLE_LEAVER_RATES, latencyMs);
  const queue = new CollectingQueue();
  const engine = await buildEngine({
    dynamoEndpoint: opts.dynamoEndpoint,
    config: sc.config,
    secrets: sc.secrets,
    queue,
  });
  if (opts.storage === 'memory') {
    engine.deps.store = new MemoryStore();
    engine.deps.audit = new MemoryAuditLog();
  }
  setDeps(engine.deps);
  try {
    await sandbox.clearRequests();
    const t0 = Date.now();
    const res = (await intakeHandler(terminationEvent(LEAVER), localContext('leaver-intake', 30_000))) as {
      statusCode: number;
    };
    if (res.statusCode !== 202) throw new Error(`intake answered ${res.statusCode}`);
    const ids = queue.take(10);
    const tWorker = Date.now();
    const out = await workerHandler(sqsEvent(ids), localContext('leaver-worker', 900_000));
    const verdict = out?.batchItemFailures?.length ? 'retry' : 'done';
    const log = await sandbox.requests();
    const s = summarise(log);
    const off = await engine.deps.store.get(ids[0]!);
    const written = opts.storage === 'memory' ? undefined : await auditItems(engine, ids[0]!);
    if (process.env.BENCH_DEBUG) console.error(engine.log.last.join('\n'));
    const remaining = await remainingGrants(sandbox, [LEAVER]);
    const last = s.lastRevocationEndMs ?? Number.NaN;
    const per = ONE_LEAVER_PER_TENANT;
    const bound = singleLeaverBound(latencyMs);
    const lowerBoundMs = bound.lowerBoundMs;
    const fromWebhookMs = last - t0;
    return {
      storage: opts.storage ?? 'dynalite',
      tenantsPerVendor: n,
      latencyMs,
      grants: sc.grants.itwin + sc.grants.atlas + sc.grants.cloudmanager,
      fromWebhookMs,
      fromWorkerStartMs: last - tWorker,
      lowerBoundMs,
      rateBoundMs: bound.rateBoundMs,
      rateBoundBucket: bound.rateBoundBucket,
      chainBoundMs: bound.chainBoundMs,
      chainCalls: bound.chainCalls,
      ratio: round(fromWebhookMs / lowerBoundMs, 2),
      calls: s.total,
      minimumCalls: n * (per.itwin.calls + per.atlas.calls + per.cloudmanager.calls),
      rateLimited: s.rateLimited,
      remaining: remaining.total,
      status: off?.status ?? 'missing',
      verdict,
      ...(written ? { auditRecords: written.records, auditWrites: written.items } : {}),
    };
  } finally {
    await sandbox.clearFaults();
    setDeps(undefined);
    engine.close();
  }
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** How many items (one conditional PutItem each) hold the offboarding's audit records. */
async function auditItems(engine: BenchEngine, id: string): Promise<{ items: number; records: number }> {
  const { DynamoDBDocumentClient, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
  const doc = DynamoDBDocumentClient.from(engine.dynamo);
  let items = 0;
  let records = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: engine.tables.auditTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': id },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      items++;
      records += Array.isArray(item.records) ? item.records.length : 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { items, records };
}

/**
 * The HTTP floor of this machine: `calls` plain GETs through the connectors' own transport (Node's
 * fetch, one keep-alive pool per origin) against the sandbox with the same fixed latency, as
 * concurrent as the pools allow, with no Leaver logic. A one-process job that must make `calls`
 * calls cannot end before this, whatever the vendors allow; it shows how much of a run is the HTTP
 * client's CPU rather than Leaver's scheduling.
 */
export async function measureHttpFloor(opts: {
  sandbox: SandboxClient;
  calls: number;
  latencyMs: number;
  concurrency: number;
}): Promise<number> {
  const { nodeFetchTransport } = await import('../lambdas/connectors/http/transport.ts');
  const { sandbox } = opts;
  await sandbox.clearFaults();
  await sandbox.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: opts.latencyMs } });
  // An unauthenticated GET each vendor answers with a small 401 body, on each vendor's origin.
  const urls = [
    `${sandbox.urls.itwin.accessControl}/itwins/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/members/users`,
    `${sandbox.urls.atlas.base}/api/atlas/v2/orgs/${'0'.repeat(24)}/users`,
    `${sandbox.urls.cloudmanager.base}/orgs/${'0'.repeat(24)}/users`,
  ];
  try {
    let n = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, w) => {
        while (n < opts.calls) {
          n++;
          const res = await nodeFetchTransport(urls[w % urls.length]!, {
            method: 'GET',
            headers: { accept: 'application/json' },
          });
          await res.text();
        }
      }),
    );
    return performance.now() - t0;
  } finally {
    await sandbox.clearFaults();
  }
}
