/**
 * Benchmarks 3 and 4: a mass layoff. `leavers` people leave a company with one tenant at each vendor
 * (see massLayoffScenario); the sandbox enforces rate limits chosen so the run's lower bound is about
 * a minute (the vendors' real figures would make it hours for Atlas, or leave iTwin's 5,000-call
 * minute burst unused), with the same limit configured client-side (`tenant.rateLimit`), as an
 * operator would from the vendor's documentation.
 *
 * The webhooks go through the intake handler first (timed separately); then the enqueued ids go to
 * the worker Lambda handler in SQS-sized batches of 10, `workerConcurrency` batches at once in this
 * one process (one set of client-side limiters, as one worker instance; with several Lambda
 * instances each has its own limiters, so `rateLimit` must be divided by the worker concurrency).
 *
 * Lower bound: for every vendor rate bucket b, (fewest calls in b - its burst) / its refill rate;
 * the largest wins. Fewest calls in b = one call per grant removed + the listings each batch's
 * discovery and single verification pass need: per batch, per listed scope, one listing of as many
 * pages as the vendor's list had at that moment (taken from the request log; the connectors read
 * exactly ceil(n / page size) pages), scaled down if a listing was repeated beyond the two passes.
 */

import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { setDeps } from '../lambdas/handlers/wiring.ts';
import { handler as workerHandler } from '../lambdas/handlers/worker.ts';
import type { RequestLogEntry, VendorName } from '../sandbox/index.ts';
import { MemoryAuditLog, MemoryStore } from '../test/support/memory-ports.ts';
import { callKind, isContinuationPage, summarise } from './support/calls.ts';
import type { SandboxClient } from './support/control.ts';
import { buildEngine, CollectingQueue, sqsEvent } from './support/engine.ts';
import { massLayoffScenario } from './support/scenario.ts';
import { remainingGrants } from './support/state.ts';
import { terminationEvent } from './support/webhooks.ts';

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export interface MassLayoffOptions {
  sandbox: SandboxClient;
  dynamoEndpoint: string;
  leavers: number;
  latencyMs: number;
  workerConcurrency: number;
  /** Vendor buckets (sandbox) = client-side rate per tenant (Atlas: per endpoint set, split below). */
  rates: { itwin: BucketSpec; atlas: BucketSpec; cloudmanager: BucketSpec };
  storage?: 'dynalite' | 'memory';
  /** Share of the vendor's Atlas rate each of the connector's Atlas buckets gets (default 0.5). */
  atlasClientShare?: number;
}

export interface BucketBound {
  bucket: string;
  calls: number;
  minimumCalls: number;
  capacity: number;
  refillPerSecond: number;
  lowerBoundSeconds: number;
}

export interface MassLayoffResult {
  storage: 'dynalite' | 'memory';
  leavers: number;
  grants: number;
  batches: number;
  workerConcurrency: number;
  latencyMs: number;
  intakeSeconds: number;
  elapsedSeconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  buckets: BucketBound[];
  calls: number;
  minimumCalls: number;
  callsPerLeaver: number;
  minimumCallsPerLeaver: number;
  callsRatio: number;
  rateLimited: number;
  actionsFailed: number;
  actionsFailedBy429: number;
  redeliveries: number;
  remaining: number;
  statuses: Record<string, number>;
}

