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
import { ACTORS, type EngineDeps } from './deps.ts';
import { type Discovery, discoverAll, grantsOf } from './discovery.ts';
import { isLeaverError } from './errors.ts';
import { blastWindow, killSwitchState, maxPeopleRemoved } from './guards.ts';
import { holdForKillSwitch } from './hold.ts';
import { auditOffboarding, deadlineNear, retryDelayMs } from './lifecycle.ts';
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
      runs = await Promise.all(claimed.map((off) => newRun(deps, off, batch, resumed.has(off.id))));
      for (const [id, v] of await runBatch(deps, runs, batch, ctx)) verdicts.set(id, v);
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
  return {
    offboarding: off,
    actor: ACTORS.worker,
    attempt: off.attempts,
    stored,
    failedThisRun: new Set(),
    batch,
    dangling,
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
): Promise<Discovery> {
  const disc = await discoverAll(
    deps,
    runs.map((r) => r.offboarding.subject),
    ctx,
  );
  await eachRun(deps, runs, async (run) => {
    const mine = grantsOf(run.offboarding.subject, disc.grants);
    const byVendor: Record<string, number> = {};
    for (const g of mine) byVendor[g.vendor] = (byVendor[g.vendor] ?? 0) + 1;
    await auditOffboarding(deps, run.offboarding, 'discovered', run.actor, {
      attempt: run.attempt,
      detail: { pass, grants: mine.length, byVendor, failedTenants: disc.failures },
    });
  });
  return disc;
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
  let disc = await discoverAndAudit(deps, runs, 0, ctx);
  const quarantined = await applyShareGuard(deps, runs, disc);
  for (const id of quarantined) verdicts.set(id, 'done');
  const active = runs.filter((r) => !quarantined.has(r.offboarding.id));
  const lastDiscovery = new Map<string, Discovery>(active.map((r) => [r.offboarding.id, disc]));
  await eachRun(deps, active, (run) => executeActions(deps, run, planFor(deps, run, disc, 0), 0, ctx));

  for (let round = 1; round <= deps.config.worker.verifyRounds && !batch.cut; round++) {
    const verifying = active.filter((r) => !r.offboarding.dryRun && !r.broken);
    if (verifying.length === 0) break;
    if (deadlineNear(deps, ctx)) {
      batch.cut = true;
      break;
    }
    const ks = await killSwitchState(deps);
    if (ks.enabled) {
      batch.cut = true;
      await eachRun(deps, verifying, (run) => auditKillSwitchStop(deps, run, ks));
      break;
    }
    disc = await discoverAndAudit(deps, verifying, round, ctx);
    for (const r of verifying) lastDiscovery.set(r.offboarding.id, disc);
    const plans = new Map(verifying.map((run) => [run, planFor(deps, run, disc, round)]));
    const more = [...plans.values()].some((p) => p.some((a) => a.decision === 'revoke'));
    // With nothing revocable left this only records new skips (e.g. an owner found meanwhile).
    await eachRun(deps, verifying, (run) => executeActions(deps, run, plans.get(run)!, round, ctx));
    if (!more) break;
  }

  // Cut while the kill switch is on (not by the deadline): held in the store, messages deleted.
  const ks = batch.cut ? await killSwitchState(deps).catch(() => undefined) : undefined;
  for (const run of active) {
    if (batch.cut && !run.broken && ks?.enabled && !run.offboarding.dryRun) {
      if (await holdForKillSwitch(deps, run.offboarding, ks, run.actor)) {
        verdicts.set(run.offboarding.id, 'done');
        continue;
      }
    }
    if (batch.cut || run.broken) {
      await releaseLease(deps, run.offboarding);
      verdicts.set(run.offboarding.id, 'retry');
      continue;
    }
    try {
      await finish(deps, run, lastDiscovery.get(run.offboarding.id)!);
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
  return verdicts;
}

/**
 * Quarantines the runs that would take the people removed from a tenant within the blast-radius
 * window, counted across every batch and worker, past `maxPercentOfPeople` % of the people its
 * connector saw plus those removed earlier in the window (who no longer show). Each tenant and window
 * has one atomic set of the people removed (by primary email):
 * a batch's new people are added only if the set then stays within the limit, else they are held.
 * Released runs (a person let them through) are counted but never held; dry runs are not counted.
 */
async function applyShareGuard(deps: EngineDeps, runs: WorkerRun[], disc: Discovery): Promise<Set<string>> {
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
        planFor(deps, run, disc, 0).some((p) => p.decision === 'revoke' && p.grant.tenantId === tenantId),
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
  await deps.store.transition(off.id, ['running'], status, {
    finishedAt: now.toISOString(),
    counts,
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
