/**
 * The inventory in memory (the same contract as DynamoInventoryStore, which the integration tests
 * pin on dynalite), fake connectors that also list whole tenants, and an engine wired with both.
 */
import type { LeaverConfigInput } from '../../lambdas/core/config.ts';
import type {
  InventoryEntry,
  InventoryStore,
  ReplaceResult,
  TenantInventoryState,
} from '../../lambdas/core/inventory.ts';
import { syncInventory } from '../../lambdas/core/inventory-sync.ts';
import { SharedListings } from '../../lambdas/core/listings.ts';
import { type Grant, grantKey, normaliseEmail, type VendorId } from '../../lambdas/core/model.ts';
import type { Ctx } from '../../lambdas/core/ports.ts';
import { FakeConnector } from './fake-connector.ts';
import { memoryDeps } from './memory-ports.ts';

interface Held {
  grant: Grant;
  scope: string;
}

export class MemoryInventory implements InventoryStore {
  /** `${email}|${grantKey}` -> the grant and its scope. */
  readonly held = new Map<string, Held>();
  /** `${tenantId}|${scope}` -> when it was last listed. */
  readonly scopes = new Map<string, string>();
  readonly states = new Map<string, TenantInventoryState>();

  async lookup(emails: readonly string[]): Promise<InventoryEntry[]> {
    const wanted = new Set(emails.map(normaliseEmail));
    const out: InventoryEntry[] = [];
    for (const h of this.held.values()) {
      const syncedAt = this.scopes.get(`${h.grant.tenantId}|${h.scope}`);
      if (wanted.has(h.grant.email) && syncedAt)
        out.push({ grant: structuredClone(h.grant), scope: h.scope, syncedAt });
    }
    return out;
  }

  async tenants(): Promise<TenantInventoryState[]> {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  async replaceScope(
    tenantId: string,
    scope: string,
    grants: readonly Grant[],
    syncedAt: string,
  ): Promise<ReplaceResult> {
    const desired = new Map(grants.map((g) => [`${normaliseEmail(g.email)}|${grantKey(g)}`, g]));
    let removed = 0;
    let kept = 0;
    for (const [k, h] of [...this.held]) {
      if (h.grant.tenantId !== tenantId || h.scope !== scope) continue;
      if (desired.has(k)) kept++;
      else {
        this.held.delete(k);
        removed++;
      }
    }
    let added = 0;
    for (const [k, g] of desired) {
      if (!this.held.has(k)) added++;
      this.held.set(k, { grant: structuredClone({ ...g, email: normaliseEmail(g.email) }), scope });
    }
    this.scopes.set(`${tenantId}|${scope}`, syncedAt);
    return { added, removed, kept };
  }

  async dropScopes(tenantId: string, keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const key of [...this.scopes.keys()]) {
      const [t, scope] = key.split('|') as [string, string];
      if (t !== tenantId || keep.has(scope)) continue;
      this.scopes.delete(key);
      for (const [k, h] of [...this.held]) {
        if (h.grant.tenantId === tenantId && h.scope === scope) {
          this.held.delete(k);
          removed++;
        }
      }
    }
    return removed;
  }

  async forget(grants: readonly Grant[]): Promise<void> {
    for (const g of grants) this.held.delete(`${normaliseEmail(g.email)}|${grantKey(g)}`);
  }

  async claimSync(
    tenantId: string,
    owner: string,
    until: string,
    now: string,
    opts: { takeOver?: boolean } = {},
  ) {
    const s = this.states.get(tenantId) ?? { tenantId };
    if (!opts.takeOver && s.leaseUntil && s.leaseUntil >= now && s.leaseOwner !== owner) return undefined;
    const next = { ...s, leaseOwner: owner, leaseUntil: until };
    this.states.set(tenantId, next);
    return { ...next };
  }

  async saveSync(tenantId: string, owner: string, patch: Partial<TenantInventoryState>): Promise<boolean> {
    const s = this.states.get(tenantId);
    if (!s || s.leaseOwner !== owner) return false;
    const next: Record<string, unknown> = { ...s };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    this.states.set(tenantId, next as unknown as TenantInventoryState);
    return true;
  }

  /** Known grants of one address (kind@tenant), for assertions. */
  kindsOf(email: string): string[] {
    return [...this.held.values()]
      .filter((h) => h.grant.email === normaliseEmail(email))
      .map((h) => `${h.grant.kind}@${h.grant.tenantId}`)
      .sort();
  }
}

/**
 * A FakeConnector that also lists every person's grants of a tenant (one scope per tenant), as the
 * real connectors' `inventory` does: owner grants carry `owner`. Every call lands in `events`.
 */
export class ListingFakeConnector extends FakeConnector {
  readonly listCalls: string[] = [];

  constructor(
    vendor: VendorId,
    readonly events: string[],
  ) {
    super(vendor);
    const revoke = this.revoke.bind(this);
    this.revoke = async (grant, tenant, ctx) => {
      events.push(`revoke ${grant.kind} ${grant.email}`);
      return revoke(grant, tenant, ctx);
    };
  }

  async scopes(): Promise<string[]> {
    return ['all'];
  }

  async inventory(tenant: { id: string }, _scope: string, _ctx: Ctx): Promise<Grant[]> {
    this.listCalls.push(tenant.id);
    this.events.push(`list ${tenant.id}`);
    const err = this.failDiscover.get(tenant.id);
    if (err) throw err;
    return (this.grants.get(tenant.id) ?? []).map(({ lastOwner, ...g }) =>
      structuredClone(lastOwner || g.kind === 'itwin_owner_member' ? { ...g, owner: true } : g),
    );
  }
}

export function listingFakes(events: string[]) {
  return {
    itwin: new ListingFakeConnector('itwin', events),
    atlas: new ListingFakeConnector('atlas', events),
    cloudmanager: new ListingFakeConnector('cloudmanager', events),
  };
}

/** Engine deps with the inventory, shared listings and listing fakes. */
export function inventoryDeps(config: LeaverConfigInput = {}) {
  const events: string[] = [];
  const fakes = listingFakes(events);
  const deps = memoryDeps({ config, connectors: fakes });
  const inventory = new MemoryInventory();
  const full = Object.assign(deps, {
    inventory,
    listings: new SharedListings(() => deps.clock.now().getTime()),
  });
  const ctx = (ms = 60_000): Ctx => ({ deadline: deps.clock.now().getTime() + ms, log: deps.log });
  /** Lists every tenant into the inventory now (as the sync schedule does). */
  const sync = (opts: { force?: boolean; tenantIds?: string[] } = {}) =>
    syncInventory(full, ctx(), { owner: 'test-sync', force: opts.force ?? true, tenantIds: opts.tenantIds });
  return { deps: full, fakes, inventory, events, ctx, sync };
}
