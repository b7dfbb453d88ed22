/**
 * The worker (docs/contributing.md#the-worker): admit (load, kill switch, blast-radius rate, claim), then for
 * the whole batch at once: discover (each tenant listed once for every leaver of the batch), apply
 * the blast-radius share limit, revoke (invitations first, then memberships), verify by
 * discovering again up to `worker.verifyRounds` rounds, and finish with counts and time-to-revoke.
 * The blast-radius share limit counts the people removed from each tenant within the window across
 * batches and workers (an atomic set in the store), not only this batch's.
 *
 * Redelivery repeats no effect: terminal offboardings are skipped, stored results are reused and a
 * repeated delete lands on `already_absent`. A run cut by the deadline (or a kill switch flipped
 * mid-run) stays `running` with its lease released; cut by the deadline it answers 'retry' and the
 * next delivery finishes it, cut while the kill switch is on it is held (core/hold.ts) and answers
 * 'done' until the switch is turned off.
 */
import {
  auditKillSwitchStop,
  type BatchState,
  countActions,
  executeActions,
  newBatchState,
  type RunState,
} from './actions.ts';
import { admit, quarantine, type Verdict } from './admission.ts';
import { settleAll } from './concurrency.ts';
import { ACTORS, type EngineDeps, nowMs } from './deps.ts';
import { type Discovery, discoverAll, grantsOf } from './discovery.ts';
import { isLeaverError } from './errors.ts';
import { firstPass, inventoryFirst } from './first-pass.ts';
import { blastWindow, killSwitchState, maxPeopleRemoved } from './guards.ts';
import { holdForKillSwitch } from './hold.ts';
import type { InventoryStore } from './inventory.ts';
import { auditOffboarding, deadlineNear, leaseUntil, retryDelayMs } from './lifecycle.ts';
import type { ListingNeed } from './listings.ts';
import { type ActionResult, type Grant, grantKey, normaliseEmail, type Offboarding } from './model.ts';
import { notify, subjectRef } from './notifications.ts';
import { type PlannedAction, planGrants } from './plan.ts';
import type { Ctx } from './ports.ts';
import { resumeFromAudit } from './resume.ts';
import { computeTimeToRevoke } from './time-to-revoke.ts';

export type WorkerResult = { id: string; result: Verdict };

export async function processOffboardings(
  deps: EngineDeps,
  ids: readonly string[],
  ctx: Ctx,
): Promise<WorkerResult[]> {
  const { claimed, verdicts, resumed } = await admit(deps, ids, ctx);
  if (claimed.length > 0) {
    const batch = newBatchState();
    let runs: WorkerRun[] = [];
    try {
      runs = await settleAll(claimed.map((off) => newRun(deps, off, batch, resumed.has(off.id))));
      // A full batch means more are waiting behind it (SQS fills batches under load): its
      // verification is left to a later delivery, where it shares one listing with the others.
      const defer = new Set(ids).size >= deps.config.worker.batchSize && deps.config.worker.batchSize > 1;
      const outcome = inventoryFirst(deps)
        ? await settleAll([
            runBatch(
              deps,
              runs.filter((r) => r.offboarding.dryRun),
              batch,
              ctx,
            ),
            runInventoryBatch(
              deps,
              runs.filter((r) => !r.offboarding.dryRun),
              batch,
              ctx,
              defer,
            ),
          ]).then(([a, b]) => [...(a ?? []), ...(b ?? [])])
        : await runBatch(deps, runs, batch, ctx);
      for (const [id, v] of outcome) verdicts.set(id, v);
    } catch (e) {
      ctx.log.error('worker run failed; left for the next delivery', {
        errorCode: isLeaverError(e) ? e.code : 'internal',
      });
      for (const off of claimed) {
        await releaseLease(deps, off);
        verdicts.set(off.id, 'retry');
      }
    }
  }
  return [...new Set(ids)].map((id) => ({ id, result: verdicts.get(id) ?? 'retry' }));
}

interface WorkerRun extends RunState {
  /** Grants an earlier run audited `action_started` for but never finished: retried in pass 0. */
  dangling: Grant[];
  /** Set when a storage write of this run failed: it stops and waits for the next delivery. */
  broken?: boolean;
  /** Inventory-first runs: when its first pass ended (its verification lists after it). */
  verifyFrom?: number;
}