/** Which vendor rate bucket a call draws from (null: not rate limited, e.g. token or challenge). */
function bucketOf(e: RequestLogEntry): string | null {
  const kind = callKind(e);
  if (kind === 'auth' || kind === 'challenge') return null;
  if (e.vendor === 'atlas') {
    if (/\/invites(\/|$)/.test(e.path)) return 'atlas:invites';
    if (/\/teams\//.test(e.path)) return 'atlas:teams';
    return 'atlas:users';
  }
  return e.vendor;
}

const routeOf = (e: RequestLogEntry) =>
  `${e.vendor} ${e.path.replace(/[0-9a-f]{24}|[0-9a-f-]{36}/gi, '{id}')}`;

/** Fewest calls per bucket: removals + listings of the two necessary passes per batch. */
export function minimumCalls(
  log: readonly RequestLogEntry[],
  batches: number,
): Map<string, { calls: number; minimum: number }> {
  const out = new Map<string, { calls: number; minimum: number }>();
  const lists = new Map<string, { bucket: string; first: number; more: number }>();
  for (const e of log) {
    const b = bucketOf(e);
    if (!b) continue;
    const cur = out.get(b) ?? { calls: 0, minimum: 0 };
    cur.calls++;
    out.set(b, cur);
    const kind = callKind(e);
    if (kind === 'revoke' && e.status !== null && ((e.status >= 200 && e.status < 300) || e.status === 404)) {
      // A 404 still counts once: only one removal per grant is needed, and the count of grants is
      // checked separately; a removal retried after a 5xx/429 is excess.
      if (e.status !== 404) cur.minimum++;
    }
    if (kind === 'list' && e.status === 200) {
      const r = routeOf(e);
      const l = lists.get(r) ?? { bucket: b, first: 0, more: 0 };
      if (isContinuationPage(e)) l.more++;
      else l.first++;
      lists.set(r, l);
    }
  }
  for (const l of lists.values()) {
    const needed = Math.min(l.first, 2 * batches);
    const pages = needed + (l.first > 0 ? (l.more * needed) / l.first : 0);
    out.get(l.bucket)!.minimum += pages;
  }
  return out;
}

export async function measureMassLayoff(opts: MassLayoffOptions): Promise<MassLayoffResult> {
  const { sandbox, leavers, rates } = opts;
  // Client side: the vendor's rate; the Atlas connector keeps one bucket per org/project path while
  // the vendor counts the endpoint set per org, so each of its two users keys gets half.
  const sc = massLayoffScenario(leavers, sandbox.urls, {
    tenantRates: {
      itwin: { perSecond: rates.itwin.refillPerSecond, burst: 20 },
      atlas: { perSecond: rates.atlas.refillPerSecond * (opts.atlasClientShare ?? 0.5), burst: 10 },
      cloudmanager: { perSecond: rates.cloudmanager.refillPerSecond, burst: 20 },
    },
    maxConcurrency: 32,
    verifyRounds: 3,
  });
  await sandbox.clearFaults();
  await sandbox.seed(sc.seed);
  await sandbox.setRateLimit('itwin', rates.itwin);
  await sandbox.setRateLimit('atlas', rates.atlas);
  await sandbox.setRateLimit('cloudmanager', rates.cloudmanager);
  await sandbox.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: opts.latencyMs } });
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
    // Intake: every termination through the intake handler, 8 at a time.
    const tIntake = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < sc.leavers.length) {
          const email = sc.leavers[next++]!;
          const r = (await intakeHandler(terminationEvent(email), localContext('leaver-intake', 30_000))) as {
            statusCode: number;
          };
          if (r.statusCode !== 202) throw new Error(`intake answered ${r.statusCode} for a leaver`);
        }
      }),
    );
    const intakeSeconds = (performance.now() - tIntake) / 1000;
    const ids = queue.take(queue.ids.length);
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += 10) batches.push(ids.slice(i, i + 10));
    const batchCount = batches.length;

    await sandbox.clearRequests();
    const tStart = Date.now();
    let redeliveries = 0;
    await Promise.all(
      Array.from({ length: opts.workerConcurrency }, async () => {
        for (;;) {
          const batch = batches.shift();
          if (!batch) return;
          const res = await workerHandler(sqsEvent(batch), localContext('leaver-worker', 900_000));
          const failed = res?.batchItemFailures ?? [];
          if (failed.length > 0) {
            // SQS would redeliver them after the visibility timeout; here: at the back of the queue.
            redeliveries += failed.length;
            batches.push(batch);
          }
        }
      }),
    );
    const tEnd = Date.now();
    const log = await sandbox.requests();
    const s = summarise(log);
    const mins = minimumCalls(log, batchCount);
    const spec: Record<string, BucketSpec> = {
      itwin: rates.itwin,
      'atlas:users': rates.atlas,
      'atlas:invites': rates.atlas,
      'atlas:teams': rates.atlas,
      cloudmanager: rates.cloudmanager,
    };
    const buckets: BucketBound[] = [...mins.entries()].map(([bucket, m]) => {
      const b = spec[bucket]!;
      return {
        bucket,
        calls: m.calls,
        minimumCalls: Math.round(m.minimum),
        capacity: b.capacity,
        refillPerSecond: b.refillPerSecond,
        lowerBoundSeconds: round(Math.max(0, m.minimum - b.capacity) / b.refillPerSecond, 2),
      };
    });
    const lowerBoundSeconds = Math.max(...buckets.map((b) => b.lowerBoundSeconds));
    const last = s.lastRevocationEndMs ?? tEnd;
    const elapsedSeconds = (last - tStart) / 1000;

    // Outcomes from the store: statuses, failed actions and their codes.
    const statuses: Record<string, number> = {};
    let actionsFailed = 0;
    let actionsFailedBy429 = 0;
    for (const id of ids) {
      const off = await engine.deps.store.get(id);
      statuses[off?.status ?? 'missing'] = (statuses[off?.status ?? 'missing'] ?? 0) + 1;
      if (off && off.counts.failed > 0) {
        for (const a of await engine.deps.store.listActions(id)) {
          if (a.outcome !== 'failed') continue;
          actionsFailed++;
          if (a.errorCode === 'vendor_rate_limited') actionsFailedBy429++;
        }
      }
    }
    const remaining = await remainingGrants(sandbox, sc.leavers);
    const auth = s.byKind.auth + Math.min(s.byKind.challenge, 1);
    const minimumTotal = Math.round(
      [...mins.values()].reduce((a, m) => a + m.minimum, 0) + Math.max(auth, 3),
    );
    const grants = sc.grants.itwin + sc.grants.atlas + sc.grants.cloudmanager;
    return {
      storage: opts.storage ?? 'dynalite',
      leavers,
      grants,
      batches: batchCount,
      workerConcurrency: opts.workerConcurrency,
      latencyMs: opts.latencyMs,
      intakeSeconds: round(intakeSeconds, 2),
      elapsedSeconds: round(elapsedSeconds, 2),
      lowerBoundSeconds,
      ratio: round(elapsedSeconds / lowerBoundSeconds, 3),
      buckets,
      calls: s.total,
      minimumCalls: minimumTotal,
      callsPerLeaver: round(s.total / leavers, 2),
      minimumCallsPerLeaver: round(minimumTotal / leavers, 2),
      callsRatio: round(s.total / minimumTotal, 3),
      rateLimited: s.rateLimited,
      actionsFailed,
      actionsFailedBy429,
      redeliveries,
      remaining: remaining.total,
      statuses,
    };
  } finally {
    await sandbox.clearFaults();
    setDeps(undefined);
    engine.close();
  }
}

export function perVendorCalls(log: readonly RequestLogEntry[]): Record<VendorName, number> {
  return summarise(log).byVendor;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
