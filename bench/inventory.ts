/**
 * The inventory benchmark (issue 14): the scenario of support/inventory-scenario.ts with the
 * vendors' limits enforced by the sandbox and 40 ms a call, Leaver wired as deployed (inventory,
 * shared listings, the rate budget in DynamoDB on dynalite).
 *
 *   inventory.syncMs / syncBoundMs: a full sync of every tenant, and its rate bound at the sync's
 *     share of each bucket: max over buckets of (calls - share x capacity) / (share x refill).
 *   inventory.firstRevocationMs: webhook -> the first revocation the sandbox answered.
 *   inventory.knownRevokedMs: webhook -> the last revocation of the first pass (known grants).
 *   inventory.verifiedMs / verifyBoundMs: webhook -> completed, and the rate bound of the
 *     verification's calls (its listing calls): max over buckets of (calls - capacity) / refill.
 */

import { syncInventory } from '../lambdas/core/inventory-sync.ts';
import { VENDORS } from '../lambdas/core/model.ts';
import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { makeCtx } from '../lambdas/handlers/observability.ts';
import { setDeps } from '../lambdas/handlers/wiring.ts';
import { handler as workerHandler } from '../lambdas/handlers/worker.ts';
import type { RequestLogEntry, VendorName } from '../sandbox/index.ts';
import { callKind } from './support/calls.ts';
import type { SandboxClient } from './support/control.ts';
import { buildEngine, CollectingQueue, sqsEvent } from './support/engine.ts';
import { INVENTORY_LEAVER, INVENTORY_RATES, inventoryScenario } from './support/inventory-scenario.ts';
import { remainingGrants } from './support/state.ts';
import { terminationEvent } from './support/webhooks.ts';

export interface InventoryBenchResult {
  latencyMs: number;
  rateShare: number;
  syncMs: number;
  syncBoundMs: number;
  syncRatio: number;
  syncCalls: Record<VendorName, number>;
  firstRevocationMs: number;
  knownRevokedMs: number;
  verifiedMs: number;
  verifyBoundMs: number;
  verifyRatio: number;
  verificationCalls: Record<VendorName, number>;
  grants: number;
  knownByInventory: number;
  missedByInventory: number;
  rateLimited: number;
  /** 429s by vendor and phase (sync, termination). */
  rateLimitedBy: Record<string, number>;
  remaining: number;
  status: string;
}

/** Rate-limited API calls per vendor (tokens and Digest challenges are free). */
function apiCalls(log: readonly RequestLogEntry[]): Record<VendorName, number> {
  const out: Record<VendorName, number> = { itwin: 0, atlas: 0, cloudmanager: 0 };
  for (const e of log) {
    const k = callKind(e);
    if (k !== 'auth' && k !== 'challenge') out[e.vendor]++;
  }
  return out;
}

/**
 * The rate bound of `calls` per vendor when `share` of each bucket is available. Atlas's calls are
 * spread over its buckets (per endpoint set and org or project), each far from its capacity in this
 * scenario: counting them in one bucket of the documented size keeps the bound a lower bound.
 */
function rateBoundMs(calls: Record<VendorName, number>, share = 1): number {
  let worst = 0;
  for (const v of VENDORS) {
    const r = INVENTORY_RATES[v];
    const ms = (Math.max(0, calls[v] - share * r.capacity) / (share * r.refillPerSecond)) * 1000;
    worst = Math.max(worst, ms);
  }
  return Math.round(worst);
}