async function newRun(
  deps: EngineDeps,
  off: Offboarding,
  batch: BatchState,
  resumed: boolean,
): Promise<WorkerRun> {
  const stored = new Map<string, ActionResult>();
  for (const a of await deps.store.listActions(off.id)) stored.set(a.grantKey, a);
  const dangling = resumed ? (await resumeFromAudit(deps, off.id, stored)).dangling : [];
  const known = [...stored.values()].filter((a) => a.known).map((a) => a.grantKey);
  return {
    offboarding: off,
    actor: ACTORS.worker,
    attempt: off.attempts,
    stored,
    failedThisRun: new Set(),
    batch,
    dangling,
    ...(off.verifyFrom ? { verifyFrom: Date.parse(off.verifyFrom), knownKeys: new Set(known) } : {}),
  };
}

const isFinal = (a: ActionResult | undefined) => a?.outcome === 'revoked' || a?.outcome === 'already_absent';

/** What one pass does for one run: skips are recorded; done or failed grants are not called again. */
function planFor(deps: EngineDeps, run: WorkerRun, disc: Discovery, pass: number): PlannedAction[] {
  const found = grantsOf(run.offboarding.subject, disc.grants);
  const planned = planGrants(pass === 0 ? [...found, ...run.dangling] : found, {
    safety: deps.config.safety,
    dryRun: run.offboarding.dryRun,
  });
  return planned.filter(
    (p) =>
      p.decision === 'skip' ||
      (!run.failedThisRun.has(p.key) && !(pass === 0 && isFinal(run.stored.get(p.key)))),
  );
}

async function discoverAndAudit(
  deps: EngineDeps,
  runs: WorkerRun[],
  pass: number,
  ctx: Ctx,
  need: ListingNeed = {},
): Promise<Discovery> {
  const disc = await discoverAll(
    deps,
    runs.map((r) => r.offboarding.subject),
    ctx,
    deps.config.tenants,
    need,
  );
  await auditDiscovered(deps, runs, disc, pass);
  return disc;
}

async function auditDiscovered(
  deps: EngineDeps,
  runs: WorkerRun[],
  disc: Discovery,
  pass: number,
  extra: (run: WorkerRun, mine: Grant[]) => Record<string, unknown> = () => ({}),
): Promise<void> {
  await eachRun(deps, runs, async (run) => {
    const mine = grantsOf(run.offboarding.subject, disc.grants);
    const byVendor: Record<string, number> = {};
    for (const g of mine) byVendor[g.vendor] = (byVendor[g.vendor] ?? 0) + 1;
    await auditOffboarding(deps, run.offboarding, 'discovered', run.actor, {
      attempt: run.attempt,
      detail: { pass, grants: mine.length, byVendor, failedTenants: disc.failures, ...extra(run, mine) },
    });
  });
}

/**
 * Runs `fn` for every healthy run in parallel and waits for all of them; a run whose step throws
 * (its audit or store write failed) is marked broken and left for the next delivery, so one
 * offboarding's storage trouble never stops the others and nothing keeps running after we return.
 */
async function eachRun(deps: EngineDeps, runs: WorkerRun[], fn: (run: WorkerRun) => Promise<void>) {
  await Promise.all(
    runs
      .filter((r) => !r.broken)
      .map(async (run) => {
        try {
          await fn(run);
        } catch (e) {
          run.broken = true;
          deps.log.error('offboarding run interrupted; left for the next delivery', {
            offboardingId: run.offboarding.id,
            errorCode: isLeaverError(e) ? e.code : 'internal',
          });
        }
      }),
  );
}

async function runBatch(
  deps: EngineDeps,
  runs: WorkerRun[],
  batch: BatchState,
  ctx: Ctx,
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  if (runs.length === 0) return verdicts;
  let disc = await discoverAndAudit(deps, runs, 0, ctx);
  const quarantined = await applyShareGuard(deps, runs, disc);
  for (const id of quarantined) verdicts.set(id, 'done');
  const active = runs.filter((r) => !quarantined.has(r.offboarding.id));
  const lastDiscovery = new Map<string, Discovery>(active.map((r) => [r.offboarding.id, disc]));
  await eachRun(deps, active, (run) => executeActions(deps, run, planFor(deps, run, disc, 0), 0, ctx));

  for (let round = 1; round <= deps.config.worker.verifyRounds && !batch.cut; round++) {
    const verifying = active.filter((r) => !r.offboarding.dryRun && !r.broken);
    if (!(await mayVerify(deps, verifying, batch, ctx))) break;
    disc = await discoverAndAudit(deps, verifying, round, ctx);
    for (const r of verifying) lastDiscovery.set(r.offboarding.id, disc);
    const plans = new Map(verifying.map((run) => [run, planFor(deps, run, disc, round)]));
    const more = [...plans.values()].some((p) => p.some((a) => a.decision === 'revoke'));
    // With nothing revocable left this only records new skips (e.g. an owner found meanwhile).
    await eachRun(deps, verifying, (run) => executeActions(deps, run, plans.get(run)!, round, ctx));
    if (!more) break;
  }

  await settle(deps, active, batch, lastDiscovery, verdicts);
  return verdicts;
}

