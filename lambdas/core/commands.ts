/**
 * Management commands (the API and CLI call these). Each takes the caller's principal, recorded as
 * the actor of every audit record it causes. Bad input throws LeaverError 4xx codes before anything
 * changes: invalid_request, invalid_vendor_id, not_found, conflict (naming the current status),
 * kill_switch (423) for a targeted revocation while the kill switch is on.
 */

import {
  aliases,
  bad,
  defaultCtx,
  email,
  instant,
  optionalReason,
  principalOf,
  reasonOf,
} from './command-input.ts';
import type { EngineDeps } from './deps.ts';
import { discoverAll, grantsOf, type TenantFailure } from './discovery.ts';
import { conflict, isLeaverError, notFound } from './errors.ts';
import { resumeHeld } from './hold.ts';
import { enqueueQuietly, normaliseSubject, openOffboarding } from './intake.ts';
import { auditOffboarding, isDue, leaseHeld } from './lifecycle.ts';
import type { Offboarding, OffboardingStatus, Subject } from './model.ts';
import { type PlanItem, planGrants, toPlanItems } from './plan.ts';
import type { Ctx } from './ports.ts';

export interface Plan {
  subject: { email: string; aliases: string[] };
  items: PlanItem[];
  /** Tenants that could not be read: the plan is incomplete for them. */
  failedTenants: TenantFailure[];
}

async function planFor(deps: EngineDeps, given: Subject, ctx: Ctx): Promise<Plan> {
  const subject = normaliseSubject(deps.config, given);
  const disc = await discoverAll(deps, [subject], ctx);
  const items = toPlanItems(planGrants(grantsOf(subject, disc.grants), { safety: deps.config.safety }));
  return { subject: { email: subject.email, aliases: subject.aliases }, items, failedTenants: disc.failures };
}

export interface StartInput {
  email: string;
  aliases?: string[];
  effectiveAt?: string;
  reason: string;
  dryRun?: boolean;
  /** A caller-chosen key: repeating a start with the same key returns the first offboarding. */
  idempotencyKey?: string;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

export type StartResult =
  | { dryRun: false; offboarding: Offboarding; created: boolean }
  | { dryRun: true; plan: Plan };

export async function startOffboarding(
  deps: EngineDeps,
  principal: string,
  input: StartInput,
  ctx?: Ctx,
): Promise<StartResult> {
  const actor = principalOf(principal);
  const primary = email(input?.email, 'email');
  const subject: Subject = { email: primary, aliases: aliases(input.aliases, primary) };
  const effectiveAt = instant(input.effectiveAt, 'effectiveAt');
  const reason = reasonOf(input.reason);
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean')
    throw bad('dryRun must be a boolean', 'dryRun');
  if (input.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    throw bad('Idempotency-Key must be 1-128 letters, digits or ._:-', 'idempotencyKey');
  }
  if (input.dryRun) return { dryRun: true, plan: await planFor(deps, subject, defaultCtx(deps, ctx)) };
  const { offboarding, created } = await openOffboarding(deps, {
    subject,
    origin: { type: 'api', id: actor },
    sourceEventId:
      input.idempotencyKey !== undefined ? `key-${input.idempotencyKey}` : `api-${deps.ids.offboardingId()}`,
    effectiveAt,
    reason,
    actor,
  });
  return { dryRun: false, offboarding, created };
}

export async function previewOffboarding(
  deps: EngineDeps,
  principal: string,
  input: { email: string; aliases?: string[] },
  ctx?: Ctx,
): Promise<Plan> {
  principalOf(principal);
  const primary = email(input?.email, 'email');
  return planFor(deps, { email: primary, aliases: aliases(input.aliases, primary) }, defaultCtx(deps, ctx));
}

async function load(deps: EngineDeps, id: unknown): Promise<Offboarding> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) throw bad('id is invalid', 'id');
  const off = await deps.store.get(id);
  if (!off) throw notFound('Offboarding not found');
  return off;
}

