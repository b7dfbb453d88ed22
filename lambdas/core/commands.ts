/**
 * Management commands (the API and CLI call these). Each takes the caller's principal, recorded as
 * the actor of every audit record it causes. Bad input throws LeaverError 4xx codes before anything
 * changes: invalid_request, invalid_vendor_id, not_found, conflict (naming the current status),
 * kill_switch (423) for a targeted revocation while the kill switch is on.
 */
import type { TenantConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { discoverAll, grantsOf, type TenantFailure } from './discovery.ts';
import { conflict, isLeaverError, LeaverError, notFound, toLeaverError } from './errors.ts';
import { isProtectedEmail, killSwitchState } from './guards.ts';
import { enqueueQuietly, openOffboarding } from './intake.ts';
import { auditOffboarding, isDue, leaseHeld } from './lifecycle.ts';
import {
  GRANT_KINDS,
  type Grant,
  type GrantKind,
  grantKey,
  normaliseEmail,
  type Offboarding,
  type OffboardingStatus,
  type Outcome,
  type Subject,
  VENDORS,
  type VendorId,
} from './model.ts';
import { type PlanItem, planGrants, toPlanItems } from './plan.ts';
import type { Ctx } from './ports.ts';
import { assertGrantIds, vendorOfKind } from './vendor-ids.ts';

const EMAIL = /^[^\s@<>()[\],;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

const bad = (message: string, field: string) =>
  new LeaverError('invalid_request', message, { details: { field } });

function email(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value.trim())) {
    throw bad(`${field} must be an email address`, field);
  }
  return normaliseEmail(value);
}

function aliases(value: unknown, primary: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 20) throw bad('aliases must be an array of at most 20 emails', 'aliases');
  return [...new Set(value.map((v, i) => email(v, `aliases[${i}]`)))].filter((a) => a !== primary);
}

function instant(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw bad(`${field} must be an ISO-8601 date or date-time with an offset`, field);
  }
  return new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString();
}

function reasonOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw bad('reason is required', 'reason');
  if (value.length > 500) throw bad('reason is longer than 500 characters', 'reason');
  return value.trim();
}

function principalOf(principal: string): string {
  if (typeof principal !== 'string' || principal.length === 0) {
    throw new LeaverError('unauthorized', 'No caller principal');
  }
  return principal;
}

const defaultCtx = (deps: EngineDeps, ctx?: Ctx): Ctx =>
  ctx ?? { deadline: deps.clock.now().getTime() + 25_000, log: deps.log };

export interface Plan {
  subject: { email: string; aliases: string[] };
  items: PlanItem[];
  /** Tenants that could not be read: the plan is incomplete for them. */
  failedTenants: TenantFailure[];
}