/**
 * Whether another verification round may start: there is a run to verify, the deadline leaves
 * time, and the kill switch is off (when on, the batch stops and each run audits why).
 */
async function mayVerify(
  deps: EngineDeps,
  verifying: WorkerRun[],
  batch: BatchState,
  ctx: Ctx,
): Promise<boolean> {
  if (verifying.length === 0) return false;
  if (deadlineNear(deps, ctx)) {
    batch.cut = true;
    return false;
  }
  const ks = await killSwitchState(deps);
  if (ks.enabled) {
    batch.cut = true;
    await eachRun(deps, verifying, (run) => auditKillSwitchStop(deps, run, ks));
    return false;
  }
  return true;
}

/** Finishes every run that got through (or leaves it for the next delivery). */
async function settle(
  deps: EngineDeps,
  active: WorkerRun[],
  batch: BatchState,
  lastDiscovery: Map<string, Discovery>,
  verdicts: Map<string, Verdict>,
): Promise<void> {
  // Cut while the kill switch is on (not by the deadline): held in the store, messages deleted.
  const ks = batch.cut ? await killSwitchState(deps).catch(() => undefined) : undefined;
  for (const run of active) {
    if (batch.cut && !run.broken && ks?.enabled && !run.offboarding.dryRun) {
      if (await holdForKillSwitch(deps, run.offboarding, ks, run.actor)) {
        verdicts.set(run.offboarding.id, 'done');
        continue;
      }
    }
    const disc = lastDiscovery.get(run.offboarding.id);
    if (batch.cut || run.broken || !disc) {
      await releaseLease(deps, run.offboarding);
      verdicts.set(run.offboarding.id, 'retry');
      continue;
    }
    try {
      await finish(deps, run, disc);
      verdicts.set(run.offboarding.id, 'done');
    } catch (e) {
      deps.log.error('could not finish offboarding; left for the next delivery', {
        offboardingId: run.offboarding.id,
        errorCode: isLeaverError(e) ? e.code : 'internal',
      });
      await releaseLease(deps, run.offboarding);
      verdicts.set(run.offboarding.id, 'retry');
    }
  }
}

/**
 * An inventory-first batch. First pass (runs that have not had one): the grants already known
 * (core/first-pass.ts) are revoked at once, invitations first; owner grants wait for a listing.
 * A full batch then leaves its verification to a later delivery (see processOffboardings). The
 * verification rounds list every tenant again, each time through a listing that started after the
 * batch's last revocation; what they find that the first pass did not know is revoked too and
 * counted (`missedByInventory`, on the round's `discovered` record and on the offboarding). The
 * blast-radius share limit applies to every pass: the first pass may not have seen a tenant.
 */