export async function measureInventory(opts: {
  sandbox: SandboxClient;
  dynamoEndpoint: string;
  latencyMs: number;
  log?: (m: string) => void;
}): Promise<InventoryBenchResult> {
  const { sandbox } = opts;
  const say = opts.log ?? (() => {});
  const rateShare = 0.5;
  const sc = inventoryScenario(sandbox.urls, rateShare);
  await sandbox.prepare(sc.seed, INVENTORY_RATES, opts.latencyMs);
  const queue = new CollectingQueue();
  const engine = await buildEngine({
    dynamoEndpoint: opts.dynamoEndpoint,
    config: sc.config,
    secrets: sc.secrets,
    queue,
    asDeployed: true,
  });
  setDeps(engine.deps);
  try {
    // ---- a full sync
    await sandbox.clearRequests();
    say('  sync (a few minutes at half the iTwin rate)...');
    const t0 = Date.now();
    const sync = await syncInventory(engine.deps, makeCtx({ deadline: t0 + 30 * 60_000 }), {
      owner: 'bench',
      force: true,
    });
    const syncMs = Date.now() - t0;
    if (sync.tenants.some((t) => t.status !== 'synced')) {
      throw new Error(`the sync did not complete: ${JSON.stringify(sync.tenants)}`);
    }
    const syncLog = await sandbox.requests();
    const syncCalls = apiCalls(syncLog);
    const syncBoundMs = rateBoundMs(syncCalls, rateShare);
    const rateLimitedBy: Record<string, number> = {};
    const count429 = (phase: string, entries: readonly RequestLogEntry[]) => {
      for (const e of entries) {
        if (e.status === 429)
          rateLimitedBy[`${phase}:${e.vendor}`] = (rateLimitedBy[`${phase}:${e.vendor}`] ?? 0) + 1;
      }
    };
    count429('sync', syncLog);

    // ---- one termination
    await sandbox.clearRequests();
    say('  one termination (the verification lists everything again)...');
    const tw = Date.now();
    const res = (await intakeHandler(
      terminationEvent(INVENTORY_LEAVER),
      localContext('leaver-intake', 30_000),
    )) as {
      statusCode: number;
    };
    if (res.statusCode !== 202) throw new Error(`intake answered ${res.statusCode}`);
    const ids = queue.take(10);
    await workerHandler(sqsEvent(ids), localContext('leaver-worker', 900_000));
    const off = await engine.deps.store.get(ids[0]!);
    const actions = await engine.deps.store.listActions(ids[0]!);
    const log = await sandbox.requests();
    count429('termination', log);
    const end = (e: RequestLogEntry) => Date.parse(e.at) + e.durationMs;
    const removals = log.filter((e) => callKind(e) === 'revoke' && e.status !== null && e.status < 300);
    // The first pass ended with its last answer; the verification's calls are the listings after it
    // (the reads an iTwin group removal makes before its PATCH belong to the first pass).
    const firstPassEnd = Math.max(
      ...actions.filter((a) => a.pass === 0 && a.outcome === 'revoked').map((a) => Date.parse(a.at)),
    );
    const verification = apiCalls(
      log.filter((e) => callKind(e) === 'list' && Date.parse(e.at) >= firstPassEnd),
    );
    const verifyBoundMs = rateBoundMs(verification);
    const verifiedMs = off?.finishedAt ? Date.parse(off.finishedAt) - tw : Number.NaN;
    if (process.env.BENCH_DEBUG) {
      // Calls per second by vendor since the webhook, and the first pass's end.
      const hist: Record<string, number[]> = { itwin: [], atlas: [], cloudmanager: [] };
      for (const e of log) {
        const sec = Math.floor((Date.parse(e.at) - tw) / 1000);
        const h = hist[e.vendor]!;
        h[sec] = (h[sec] ?? 0) + 1;
      }
      say(`first pass ended at ${firstPassEnd - tw} ms; finished at ${verifiedMs} ms`);
      for (const [v, h] of Object.entries(hist)) say(`${v}: ${Array.from(h, (x) => x ?? 0).join(' ')}`);
      say(engine.log.last.join('\n'));
    }
    const remaining = await remainingGrants(sandbox, [INVENTORY_LEAVER]);
    return {
      latencyMs: opts.latencyMs,
      rateShare,
      syncMs,
      syncBoundMs,
      syncRatio: round(syncMs / syncBoundMs, 3),
      syncCalls,
      firstRevocationMs: removals.length ? Math.round(Math.min(...removals.map(end)) - tw) : Number.NaN,
      knownRevokedMs: Number.isFinite(firstPassEnd) ? Math.round(firstPassEnd - tw) : Number.NaN,
      verifiedMs,
      verifyBoundMs,
      verifyRatio: round(verifiedMs / verifyBoundMs, 3),
      verificationCalls: verification,
      grants: sc.grants.itwin + sc.grants.atlas + sc.grants.cloudmanager,
      knownByInventory: off?.knownByInventory ?? 0,
      missedByInventory: off?.missedByInventory ?? 0,
      rateLimited: Object.values(rateLimitedBy).reduce((a, b) => a + b, 0),
      rateLimitedBy,
      remaining: remaining.total,
      status: off?.status ?? 'missing',
    };
  } finally {
    await sandbox.clearFaults();
    setDeps(undefined);
    engine.close();
  }
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
