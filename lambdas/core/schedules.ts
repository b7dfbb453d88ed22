/**
 * The scheduled jobs.
 * - dueSweep: enqueues scheduled offboardings whose effective time has come, and `running` ones
 *   whose worker's lease lapsed without finishing (a lost message or a killed process). Holds while
 *   the kill switch is on (nothing would run; the next sweep after it is off enqueues them). Then a
 *   step of the recovery pass (recovery.ts), which finds what the status index lost.
 * - reconcile: offboardings finished in the last `reconcileLookbackDays` are discovered again in
 *   batches (each tenant listed once per batch); a revocable grant found (someone re-invited the
 *   leaver) is audited `reinvited`, revoked, and notified. Failed grants are left to the retry sweep.
 *   The kill switch is re-checked for every leaver (and before every vendor call). A run cut short
 *   (deadline or kill switch) stores a cursor: the next run starts after the last leaver it checked
 *   and wraps around, so every leaver of the window is checked in turn. A tenant whose answers do
 *   not match their schema is alerted once per run.
 * - retrySweep: `completed_with_failures` offboardings whose `nextRetryAt` has come go back to
 *   `scheduled` and onto the queue (the worker moves them to running); the worker stops scheduling
 *   retries after `schedules.retry.maxAttempts` runs and audits and notifies `retry_exhausted`.
 */
import { countActions, executeActions, newBatchState, type RunState } from './actions.ts';
import { allPages } from './concurrency.ts';
import { ACTORS, type EngineDeps } from './deps.ts';
import { discoverAll, grantsOf, type TenantFailure } from './discovery.ts';
import { isLeaverError } from './errors.ts';
import { killSwitchState } from './guards.ts';
import { enqueueQuietly } from './intake.ts';
import { auditOffboarding, deadlineNear, leaseHeld, retryDelayMs } from './lifecycle.ts';
import type { ActionResult, Offboarding, OffboardingStatus } from './model.ts';
import { notify, subjectRef } from './notifications.ts';
import { planGrants } from './plan.ts';
import type { Ctx } from './ports.ts';
import { type RecoveryResult, recoveryStep } from './recovery.ts';
import { retryExhausted } from './worker.ts';

const DAY_MS = 86_400_000;
/** Leavers discovered together by reconciliation (one listing per tenant per batch). */
export const RECONCILE_BATCH = 25;

export interface SweepResult {
  enqueued: number;
  /** Offboardings it should have enqueued but could not (the queue refused): the run failed. */
  failed: number;
  held?: boolean;
}

export async function dueSweep(
  deps: EngineDeps,
): Promise<SweepResult & { stale: number; recovery?: RecoveryResult & { passDone: boolean } }> {
  if ((await killSwitchState(deps)).enabled) {
    deps.log.info('due sweep held by the kill switch');
    return { enqueued: 0, failed: 0, stale: 0, held: true };
  }
  const now = deps.clock.now();
  const due = await deps.store.due(now.toISOString(), 500);
  const running = await allPages((cursor) => deps.store.query({ status: 'running', cursor, limit: 500 }));
  const stale = running.filter((o) => !leaseHeld(o, now, deps.leaseHolder));
  let enqueued = 0;
  let failed = 0;
  const sent = new Set<string>();
  for (const off of [...due, ...stale]) {
    if (await enqueueQuietly(deps, off.id)) {
      enqueued++;
      sent.add(off.id);
    } else failed++;
  }
  // The safety net for what the index lost: a few pages of a table pass, when a pass is due.
  const recovery = await recoveryStep(deps, { alreadyEnqueued: sent });
  if (!recovery || (recovery.enqueued === 0 && recovery.repaired === 0))
    return { enqueued, failed, stale: stale.length };
  return { enqueued: enqueued + recovery.enqueued, failed, stale: stale.length, recovery };
}

export interface ReconcileResult {
  checked: number;
  /** Tenant listings that failed (their grants could not be checked this time). */
  unreadTenants: number;
  reinvited: number;
  revoked: number;
  failed: number;
  held?: boolean;
  /** True when the deadline stopped it before every batch was checked. */
  partial?: boolean;
}