async function runInventoryBatch(
  deps: EngineDeps & { inventory: InventoryStore },
  runs: WorkerRun[],
  batch: BatchState,
  ctx: Ctx,
  defer: boolean,
): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>();
  if (runs.length === 0) return verdicts;
  const lastDiscovery = new Map<string, Discovery>();
  let active = runs;
  let notBefore = Math.max(0, ...runs.map((r) => r.verifyFrom ?? 0));
  const first = runs.filter((r) => r.verifyFrom === undefined);
  if (first.length > 0) {
    const fp = await firstPass(
      deps,
      first.map((r) => r.offboarding.subject),
      ctx,
    );
    const plans = new Map(first.map((run) => [run, firstPlan(deps, run, fp.disc)]));
    await auditDiscovered(deps, first, fp.disc, 0, (run) => ({
      source: 'inventory',
      known: plans.get(run)!.known.size,
      fromInventory: fp.fromInventory,
      listed: fp.listed,
    }));
    const quarantined = await applyShareGuard(deps, first, fp.disc, (run) => plans.get(run)!.planned);
    for (const id of quarantined) verdicts.set(id, 'done');
    active = runs.filter((r) => !quarantined.has(r.offboarding.id));
    const firsts = first.filter((r) => !quarantined.has(r.offboarding.id));
    for (const run of firsts) {
      // A first pass cut short (deadline, kill switch) and run again: what it revoked then has left
      // the inventory but was known all the same.
      const before = [...run.stored.values()].filter((a) => a.known).map((a) => a.grantKey);
      run.knownKeys = new Set([...plans.get(run)!.known, ...before]);
      lastDiscovery.set(run.offboarding.id, fp.disc);
    }
    await eachRun(deps, firsts, (run) => executeActions(deps, run, plans.get(run)!.planned, 0, ctx));
    await forgetRevoked(deps, firsts);
    const passEnd = nowMs(deps);
    for (const run of firsts) run.verifyFrom = passEnd;
    notBefore = Math.max(notBefore, passEnd);
    if (defer && !batch.cut && deps.config.worker.verifyRounds > 0) {
      const deferred = new Set<WorkerRun>();
      for (const run of firsts.filter((r) => !r.broken)) {
        if (await deferVerification(deps, run, ctx)) {
          deferred.add(run);
          verdicts.set(run.offboarding.id, 'done');
        }
      }
      active = active.filter((r) => !deferred.has(r));
    }
  }

  for (let round = 1; round <= deps.config.worker.verifyRounds && !batch.cut; round++) {
    const verifying = active.filter((r) => !r.broken);
    if (!(await mayVerify(deps, verifying, batch, ctx))) break;
    const disc = await discoverAll(
      deps,
      verifying.map((r) => r.offboarding.subject),
      ctx,
      deps.config.tenants,
      { notBefore },
    );
    const plans = new Map(verifying.map((run) => [run, planFor(deps, run, disc, round)]));
    const missed = (run: WorkerRun) =>
      plans.get(run)!.filter((p) => p.decision === 'revoke' && !run.knownKeys?.has(p.key)).length;
    await auditDiscovered(deps, verifying, disc, round, (run) => ({ missedByInventory: missed(run) }));
    const quarantined = await applyShareGuard(deps, verifying, disc, (run) => plans.get(run)!);
    for (const id of quarantined) verdicts.set(id, 'done');
    active = active.filter((r) => !quarantined.has(r.offboarding.id));
    const going = verifying.filter((r) => !quarantined.has(r.offboarding.id));
    for (const r of going) lastDiscovery.set(r.offboarding.id, disc);
    const more = going.some((run) => plans.get(run)!.some((a) => a.decision === 'revoke'));
    await eachRun(deps, going, (run) => executeActions(deps, run, plans.get(run)!, round, ctx));
    await forgetRevoked(deps, going);
    notBefore = nowMs(deps);
    if (!more) break;
  }
  await settle(deps, active, batch, lastDiscovery, verdicts);
  return verdicts;
}

/** The first pass's plan: every known grant counts as known; owner grants wait for a listing. */
function firstPlan(
  deps: EngineDeps,
  run: WorkerRun,
  disc: Discovery,
): { planned: PlannedAction[]; known: Set<string> } {
  const all = planGrants([...grantsOf(run.offboarding.subject, disc.grants), ...run.dangling], {
    safety: deps.config.safety,
  });
  const planned = all.filter(
    (p) => !p.grant.owner && (p.decision === 'skip' || !isFinal(run.stored.get(p.key))),
  );
  return { planned, known: new Set(all.map((p) => p.key)) };
}

/** Revoked and absent grants leave the inventory and this process's kept listings. */
async function forgetRevoked(deps: EngineDeps, runs: WorkerRun[]): Promise<void> {
  const gone: Grant[] = [];
  for (const run of runs) {
    for (const a of run.stored.values()) {
      if (a.outcome === 'revoked' || a.outcome === 'already_absent') gone.push(a.grant);
    }
  }
  for (const g of gone) deps.listings?.forget(g);
  if (!deps.inventory || gone.length === 0) return;
  try {
    await deps.inventory.forget(gone);
  } catch (e) {
    // The next sync removes them anyway; the lookup meanwhile shows them with their older time.
    deps.log.warn('could not update the inventory after revocations', {
      errorCode: isLeaverError(e) ? e.code : 'internal',
    });
  }
}

/**
 * Leaves the run's verification to a later delivery: records where its first pass ended, frees
 * the claim and queues it again. False (and the run goes on here) when that cannot be done.
 */