/** A conditional transition whose lost race reports the status it found. */
async function move(
  deps: EngineDeps,
  off: Offboarding,
  from: readonly OffboardingStatus[],
  to: OffboardingStatus,
  what: string,
  patch: Parameters<EngineDeps['store']['transition']>[3] = {},
): Promise<Offboarding> {
  if (!from.includes(off.status)) throw cannot(off.status, what, from);
  try {
    return await deps.store.transition(off.id, from, to, patch);
  } catch (e) {
    if (isLeaverError(e) && e.code === 'conflict') {
      const now = await deps.store.get(off.id);
      throw cannot(now?.status ?? off.status, what, from);
    }
    throw e;
  }
}

const cannot = (status: OffboardingStatus, what: string, from: readonly OffboardingStatus[]) =>
  conflict(`Cannot ${what} an offboarding that is ${status} (only ${from.join(' or ')})`, {
    status,
    allowed: [...from],
  });

export async function cancelOffboarding(
  deps: EngineDeps,
  principal: string,
  id: string,
  reason?: string,
): Promise<Offboarding> {
  const actor = principalOf(principal);
  const why = optionalReason(reason);
  const off = await load(deps, id);
  const moved = await move(deps, off, ['scheduled', 'quarantined'], 'cancelled', 'cancel', {
    leaseUntil: undefined,
    heldAt: undefined,
  });
  await auditOffboarding(deps, moved, 'cancelled', actor, {
    detail: why ? { reason: why } : {},
  });
  return moved;
}

export async function retryOffboarding(
  deps: EngineDeps,
  principal: string,
  id: string,
): Promise<Offboarding> {
  const actor = principalOf(principal);
  const off = await load(deps, id);
  if (off.status === 'running' && !leaseHeld(off, deps.clock.now(), deps.leaseHolder)) {
    // Stuck (its worker died and its message is gone): hand it to a worker again.
    await auditOffboarding(deps, off, 'retry_scheduled', actor, { detail: { manual: true, resumed: true } });
    await enqueueQuietly(deps, off.id);
    return off;
  }
  const moved = await move(deps, off, ['completed_with_failures'], 'scheduled', 'retry', {
    nextRetryAt: undefined,
    leaseUntil: undefined,
  });
  await auditOffboarding(deps, moved, 'retry_scheduled', actor, { detail: { manual: true } });
  await enqueueQuietly(deps, moved.id);
  return moved;
}

export async function releaseOffboarding(
  deps: EngineDeps,
  principal: string,
  id: string,
): Promise<Offboarding> {
  const actor = principalOf(principal);
  const off = await load(deps, id);
  const moved = await move(deps, off, ['quarantined'], 'scheduled', 'release', {
    releasedAt: deps.clock.now().toISOString(),
  });
  await auditOffboarding(deps, moved, 'released', actor, {});
  if (isDue(deps, moved.effectiveAt)) await enqueueQuietly(deps, moved.id);
  return moved;
}

export async function setKillSwitch(
  deps: EngineDeps,
  principal: string,
  input: { enabled: boolean; reason: string },
): Promise<{
  enabled: boolean;
  reason: string;
  by: string;
  at: string;
  configured: boolean;
  /** Turning it off: the held offboardings put back on the queue (and any the queue refused). */
  resumed?: { resumed: number; notEnqueued: number };
}> {
  const by = principalOf(principal);
  if (typeof input?.enabled !== 'boolean') throw bad('enabled must be a boolean', 'enabled');
  const reason = reasonOf(input.reason);
  const state = { enabled: input.enabled, reason, by, at: deps.clock.now().toISOString() };
  await deps.store.setKillSwitch(state);
  await deps.audit.append({
    streamId: 'global',
    event: 'kill_switch',
    at: state.at,
    actor: by,
    detail: { enabled: state.enabled, reason },
  });
  deps.log.warn('kill switch set', { enabled: state.enabled, by });
  // The configuration's switch stays on whatever the flag says: then nothing resumes yet.
  const configured = deps.config.safety.killSwitch;
  if (state.enabled || configured) return { ...state, configured };
  const resumed = await resumeHeld(deps, by);
  return { ...state, configured, resumed };
}

export {
  type TargetedRevokeInput,
  type TargetedRevokeResult,
  targetedRevoke,
} from './targeted-revoke.ts';
