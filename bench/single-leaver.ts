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
import { buildEngine, CollectingQueue, sqsEvent } from './support/engine.ts';
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
  ratio: number;
  calls: number;
  minimumCalls: number;
  rateLimited: number;
  remaining: number;
  status: string;
  verdict: string;
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
  await sandbox.clearFaults();
  await sandbox.seed(sc.seed);
  await sandbox.setRateLimit('atlas', { capacity: 10, refillPerSecond: 5 / 60 });
  await sandbox.setRateLimit('cloudmanager', { capacity: 20, refillPerSecond: 10 });
  await sandbox.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: latencyMs } });
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
    if (process.env.BENCH_DEBUG) console.error(engine.log.last.join('\n'));
    const remaining = await remainingGrants(sandbox, [LEAVER]);
    const last = s.lastRevocationEndMs ?? Number.NaN;
    // Rates do not bind here (every bucket's calls fit its burst); the chain does.
    const per = ONE_LEAVER_PER_TENANT;
    const chainMs = Math.max(per.itwin.chain, per.atlas.chain, per.cloudmanager.chain) * latencyMs;
    const lowerBoundMs = chainMs;
    const fromWebhookMs = last - t0;
    return {
      storage: opts.storage ?? 'dynalite',
      tenantsPerVendor: n,
      latencyMs,
      grants: sc.grants.itwin + sc.grants.atlas + sc.grants.cloudmanager,
      fromWebhookMs,
      fromWorkerStartMs: last - tWorker,
      lowerBoundMs,
      ratio: round(fromWebhookMs / lowerBoundMs, 2),
      calls: s.total,
      minimumCalls: n * (per.itwin.calls + per.atlas.calls + per.cloudmanager.calls),
      rateLimited: s.rateLimited,
      remaining: remaining.total,
      status: off?.status ?? 'missing',
      verdict,
    };
  } finally {
    await sandbox.clearFaults();
    setDeps(undefined);
    engine.close();
  }
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

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
