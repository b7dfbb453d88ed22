/**
 * The first pass of an inventory-first offboarding: the grants already known, so they can be
 * revoked at once, before any listing. A tenant the inventory covers (it has a complete sync) gives
 * its known grants; a tenant it does not cover yet is read through the process's shared listings
 * (a listing at most `inventory.listingMaxAgeSeconds` old, or a new one). Whatever the first pass
 * did not know, the verification that follows finds (and counts as missed).
 *
 * Owner grants are left to the verification: whether a leaver is the last owner of a scope must be
 * decided on a listing taken after the run's own revocations, never on older knowledge.
 */
import type { TenantConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { type Discovery, discoverAll } from './discovery.ts';
import type { InventoryStore } from './inventory.ts';
import { type Grant, normaliseEmail, type Subject } from './model.ts';
import type { Ctx } from './ports.ts';

export interface FirstPass {
  /** The known grants (owner grants included), as a discovery (peopleSeen, okTenants, failures). */
  disc: Discovery;
  /** Tenants whose known grants came from the inventory / from a listing. */
  fromInventory: string[];
  listed: string[];
}

/** Whether offboardings revoke the inventory's known grants first. */
export function inventoryFirst(deps: Pick<EngineDeps, 'inventory' | 'config'>): deps is EngineDeps & {
  inventory: InventoryStore;
} {
  return deps.inventory !== undefined && deps.config.inventory.enabled;
}

export async function firstPass(
  deps: EngineDeps & { inventory: InventoryStore },
  subjects: readonly Subject[],
  ctx: Ctx,
): Promise<FirstPass> {
  const states = new Map((await deps.inventory.tenants()).map((s) => [s.tenantId, s]));
  const covered: TenantConfig[] = [];
  const uncovered: TenantConfig[] = [];
  for (const t of deps.config.tenants) {
    const state = states.get(t.id);
    (state?.lastSyncAt && state.vendor === t.vendor ? covered : uncovered).push(t);
  }
  const emails = [...new Set(subjects.flatMap((s) => [s.email, ...s.aliases]).map(normaliseEmail))];
  const [entries, listed] = await Promise.all([
    covered.length > 0 ? deps.inventory.lookup(emails) : Promise.resolve([]),
    discoverAll(deps, subjects, ctx, uncovered, {
      maxAgeMs: deps.config.inventory.listingMaxAgeSeconds * 1000,
    }),
  ]);
  const coveredIds = new Set(covered.map((t) => t.id));
  const known: Grant[] = entries.filter((e) => coveredIds.has(e.grant.tenantId)).map((e) => e.grant);
  const disc: Discovery = {
    // Owner grants keep their `owner` mark only: the last owner is decided on a fresh listing.
    grants: [...known, ...listed.grants],
    failures: listed.failures,
    peopleSeen: new Map(listed.peopleSeen),
    okTenants: new Set([...coveredIds, ...listed.okTenants]),
  };
  for (const t of covered) disc.peopleSeen.set(t.id, states.get(t.id)?.people ?? 0);
  return { disc, fromInventory: covered.map((t) => t.id), listed: uncovered.map((t) => t.id) };
}