async function recentlyFinished(deps: EngineDeps): Promise<Offboarding[]> {
  const now = deps.clock.now().getTime();
  const cutoff = now - deps.config.schedules.reconcileLookbackDays * DAY_MS;
  // The store bounds status queries by a time that precedes finishing: read twice the window back.
  const from = new Date(now - 2 * deps.config.schedules.reconcileLookbackDays * DAY_MS).toISOString();
  const out: Offboarding[] = [];
  for (const status of ['completed', 'completed_with_failures'] as OffboardingStatus[]) {
    const items = await allPages((cursor) => deps.store.query({ status, from, cursor, limit: 500 }));
    out.push(...items.filter((o) => !o.dryRun && o.finishedAt && Date.parse(o.finishedAt) >= cutoff));
  }
  return out;
}

/** The named cursor where reconciliation remembers the last leaver a cut-short run checked. */
export const RECONCILE_CURSOR = 'reconcile';

/**
 * The leavers in the order this run checks them: by id (ids sort by creation), starting after the
 * last one an earlier, cut-short run checked and wrapping around, so that runs which each run out of
 * time still check every leaver of the window in turn.
 */
function rotate(offs: Offboarding[], cursor: string | undefined): Offboarding[] {
  const sorted = [...offs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (cursor === undefined) return sorted;
  const start = sorted.findIndex((o) => o.id > cursor);
  return start <= 0 ? sorted : [...sorted.slice(start), ...sorted.slice(0, start)];
}

/**
 * Tenant failures reconciliation alerts: a vendor whose answers no longer match their schema
 * (vendor_unexpected_response) blinds it to re-invitations there until a person looks; an outage
 * heals by itself, and the next run reads the tenant again.
 */
const ALERTED_TENANT_FAILURES = new Set(['vendor_unexpected_response']);

export async function reconcile(deps: EngineDeps, ctx: Ctx): Promise<ReconcileResult> {
  const unread = new Map<string, TenantFailure>();
  const result = await reconcileLeavers(deps, ctx, unread);
  if (unread.size > 0) {
    const failures = [...unread.values()];
    const vendors = [...new Set(failures.map((f) => f.vendor))];
    await notify(deps, {
      kind: 'failure',
      vendor: vendors.length === 1 ? vendors[0] : undefined,
      tenantId: failures.length === 1 ? failures[0]!.tenantId : undefined,
      message: `Reconciliation could not read ${failures.map((f) => `${f.tenantId} (${f.errorCode})`).join(', ')}: re-invitations there go unseen until its answers match what Leaver expects`,
    });
  }
  return result;
}

async function reconcileLeavers(
  deps: EngineDeps,
  ctx: Ctx,
  unread: Map<string, TenantFailure>,
): Promise<ReconcileResult> {
  const result: ReconcileResult = { checked: 0, unreadTenants: 0, reinvited: 0, revoked: 0, failed: 0 };
  if ((await killSwitchState(deps)).enabled) return { ...result, held: true };
  const cursor = await deps.store.getCursor(RECONCILE_CURSOR);
  const offs = rotate(await recentlyFinished(deps), cursor);
  let lastChecked: string | undefined;
  /** Stops early: the next run starts after the last leaver fully checked. */
  const stop = async (extra: Partial<ReconcileResult> = {}): Promise<ReconcileResult> => {
    if (lastChecked !== undefined) await deps.store.setCursor(RECONCILE_CURSOR, lastChecked);
    return { ...result, partial: true, ...extra };
  };
  for (let i = 0; i < offs.length; i += RECONCILE_BATCH) {
    if (deadlineNear(deps, ctx)) return stop();
    const batchOffs = offs.slice(i, i + RECONCILE_BATCH);
    const disc = await discoverAll(
      deps,
      batchOffs.map((o) => o.subject),
      ctx,
    );
    result.unreadTenants += disc.failures.length;
    for (const f of disc.failures) if (ALERTED_TENANT_FAILURES.has(f.errorCode)) unread.set(f.tenantId, f);
    const batch = newBatchState();
    for (const off of batchOffs) {
      // Re-checked for every leaver (and before every vendor call, by executeActions).
      if ((await killSwitchState(deps)).enabled) return stop({ held: true });
      const stored = new Map<string, ActionResult>();
      for (const a of await deps.store.listActions(off.id)) stored.set(a.grantKey, a);
      // New access only: grants already failed are the retry sweep's, skips were already recorded.
      const found = planGrants(grantsOf(off.subject, disc.grants), { safety: deps.config.safety }).filter(
        (p) => p.decision === 'revoke' && stored.get(p.key)?.outcome !== 'failed',
      );
      if (found.length === 0) {
        result.checked++;
        lastChecked = off.id;
        continue;
      }
      const run: RunState = {
        offboarding: off,
        actor: ACTORS.reconcile,
        attempt: off.attempts,
        stored,
        failedThisRun: new Set(),
        batch,
        reinvited: true,
      };
      for (const p of found) {
        await auditOffboarding(deps, off, 'reinvited', ACTORS.reconcile, {
          vendor: p.grant.vendor,
          tenantId: p.grant.tenantId,
          grantKey: p.key,
          grant: p.grant,
        });
      }
      await executeActions(deps, run, found, 0, ctx);
      result.reinvited++;
      const outcomes = found.map((p) => stored.get(p.key)?.outcome);
      result.revoked += outcomes.filter((o) => o === 'revoked' || o === 'already_absent').length;
      result.failed += outcomes.filter((o) => o === 'failed').length;
      try {
        const counts = countActions(stored.values());
        if (outcomes.includes('failed')) {
          // A re-invitation we could not remove: the retry sweep takes the offboarding up again.
          await deps.store.transition(off.id, [off.status], 'completed_with_failures', {
            counts,
            nextRetryAt: new Date(
              deps.clock.now().getTime() + retryDelayMs(1, deps.config.schedules.retry),
            ).toISOString(),
          });
        } else {
          await deps.store.update(off.id, off.status, { counts });
        }
      } catch (e) {
        if (!(isLeaverError(e) && e.code === 'conflict')) throw e;
      }
      const vendors = [...new Set(found.map((p) => p.grant.vendor))];
      await notify(deps, {
        kind: 'reinvited',
        offboardingId: off.id,
        vendor: vendors.length === 1 ? vendors[0] : undefined,
        message: `${subjectRef(off.subject.email)} had access again after offboarding (${found.length} grant(s) at ${vendors.join(', ')}); ${batch.cut ? 'revocation interrupted, the next run continues' : 'revoked'}`,
      });
      // Cut by the deadline or the kill switch: this leaver is checked again first next time.
      if (batch.cut) return stop(run.killSwitchStopped ? { held: true } : {});
      result.checked++;
      lastChecked = off.id;
    }
  }
  // Every leaver was checked: the next run starts from the first again.
  if (cursor !== undefined) await deps.store.setCursor(RECONCILE_CURSOR, undefined);
  return result;
}

export async function retrySweep(deps: EngineDeps): Promise<SweepResult & { exhausted: number }> {
  if ((await killSwitchState(deps)).enabled) return { enqueued: 0, failed: 0, exhausted: 0, held: true };
  const now = deps.clock.now();
  const failed = await allPages((cursor) =>
    deps.store.query({ status: 'completed_with_failures', cursor, limit: 500 }),
  );
  let enqueued = 0;
  let notEnqueued = 0;
  let exhausted = 0;
  for (const off of failed) {
    if (!off.nextRetryAt || Date.parse(off.nextRetryAt) > now.getTime()) continue;
    try {
      if (off.attempts >= deps.config.schedules.retry.maxAttempts) {
        await deps.store.update(off.id, 'completed_with_failures', { nextRetryAt: undefined });
        await retryExhausted(deps, off, ACTORS.retrySweep);
        exhausted++;
        continue;
      }
      await deps.store.transition(off.id, ['completed_with_failures'], 'scheduled', {
        nextRetryAt: undefined,
        leaseUntil: undefined,
      });
    } catch (e) {
      if (isLeaverError(e) && e.code === 'conflict') continue;
      throw e;
    }
    // Left `scheduled` when the queue refuses: the due sweep enqueues it later, but the run failed.
    if (await enqueueQuietly(deps, off.id)) enqueued++;
    else notEnqueued++;
  }
  return { enqueued, failed: notEnqueued, exhausted };
}
