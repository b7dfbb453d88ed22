/**
 * A targeted, audited revocation of one named grant (POST /v1/revocations). Everything is checked
 * before any vendor call: the vendor, the kind belongs to it, the tenant is configured for it, and
 * the ids have the vendor's format (assertGrantIds). The kill switch refuses it (423); a protected
 * address is skipped. Records go to their own stream `revocation-<id>` with the caller as actor.
 */
import { bad, defaultCtx, email, principalOf, reasonOf } from './command-input.ts';
import type { TenantConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { LeaverError, toLeaverError } from './errors.ts';
import { isProtectedEmail, killSwitchState } from './guards.ts';
import { asGrant, grantKey, type Outcome, VENDORS } from './model.ts';
import type { Ctx } from './ports.ts';
import { assertGrantIds, isGrantKind, isVendorId, vendorOfKind } from './vendor-ids.ts';

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
  if (!isVendorId(g.vendor)) {
    throw bad(`grant.vendor must be one of ${VENDORS.join(', ')}`, 'grant.vendor');
  }
  if (!isGrantKind(g.kind)) throw bad('grant.kind is not a known grant kind', 'grant.kind');
  const kind = g.kind;
  if (vendorOfKind(kind) !== g.vendor)
    throw bad(`grant.kind ${kind} is not a ${g.vendor} grant`, 'grant.kind');
  const tenant: TenantConfig | undefined = deps.config.tenants.find((t) => t.id === g.tenantId);
  if (!tenant) throw bad('grant.tenantId names no configured tenant', 'grant.tenantId');
  if (tenant.vendor !== g.vendor)
    throw bad(`tenant ${tenant.id} is not a ${g.vendor} tenant`, 'grant.tenantId');
  if (!g.ids || typeof g.ids !== 'object' || Array.isArray(g.ids))
    throw bad('grant.ids is required', 'grant.ids');
  assertGrantIds(kind, g.ids);
  const grantEmail = g.email === undefined ? '' : email(g.email, 'grant.email');
  const grant = asGrant({
    vendor: tenant.vendor,
    tenantId: tenant.id,
    kind,
    email: grantEmail,
    ids: { ...g.ids },
  });
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
    return {
      revocationId,
      grantKey: key,
      outcome: 'failed',
      errorCode: err.code,
      vendorRequestId: err.vendorRequestId,
    };
  }
}
