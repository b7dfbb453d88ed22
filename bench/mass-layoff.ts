/**
 * Benchmarks 3 and 4: a mass layoff. `leavers` people leave a company with one tenant at each vendor
 * (see massLayoffScenario); the sandbox enforces rate limits chosen so the run takes about a minute
 * (the vendors' real figures would make it hours for Atlas, or leave iTwin's 5,000-call minute
 * burst unused), with the same limit configured client-side (`tenant.rateLimit`), as an operator
 * would from the vendor's documentation.
 *
 * The webhooks go through the intake handler first (timed separately); then the enqueued ids go to
 * the worker Lambda handler in SQS-sized batches of 10 (`batchSize`; `worker.batchSize` allows up to
 * 100 with a batching window), `workerConcurrency` batches at once in this
 * one process (one set of client-side limiters, as one worker instance; with several Lambda
 * instances each has its own limiters, so `rateLimit` must be divided by the worker concurrency).
 *
 * Lower bound: for every vendor rate bucket b, (fewest calls in b - its burst) / its refill rate; the
 * largest wins. Fewest calls = what the WHOLE job needs at the least, computed from the scenario
 * (support/minimum.ts), not from the run's request log: every removal once, and each scope listed
 * once for discovery and once for verification, as many pages as the list has at that moment
 * (iTwin 100 a page, MongoDB 500). Leaver lists every scope again for each SQS batch of 10, so the
 * minimum for batches of 10 (same model, each batch discovering and verifying on its own, batches
 * one after another) is reported beside it as context.
 */

import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { setDeps } from '../lambdas/handlers/wiring.ts';
import { handler as workerHandler } from '../lambdas/handlers/worker.ts';
import type { RequestLogEntry, VendorName } from '../sandbox/index.ts';
import { MemoryAuditLog, MemoryStore } from '../test/support/memory-ports.ts';
import { callKind, summarise } from './support/calls.ts';
import type { SandboxClient } from './support/control.ts';
import { buildEngine, CollectingQueue, sqsEvent } from './support/engine.ts';
import { type Bucket, chunk, jobShape, minimumCalls, rateBoundSeconds } from './support/minimum.ts';
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
  /** Vendor buckets (sandbox) = client-side rate per tenant (Atlas: per endpoint set and org/project). */
  rates: { itwin: BucketSpec; atlas: BucketSpec; cloudmanager: BucketSpec };
  storage?: 'dynalite' | 'memory';
  /** Offboardings per worker invocation (SQS batch); default 10. */
  batchSize?: number;
  /** Share of the vendor's Atlas rate each of the connector's Atlas buckets gets (default 1). */
  atlasClientShare?: number;
  /**
   * Leaver as deployed (default): the access inventory (not synced beforehand: the first batch's
   * listing is shared by the batches after it), shared listings, the rate budget in DynamoDB, and a
   * full batch's verification left to a later delivery. False: discovery per batch (the old way).
   */
  asDeployed?: boolean;
}

export interface BucketBound {
  bucket: string;
  /** Calls the run made in this bucket (request log). */
  calls: number;
  /** Fewest calls the whole job needs in this bucket (from the scenario). */
  minimumCalls: number;
  /** Fewest calls when every batch (of 10) discovers and verifies on its own (context). */
  minimumCallsBatches: number;
  capacity: number;
  refillPerSecond: number;
  lowerBoundSeconds: number;
  lowerBoundSecondsBatches: number;
}

/** The same figures against the minimum for the run's batches (10: SQS's batch size): context. */
export interface PerBatchContext {
  batchSize: number;
  minimumCalls: number;
  minimumCallsPerLeaver: number;
  callsRatio: number;
  lowerBoundSeconds: number;
  ratio: number;
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
  /** The names: elapsed / the rate bound, and calls / the fewest calls, at the default settings. */
  timeRatio: number;
  callRatio: number;
  /** Until every offboarding was completed (verifications included), seconds. */
  completedSeconds: number;
  asDeployed: boolean;
  buckets: BucketBound[];
  calls: number;
  minimumCalls: number;
  callsPerLeaver: number;
  minimumCallsPerLeaver: number;
  callsRatio: number;
  /** Of the minimum: listing pages and removals (the rest: tokens and Digest challenges). */
  minimumListingCalls: number;
  minimumRemovalCalls: number;
  listingCalls: number;
  perBatch: PerBatchContext;
  rateLimited: number;
  actionsFailed: number;
  actionsFailedBy429: number;
  redeliveries: number;
  remaining: number;
  statuses: Record<string, number>;
}

/**
 * Which vendor rate bucket a call draws from (null: not rate limited, e.g. token or challenge).
 * Atlas: endpoint set x the scope the path names (sandbox/atlas/rate-limits.ts `bucketScope`):
 * `/orgs/{id}/...` per organisation, `/groups/{id}/...` per project. Team membership routes
 * (`/teams/{id}/users`, `:removeUser`) are in the users set; only team listings in `teams`. (A
 * vendor counting org and project calls in one bucket would make the bound higher, not lower: the
 * split gives a valid lower bound either way.) The mass layoff has one org and one project, so the
 * scope is named by its kind only.
 */
