/**
 * Executing planned actions for one offboarding: `action_started` is audited before each vendor
 * call and `action_finished` after it (outcome, error code, vendor request id, duration, attempt),
 * and the result is stored as the worker's memory across redeliveries. Actions of one tenant run in
 * waves (invitations, then memberships by order), in parallel inside a wave up to the tenant's
 * `maxConcurrency`; tenants run in parallel. When a tenant's vendor is down (a retryable vendor error
 * after the HTTP layer's own retries), its remaining actions fail at once without a call, so one
 * outage fails only that vendor's actions. The kill switch is checked before every vendor call (the
 * flag read is cached for at most a second): switched on mid-run, it stops the run as the deadline
 * does (what is left waits for the next delivery) and is audited on the offboarding.
 */

import { mapLimit } from './concurrency.ts';
import type { TenantConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { type LeaverError, toLeaverError } from './errors.ts';
import { type KillSwitchCache, type KillSwitchState, killSwitchCached } from './guards.ts';
import { auditOffboarding, deadlineNear } from './lifecycle.ts';
import type { ActionResult, Offboarding } from './model.ts';
import { notify, subjectRef } from './notifications.ts';
import { type PlannedAction, revocationWaves } from './plan.ts';
import type { Ctx } from './ports.ts';

/** Shared by every offboarding of one batch. */
export interface BatchState {
  /** Tenant id -> the error code that marked its vendor down in this run. */
  downTenants: Map<string, string>;
  /** Set when the deadline (or the kill switch) stopped the run: what is left waits for the next delivery. */
  cut: boolean;
  /** The kill switch as last read (checked before every vendor call, re-read at most once a second). */
  killSwitch: KillSwitchCache;
}

export interface RunState {
  offboarding: Offboarding;
  actor: string;
  /** The offboarding's run number (Offboarding.attempts) recorded on each action. */
  attempt: number;
  /** grantKey -> latest stored result (from store.listActions, kept current). */
  stored: Map<string, ActionResult>;
  /** Grants that failed in this run: not retried before the next run. */
  failedThisRun: Set<string>;
  batch: BatchState;
  /** Reconciliation: every result is marked `reinvited`. */
  reinvited?: boolean;
  /** Set once the kill switch stopped this run (its `kill_switch` record is written once). */
  killSwitchStopped?: boolean;
  /** Keys of the grants its first pass knew: their results are marked `known`. */
  knownKeys?: ReadonlySet<string>;
}

const VENDOR_DOWN_CODES = new Set([
  'vendor_unavailable',
  'vendor_timeout',
  'vendor_network',
  'vendor_rate_limited',
  'vendor_auth',
  'secret_unavailable',
  'config_invalid',
]);

export function newBatchState(): BatchState {
  return { downTenants: new Map(), cut: false, killSwitch: {} };
}

export async function executeActions(
  deps: EngineDeps,
  run: RunState,
  planned: readonly PlannedAction[],
  pass: number,
  ctx: Ctx,
): Promise<void> {
  const byTenant = new Map<string, PlannedAction[]>();
  for (const p of planned) byTenant.set(p.grant.tenantId, [...(byTenant.get(p.grant.tenantId) ?? []), p]);
  await Promise.all(
    [...byTenant.entries()].map(async ([tenantId, actions]) => {
      const tenant = deps.config.tenants.find((t) => t.id === tenantId);
      for (const wave of revocationWaves(actions)) {
        if (run.batch.cut) return;
        await mapLimit(wave, tenant?.maxConcurrency ?? 4, (p) => executeOne(deps, run, p, pass, ctx, tenant));
      }
    }),
  );
}

async function executeOne(
  deps: EngineDeps,
  run: RunState,
  p: PlannedAction,
  pass: number,
  ctx: Ctx,
  tenant: TenantConfig | undefined,
): Promise<void> {
  const { grant, key } = p;
  const prev = run.stored.get(key);
  const base = { grantKey: key, grant, pass, ...(run.reinvited ? { reinvited: true } : {}) };
  const auditExtra = {
    vendor: grant.vendor,
    tenantId: grant.tenantId,
    grantKey: key,
    grant,
    attempt: run.attempt,
  };

  if (p.decision === 'skip') {
    if (prev?.outcome === 'skipped' && prev.skipReason === p.skipReason) return;
    const result: ActionResult = {
      ...base,
      outcome: 'skipped',
      skipReason: p.skipReason,
      attempts: 0,
      durationMs: 0,
      at: deps.clock.now().toISOString(),
    };
    await auditOffboarding(deps, run.offboarding, 'action_finished', run.actor, {
      ...auditExtra,
      outcome: 'skipped',
      skipReason: p.skipReason,
    });
    await store(deps, run, result);
    if (p.skipReason === 'last_owner' || p.skipReason === 'protected_account') {
      await notify(deps, {
        kind: p.skipReason,
        offboardingId: run.offboarding.id,
        vendor: grant.vendor,
        tenantId: grant.tenantId,
        message:
          p.skipReason === 'last_owner'
            ? `Not removed: ${subjectRef(grant.email)} is the last owner of ${grant.kind} ${grant.scopeName ?? ''}`.trim()
            : `Not removed: ${subjectRef(grant.email)} is a protected account (${grant.kind})`,
      });
    }
    return;
  }

  if (run.batch.cut) return;
  if (deadlineNear(deps, ctx)) {
    run.batch.cut = true;
    return;
  }
  // Before every vendor call: the kill switch stops a run already under way, as the deadline does.
  const ks = await killSwitchCached(deps, run.batch.killSwitch);
  if (ks.enabled) {
    run.batch.cut = true;
    await auditKillSwitchStop(deps, run, ks);
    return;
  }
  if (run.batch.cut) return;
  const down = run.batch.downTenants.get(grant.tenantId);
  const connector = deps.connectors[grant.vendor];
  if (down || !connector || !tenant) {
    const errorCode = down ?? 'config_invalid';
    await auditOffboarding(deps, run.offboarding, 'action_finished', run.actor, {
      ...auditExtra,
      outcome: 'failed',
      errorCode,
      detail: { notAttempted: true },
    });
    await store(deps, run, {
      ...base,
      outcome: 'failed',
      errorCode,
      attempts: 0,
      durationMs: 0,
      at: deps.clock.now().toISOString(),
    });
    run.failedThisRun.add(key);
    return;
  }

  await auditOffboarding(deps, run.offboarding, 'action_started', run.actor, auditExtra);
  const t0 = deps.clock.now().getTime();
  let result: ActionResult;
  try {
    const r = await connector.revoke(grant, tenant, ctx);
    result = {
      ...base,
      outcome: r.outcome,
      vendorRequestId: r.vendorRequestId,
      attempts: r.attempts,
      durationMs: deps.clock.now().getTime() - t0,
      at: deps.clock.now().toISOString(),
    };
  } catch (e) {
    const err: LeaverError = toLeaverError(e);
    const durationMs = deps.clock.now().getTime() - t0;
    if (err.code === 'deadline_exceeded') {
      // Not a verdict on the grant: the next delivery retries it.
      run.batch.cut = true;
      await auditOffboarding(deps, run.offboarding, 'action_finished', run.actor, {
        ...auditExtra,
        outcome: 'failed',
        errorCode: err.code,
        durationMs,
        detail: { willRetry: true },
      });
      return;
    }
    result = {
      ...base,
      outcome: 'failed',
      errorCode: err.code,
      vendorRequestId: err.vendorRequestId,
      attempts: 1,
      durationMs,
      at: deps.clock.now().toISOString(),
    };
    run.failedThisRun.add(key);
    if (VENDOR_DOWN_CODES.has(err.code)) run.batch.downTenants.set(grant.tenantId, err.code);
    deps.log.warn('revocation failed', {
      offboardingId: run.offboarding.id,
      vendor: grant.vendor,
      tenantId: grant.tenantId,
      kind: grant.kind,
      errorCode: err.code,
    });
  }
  await auditOffboarding(deps, run.offboarding, 'action_finished', run.actor, {
    ...auditExtra,
    outcome: result.outcome,
    errorCode: result.errorCode,
    vendorRequestId: result.vendorRequestId,
    durationMs: result.durationMs,
    detail: { vendorAttempts: result.attempts, pass },
  });
  // A repeated delete of something already revoked keeps the revocation's record (its time counts).
  if (result.outcome === 'already_absent' && prev?.outcome === 'revoked') return;
  await store(deps, run, result);
}

/**
 * Audits, once per run, that the kill switch stopped it with work left: `kill_switch` with
 * `stopped: true` (the next delivery, held while the switch is on, finishes it).
 */
export async function auditKillSwitchStop(
  deps: EngineDeps,
  run: RunState,
  ks: KillSwitchState,
): Promise<void> {
  if (run.killSwitchStopped) return;
  run.killSwitchStopped = true;
  await auditOffboarding(deps, run.offboarding, 'kill_switch', run.actor, {
    attempt: run.attempt,
    detail: { stopped: true, switchAt: ks.at ?? 'configuration', source: ks.source ?? 'flag' },
  });
}

async function store(deps: EngineDeps, run: RunState, result: ActionResult): Promise<void> {
  if (run.knownKeys?.has(result.grantKey) || run.stored.get(result.grantKey)?.known) result.known = true;
  await deps.store.putAction(run.offboarding.id, result);
  run.stored.set(result.grantKey, result);
}

/** Counts from the stored results (latest outcome per grant). */
export function countActions(results: Iterable<ActionResult>) {
  const counts = { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 };
  for (const r of results) {
    counts.planned++;
    if (r.outcome === 'revoked') counts.revoked++;
    else if (r.outcome === 'already_absent') counts.alreadyAbsent++;
    else if (r.outcome === 'skipped') counts.skipped++;
    else counts.failed++;
  }
  return counts;
}
