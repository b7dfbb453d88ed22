/**
 * The access lookup: every grant the inventory knows a person to hold (by every address the
 * configuration gives them), at which vendor and tenant, and how fresh that knowledge is: each
 * grant with the time its scope was last listed, each configured tenant with its last complete
 * sync (none: the inventory does not cover it yet, so a grant there would not show).
 */
import type { EngineDeps } from './deps.ts';
import { LeaverError } from './errors.ts';
import { configuredAddresses } from './intake.ts';
import type { InventoryEntry } from './inventory.ts';
import { normaliseEmail, type VendorId } from './model.ts';

export interface TenantFreshness {
  tenantId: string;
  vendor: VendorId;
  /** Start of the last complete listing of every scope; absent: never complete. */
  lastSyncAt?: string;
  /** A pass is under way (started then), `scopesDone` of `scopesTotal` listed. */
  syncingSince?: string;
  scopesDone?: number;
  scopesTotal?: number;
  lastErrorCode?: string;
  lastErrorAt?: string;
}

export interface AccessReport {
  email: string;
  /** Every address looked up: the one asked for and those the configuration adds. */
  emails: string[];
  grants: InventoryEntry[];
  tenants: TenantFreshness[];
}

export async function accessOf(
  deps: Pick<EngineDeps, 'config' | 'inventory'>,
  email: string,
): Promise<AccessReport> {
  if (!deps.inventory || !deps.config.inventory.enabled) {
    throw new LeaverError(
      'not_found',
      'No access inventory here (inventory.enabled is false or it is not deployed)',
    );
  }
  const primary = normaliseEmail(email);
  const emails = [primary, ...configuredAddresses(deps.config, primary)];
  const [entries, states] = await Promise.all([deps.inventory.lookup(emails), deps.inventory.tenants()]);
  const configured = new Map(deps.config.tenants.map((t) => [t.id, t]));
  const byTenant = new Map(states.map((s) => [s.tenantId, s]));
  const tenants: TenantFreshness[] = deps.config.tenants.map((t) => {
    const s = byTenant.get(t.id);
    const f: TenantFreshness = { tenantId: t.id, vendor: t.vendor };
    if (s?.lastSyncAt) f.lastSyncAt = s.lastSyncAt;
    if (s?.passStartedAt) {
      f.syncingSince = s.passStartedAt;
      if (s.scopesDone !== undefined) f.scopesDone = s.scopesDone;
      if (s.scopesTotal !== undefined) f.scopesTotal = s.scopesTotal;
    }
    if (s?.lastErrorCode) {
      f.lastErrorCode = s.lastErrorCode;
      if (s.lastErrorAt) f.lastErrorAt = s.lastErrorAt;
    }
    return f;
  });
  // Only tenants still configured: a tenant removed from the configuration is not managed any more.
  const grants = entries
    .filter((e) => configured.get(e.grant.tenantId)?.vendor === e.grant.vendor)
    .sort(
      (a, b) =>
        a.grant.vendor.localeCompare(b.grant.vendor) ||
        a.grant.tenantId.localeCompare(b.grant.tenantId) ||
        a.grant.kind.localeCompare(b.grant.kind) ||
        a.scope.localeCompare(b.scope),
    );
  return { email: primary, emails, grants, tenants };
}