export function bucketOf(e: RequestLogEntry): string | null {
  const kind = callKind(e);
  if (kind === 'auth' || kind === 'challenge') return null;
  if (e.vendor === 'atlas') {
    const sub = e.path.replace(/^\/api\/atlas\/v2/, '');
    const scope = sub.startsWith('/orgs/') ? 'org' : sub.startsWith('/groups/') ? 'project' : 'user';
    let set = 'users';
    if (/\/invites(\/|$)/.test(sub)) set = 'invites';
    else if (/\/teams(\/|$)/.test(sub) && !/\/teams\/[^/]+(\/users|:removeUser)/.test(sub)) set = 'teams';
    return `atlas:${set}@${scope}`;
  }
  return e.vendor;
}

/** Calls of the request log per rate bucket (unlimited calls, tokens and challenges, left out). */
export function callsByBucket(log: readonly RequestLogEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of log) {
    const b = bucketOf(e);
    if (b) out.set(b, (out.get(b) ?? 0) + 1);
  }
  return out;
}

export async function measureMassLayoff(opts: MassLayoffOptions): Promise<MassLayoffResult> {
  const { sandbox, leavers, rates } = opts;
  // Client side: the vendor's rate. The Atlas connector keeps one bucket per endpoint set and
  // org/project path, as the vendor counts them (sandbox/atlas/rate-limits.ts `bucketScope`), so each
  // gets the vendor's full rate.
  const sc = massLayoffScenario(leavers, sandbox.urls, {
    tenantRates: {
      itwin: { perSecond: rates.itwin.refillPerSecond, burst: 20 },
      atlas: { perSecond: rates.atlas.refillPerSecond * (opts.atlasClientShare ?? 1), burst: 10 },
      cloudmanager: { perSecond: rates.cloudmanager.refillPerSecond, burst: 20 },
    },
    maxConcurrency: 32,
    verifyRounds: 3,
  });
  await sandbox.prepare(sc.seed, rates, opts.latencyMs);
  const queue = new CollectingQueue();
  const asDeployed = opts.asDeployed ?? true;
  const engine = await buildEngine({
    dynamoEndpoint: opts.dynamoEndpoint,
    config: sc.config,
    secrets: sc.secrets,
    queue,
    asDeployed,
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
    const batchSize = opts.batchSize ?? 10;
    for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
    const batchCount = batches.length;

    await sandbox.clearRequests();
    const tStart = Date.now();
    let redeliveries = 0;
    let busy = 0;
    await Promise.all(
      Array.from({ length: opts.workerConcurrency }, async () => {
        for (;;) {
          // What the worker queued again (verifications left to a later delivery) comes after the
          // batches already waiting, in batches of the same size, as SQS would deliver them.
          const batch = batches.shift() ?? (queue.ids.length > 0 ? queue.take(batchSize) : undefined);
          if (!batch) {
            if (busy === 0) return;
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          busy++;
          try {
            const res = await workerHandler(sqsEvent(batch), localContext('leaver-worker', 900_000));
            const failed = res?.batchItemFailures ?? [];
            if (failed.length > 0) {
              // SQS would redeliver them after the visibility timeout; here: at the back of the queue.
              redeliveries += failed.length;
              batches.push(batch);
            }
          } finally {
            busy--;
          }
        }
      }),
    );
    const tEnd = Date.now();
    const log = await sandbox.requests();
    const s = summarise(log);
    // The minimum is the scenario's, not the run's: whole job, and (context) the run's batches.
    const shape = jobShape(sc);
    const whole = minimumCalls(shape, [sc.leavers]);
    const perBatchMin = minimumCalls(shape, chunk(sc.leavers, batchSize));
    const actual = callsByBucket(log);
    const spec = (bucket: string): BucketSpec =>
      bucket.startsWith('atlas:') ? rates.atlas : rates[bucket as 'itwin' | 'cloudmanager'];
    const names = new Set<string>([...Object.keys(whole.byBucket), ...actual.keys()]);
    const buckets: BucketBound[] = [...names].map((bucket) => {
      const b = spec(bucket);
      const min = whole.byBucket[bucket as Bucket] ?? 0;
      const minB = perBatchMin.byBucket[bucket as Bucket] ?? 0;
      return {
        bucket,
        calls: actual.get(bucket) ?? 0,
        minimumCalls: min,
        minimumCallsBatches: minB,
        capacity: b.capacity,
        refillPerSecond: b.refillPerSecond,
        lowerBoundSeconds: round(rateBoundSeconds(min, b), 2),
        lowerBoundSecondsBatches: round(rateBoundSeconds(minB, b), 2),
      };
    });
    const lowerBoundSeconds = Math.max(...buckets.map((b) => b.lowerBoundSeconds));
    const lowerBoundSecondsBatches = Math.max(...buckets.map((b) => b.lowerBoundSecondsBatches));
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
      timeRatio: round(elapsedSeconds / lowerBoundSeconds, 3),
      callRatio: round(s.total / whole.total, 3),
      completedSeconds: round((tEnd - tStart) / 1000, 2),
      asDeployed,
      buckets,
      calls: s.total,
      minimumCalls: whole.total,
      callsPerLeaver: round(s.total / leavers, 2),
      minimumCallsPerLeaver: round(whole.total / leavers, 2),
      callsRatio: round(s.total / whole.total, 3),
      minimumListingCalls: whole.listingCalls,
      minimumRemovalCalls: whole.removalCalls,
      listingCalls: s.byKind.list,
      perBatch: {
        batchSize,
        minimumCalls: perBatchMin.total,
        minimumCallsPerLeaver: round(perBatchMin.total / leavers, 2),
        callsRatio: round(s.total / perBatchMin.total, 3),
        lowerBoundSeconds: lowerBoundSecondsBatches,
        ratio: round(elapsedSeconds / lowerBoundSecondsBatches, 3),
      },
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