async function deferVerification(deps: EngineDeps, run: WorkerRun, ctx: Ctx): Promise<boolean> {
  const off = run.offboarding;
  try {
    await deps.store.update(off.id, 'running', {
      verifyFrom: new Date(run.verifyFrom!).toISOString(),
      knownByInventory: run.knownKeys?.size ?? 0,
      leaseUntil: deps.clock.now().toISOString(),
    });
  } catch {
    return false;
  }
  try {
    await deps.queue.enqueue(off.id);
    return true;
  } catch (e) {
    deps.log.warn('could not queue a verification; verifying now', {
      offboardingId: off.id,
      errorCode: isLeaverError(e) ? e.code : 'internal',
    });
    try {
      await deps.store.update(off.id, 'running', { leaseUntil: leaseUntil(deps, ctx) });
    } catch {
      // Another delivery may take it over: it finds the same state and verifies.
    }
    return false;
  }
}

/**
 * Quarantines the runs that would take the people removed from a tenant within the blast-radius
 * window, counted across every batch and worker, past `maxPercentOfPeople` % of the people its
 * connector saw plus those removed earlier in the window (who no longer show). Each tenant and window
 * has one atomic set of the people removed (by primary email):
 * a batch's new people are added only if the set then stays within the limit, else they are held.
 * Released runs (a person let them through) are counted but never held; dry runs are not counted.
 */
async function applyShareGuard(
  deps: EngineDeps,
  runs: WorkerRun[],
  disc: Discovery,
  plan: (run: WorkerRun) => PlannedAction[] = (run) => planFor(deps, run, disc, 0),
): Promise<Set<string>> {
  const out = new Set<string>();
  const maxPercent = deps.config.safety.blastRadius.maxPercentOfPeople;
  // The share is of the people there were, the removed included: 100 % can never be exceeded.
  if (maxPercent >= 100) return out;
  const window = blastWindow(deps);
  const person = (run: WorkerRun) => normaliseEmail(run.offboarding.subject.email);
  const candidates = runs.filter((r) => !r.offboarding.dryRun);
  for (const [tenantId, seen] of disc.peopleSeen) {
    if (seen <= 0) continue;
    const removing = candidates.filter(
      (run) =>
        !out.has(run.offboarding.id) &&
        plan(run).some((p) => p.decision === 'revoke' && p.grant.tenantId === tenantId),
    );
    if (removing.length === 0) continue;
    const key = `blast:share:${tenantId}:${window.key}`;
    const opts = { expiresAt: window.end };
    // Released runs are counted unconditionally; the same call (with none, a plain read) returns
    // who was removed so far in the window.
    const released = removing.filter((r) => r.offboarding.releasedAt).map(person);
    const sofar = await deps.store.addToBoundedSet(key, released, Number.MAX_SAFE_INTEGER, opts);
    const held = removing.filter((r) => !r.offboarding.releasedAt);
    if (held.length === 0) continue;
    // People removed earlier in this window no longer show at the vendor, so `seen` shrinks as a
    // layoff proceeds: count them back in, or the limit would tighten with every batch.
    const batchPeople = new Set(removing.map(person));
    const goneEarlier = sofar.members.filter((m) => !batchPeople.has(m)).length;
    const limit = maxPeopleRemoved(seen + goneEarlier, maxPercent);
    const claim = await deps.store.addToBoundedSet(key, held.map(person), limit, opts);
    if (claim.added) continue;
    const counted = new Set(claim.members);
    const refused = held.filter((r) => !counted.has(person(r)));
    const people = new Set([...counted, ...refused.map(person)]).size;
    for (const run of refused) {
      await quarantine(deps, run.offboarding, ['running'], {
        reason: 'share',
        tenantId,
        people,
        peopleSeen: seen,
        maxPercentOfPeople: maxPercent,
        window: window.start,
      });
      out.add(run.offboarding.id);
    }
  }
  return out;
}

