/**
 * Time-to-revoke: from the HR effective time (or receipt, when later) to the last revocation,
 * overall and per vendor. Only `revoked` outcomes of the offboarding's own run count (a grant
 * reconciliation found later was a new grant, not a slow revocation).
 */
import type { ActionResult, Offboarding, VendorId } from './model.ts';

export interface TimeToRevoke {
  lastRevokedAt?: string;
  timeToRevokeMs?: number;
  timeToRevokeByVendorMs: Partial<Record<VendorId, number>>;
}

export function computeTimeToRevoke(
  offboarding: Pick<Offboarding, 'effectiveAt' | 'receivedAt'>,
  actions: readonly ActionResult[],
): TimeToRevoke {
  const start = Math.max(Date.parse(offboarding.effectiveAt), Date.parse(offboarding.receivedAt));
  const lastByVendor: Partial<Record<VendorId, number>> = {};
  let last: number | undefined;
  for (const a of actions) {
    if (a.outcome !== 'revoked' || a.reinvited) continue;
    const t = Date.parse(a.at);
    if (Number.isNaN(t)) continue;
    if (last === undefined || t > last) last = t;
    const v = a.grant.vendor;
    if (lastByVendor[v] === undefined || t > lastByVendor[v]!) lastByVendor[v] = t;
  }
  const byVendor: Partial<Record<VendorId, number>> = {};
  for (const [v, t] of Object.entries(lastByVendor) as [VendorId, number][]) {
    byVendor[v] = Math.max(0, t - start);
  }
  if (last === undefined || Number.isNaN(start)) return { timeToRevokeByVendorMs: byVendor };
  return {
    lastRevokedAt: new Date(last).toISOString(),
    timeToRevokeMs: Math.max(0, last - start),
    timeToRevokeByVendorMs: byVendor,
  };
}