async function planFor(deps: EngineDeps, subject: Subject, ctx: Ctx): Promise<Plan> {
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
}

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
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') throw bad('dryRun must be a boolean', 'dryRun');
  if (input.dryRun) return { dryRun: true, plan: await planFor(deps, subject, defaultCtx(deps, ctx)) };
  const { offboarding, created } = await openOffboarding(deps, {
    subject,
    origin: { type: 'api', id: actor },
    sourceEventId: `api-${deps.ids.offboardingId()}`,
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
  const off = await load(deps, id);
  const moved = await move(deps, off, ['scheduled', 'quarantined'], 'cancelled', 'cancel', { leaseUntil: undefined });
  await auditOffboarding(deps, moved, 'cancelled', actor, { detail: reason ? { reason: String(reason).slice(0, 500) } : {} });
  return moved;
}

export async function retryOffboarding(deps: EngineDeps, principal: string, id: string): Promise<Offboarding> {
  const actor = principalOf(principal);
  const off = await load(deps, id);
  if (off.status === 'running' && !leaseHeld(off, deps.clock.now())) {
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

export async function releaseOffboarding(deps: EngineDeps, principal: string, id: string): Promise<Offboarding> {
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
): Promise<{ enabled: boolean; reason: string; by: string; at: string; configured: boolean }> {
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
  // The configuration's switch stays on whatever the flag says.
  return { ...state, configured: deps.config.safety.killSwitch };
}

export interface TargetedRevokeInput {
  grant: { vendor: string; tenantId: string; kind: string; ids: Record<string, unknown>; email?: string };
  reason: string;
}

export interface TargetedRevokeResult {
  revocationId: string;
  grantKey: string;
  outcome: Outcome;
  skipReason?: 'protected_account';
  errorCode?: string;
  vendorRequestId?: string;
}

export async function targetedRevoke(
  deps: EngineDeps,
  principal: string,
  input: TargetedRevokeInput,
  ctx?: Ctx,
): Promise<TargetedRevokeResult> {
  const actor = principalOf(principal);
  const g = input?.grant;
  if (!g || typeof g !== 'object') throw bad('grant is required', 'grant');
  const reason = reasonOf(input.reason);
  if (!VENDORS.includes(g.vendor as VendorId)) {
    throw bad(`grant.vendor must be one of ${VENDORS.join(', ')}`, 'grant.vendor');
  }
  if (typeof g.kind !== 'string' || !(g.kind in GRANT_KINDS)) throw bad('grant.kind is not a known grant kind', 'grant.kind');
  const kind = g.kind as GrantKind;
  if (vendorOfKind(kind) !== g.vendor) throw bad(`grant.kind ${kind} is not a ${g.vendor} grant`, 'grant.kind');
  const tenant: TenantConfig | undefined = deps.config.tenants.find((t) => t.id === g.tenantId);
  if (!tenant) throw bad('grant.tenantId names no configured tenant', 'grant.tenantId');
  if (tenant.vendor !== g.vendor) throw bad(`tenant ${tenant.id} is not a ${g.vendor} tenant`, 'grant.tenantId');
  if (!g.ids || typeof g.ids !== 'object' || Array.isArray(g.ids)) throw bad('grant.ids is required', 'grant.ids');
  assertGrantIds(kind, g.ids);
  const grantEmail = g.email === undefined ? '' : email(g.email, 'grant.email');
  const grant: Grant = { vendor: tenant.vendor, tenantId: tenant.id, kind, email: grantEmail, ids: { ...g.ids } };
  const key = grantKey(grant);

  const ks = await killSwitchState(deps);
  if (ks.enabled) throw new LeaverError('kill_switch', 'The kill switch is on: no revocation is made');
  const connector = deps.connectors[tenant.vendor];
  if (!connector) throw new LeaverError('config_invalid', `No connector for ${tenant.vendor}`);

  const revocationId = `revocation-${deps.ids.offboardingId()}`;
  const base = {
    streamId: revocationId,
    actor,
    ...(grantEmail ? { email: grantEmail } : {}),
    vendor: grant.vendor,
    tenantId: grant.tenantId,
    grantKey: key,
    grant,
    attempt: 1,
  };
  const at = () => deps.clock.now().toISOString();
  if (grantEmail && isProtectedEmail(grantEmail, deps.config.safety)) {
    await deps.audit.append({
      ...base,
      event: 'action_finished',
      at: at(),
      outcome: 'skipped',
      skipReason: 'protected_account',
      detail: { targeted: true, reason },
    });
    return { revocationId, grantKey: key, outcome: 'skipped', skipReason: 'protected_account' };
  }
  await deps.audit.append({ ...base, event: 'action_started', at: at(), detail: { targeted: true, reason } });
  const t0 = deps.clock.now().getTime();
  try {
    const r = await connector.revoke(grant, tenant, defaultCtx(deps, ctx));
    await deps.audit.append({
      ...base,
      event: 'action_finished',
      at: at(),
      outcome: r.outcome,
      vendorRequestId: r.vendorRequestId,
      durationMs: deps.clock.now().getTime() - t0,
      detail: { targeted: true, vendorAttempts: r.attempts },
    });
    return { revocationId, grantKey: key, outcome: r.outcome, vendorRequestId: r.vendorRequestId };
  } catch (e) {
    const err = toLeaverError(e);
    await deps.audit.append({
      ...base,
      event: 'action_finished',
      at: at(),
      outcome: 'failed',
      errorCode: err.code,
      vendorRequestId: err.vendorRequestId,
      durationMs: deps.clock.now().getTime() - t0,
      detail: { targeted: true },
    });
    return { revocationId, grantKey: key, outcome: 'failed', errorCode: err.code, vendorRequestId: err.vendorRequestId };
  }
}