async function finish(deps: EngineDeps, run: WorkerRun, disc: Discovery): Promise<void> {
  const off = run.offboarding;
  // A failed grant the last successful listing no longer shows is gone: verified absent.
  const present = new Set(grantsOf(off.subject, disc.grants).map((g) => grantKey(g)));
  for (const a of [...run.stored.values()]) {
    if (a.outcome !== 'failed' || !disc.okTenants.has(a.grant.tenantId) || present.has(a.grantKey)) continue;
    const result: ActionResult = {
      ...a,
      outcome: 'already_absent',
      errorCode: undefined,
      at: deps.clock.now().toISOString(),
    };
    await auditOffboarding(deps, off, 'action_finished', run.actor, {
      vendor: a.grant.vendor,
      tenantId: a.grant.tenantId,
      grantKey: a.grantKey,
      grant: a.grant,
      outcome: 'already_absent',
      attempt: run.attempt,
      detail: { verifiedAbsent: true, previousErrorCode: a.errorCode },
    });
    await deps.store.putAction(off.id, result);
    run.stored.set(a.grantKey, result);
  }

  const actions = [...run.stored.values()];
  const counts = countActions(actions);
  const failedTenants = disc.failures;
  const failed = !off.dryRun && (counts.failed > 0 || failedTenants.length > 0);
  const ttr = computeTimeToRevoke(off, actions);
  const now = deps.clock.now();
  const retry = deps.config.schedules.retry;
  const exhausted = failed && off.attempts >= retry.maxAttempts;
  const nextRetryAt =
    failed && !exhausted
      ? new Date(now.getTime() + retryDelayMs(off.attempts, retry)).toISOString()
      : undefined;
  const status = failed ? 'completed_with_failures' : 'completed';
  const inventory = run.knownKeys ? inventoryCounts(run) : undefined;
  await deps.store.transition(off.id, ['running'], status, {
    finishedAt: now.toISOString(),
    counts,
    ...(inventory ?? {}),
    verifyFrom: undefined,
    lastRevokedAt: ttr.lastRevokedAt,
    timeToRevokeMs: ttr.timeToRevokeMs,
    timeToRevokeByVendorMs: ttr.timeToRevokeByVendorMs,
    nextRetryAt,
    leaseUntil: undefined,
    failedTenants: failedTenants.length > 0 ? failedTenants : undefined,
  });
  await auditOffboarding(deps, off, 'finished', run.actor, {
    attempt: run.attempt,
    detail: {
      status,
      counts,
      timeToRevokeMs: ttr.timeToRevokeMs,
      timeToRevokeByVendorMs: ttr.timeToRevokeByVendorMs,
      failedTenants,
      ...(inventory ?? {}),
    },
  });
  if (!failed) return;
  const vendors = [
    ...new Set([
      ...actions.filter((a) => a.outcome === 'failed').map((a) => a.grant.vendor),
      ...failedTenants.map((f) => f.vendor),
    ]),
  ];
  // Which tenants could not be read, and why (tenant ids and error codes only): a vendor whose
  // answers changed shape (vendor_unexpected_response) needs a person, not just the retry.
  const unread = failedTenants.map((f) => `${f.tenantId}: ${f.errorCode}`).join(', ');
  await notify(deps, {
    kind: 'failure',
    offboardingId: off.id,
    vendor: vendors.length === 1 ? vendors[0] : undefined,
    tenantId: failedTenants.length === 1 ? failedTenants[0]!.tenantId : undefined,
    message: `Offboarding of ${subjectRef(off.subject.email)} finished with ${counts.failed} failed action(s) and ${failedTenants.length} unreadable tenant(s)${unread ? ` (${unread})` : ''} at ${vendors.join(', ')}`,
  });
  if (exhausted) {
    await retryExhausted(deps, off, run.actor);
  } else {
    await auditOffboarding(deps, off, 'retry_scheduled', run.actor, {
      attempt: run.attempt,
      detail: { nextRetryAt },
    });
  }
}

/**
 * Known: grants the first pass knew. Missed: grants a verification round found that it did not
 * know (revoked, found gone, or failed; skips are not access removed).
 */
function inventoryCounts(run: WorkerRun): { knownByInventory: number; missedByInventory: number } {
  let missed = 0;
  for (const a of run.stored.values()) {
    if (a.pass >= 1 && !a.known && !run.knownKeys?.has(a.grantKey) && a.outcome !== 'skipped') missed++;
  }
  const known = run.offboarding.knownByInventory ?? run.knownKeys?.size ?? 0;
  return { knownByInventory: known, missedByInventory: missed };
}

export async function retryExhausted(deps: EngineDeps, off: Offboarding, actor: string): Promise<void> {
  await auditOffboarding(deps, off, 'retry_exhausted', actor, {
    attempt: off.attempts,
    detail: { maxAttempts: deps.config.schedules.retry.maxAttempts },
  });
  await notify(deps, {
    kind: 'retry_exhausted',
    offboardingId: off.id,
    message: `Gave up retrying after ${off.attempts} attempt(s): ${subjectRef(off.subject.email)} may still have access; retry it by hand`,
  });
}

async function releaseLease(deps: EngineDeps, off: Offboarding): Promise<void> {
  try {
    await deps.store.update(off.id, 'running', { leaseUntil: deps.clock.now().toISOString() });
  } catch {
    // The lease lapses on its own.
  }
}
