/**
 * The access inventory: who holds what at every vendor, by address, tenant and grant kind, kept
 * fresh by the inventory sync (core/inventory-sync.ts) and read by the worker (an offboarding
 * revokes the known grants at once, then verifies by discovery) and by the access lookup
 * (GET /v1/access, `leaver access`). The port lives here; DynamoDB implements it
 * (adapters/dynamo-inventory-store.ts).
 *
 * A tenant is listed scope by scope (an iTwin; a MongoDB organisation with its projects and
 * teams). Each scope's grants are replaced as a whole by its latest listing, so what the inventory
 * holds for a scope is what that listing saw, and its time is the scope's `syncedAt`.
 */
import type { Grant, VendorId } from './model.ts';

/** One grant the inventory knows, with when its scope was last listed (how fresh it is). */
export interface InventoryEntry {
  grant: Grant;
  scope: string;
  /** ISO-8601: when the listing that saw it started. */
  syncedAt: string;
}

/** A tenant's sync state: what the access lookup shows and what resumes an interrupted sync. */
export interface TenantInventoryState {
  tenantId: string;
  vendor?: VendorId;
  /** ISO-8601: start of the last complete pass over every scope (unset: never complete). */
  lastSyncAt?: string;
  /** ISO-8601: start of the pass under way (unset: none). */
  passStartedAt?: string;
  /** The last scope the pass under way finished in order (it resumes after it). */
  cursor?: string;
  scopesDone?: number;
  scopesTotal?: number;
  /** Distinct people holding a grant in the tenant at the last complete pass. */
  people?: number;
  /** Stable error code of the last failed listing (cleared by a complete pass). */
  lastErrorCode?: string;
  lastErrorAt?: string;
  /** Who runs its sync now, and until when (a lease: one syncing process at a time). */
  leaseOwner?: string;
  leaseUntil?: string;
}

export interface ReplaceResult {
  added: number;
  removed: number;
  kept: number;
}

export interface InventoryStore {
  /** Every grant known for any of these addresses (case-insensitive), with its scope's freshness. */
  lookup(emails: readonly string[]): Promise<InventoryEntry[]>;
  /** The sync state of every tenant the inventory has seen. */
  tenants(): Promise<TenantInventoryState[]>;
  /**
   * Replaces what is known of one scope with a fresh listing of it (adds the new grants, removes
   * the ones it no longer shows) and records the scope's `syncedAt`.
   */
  replaceScope(
    tenantId: string,
    scope: string,
    grants: readonly Grant[],
    syncedAt: string,
  ): Promise<ReplaceResult>;
  /** Forgets the scopes of a tenant not in `keep` (an iTwin deleted or out of reach) with their grants. */
  dropScopes(tenantId: string, keep: ReadonlySet<string>): Promise<number>;
  /** Forgets grants that were revoked (or found gone). */
  forget(grants: readonly Grant[]): Promise<void>;
  /**
   * Takes (or renews) the tenant's sync lease for `owner` unless another owner holds a live one;
   * returns the state it now holds, or undefined when someone else syncs the tenant. `takeOver`:
   * the caller knows any other holder is gone (a lone local runtime after a restart), so the lease
   * is taken whoever holds it.
   */
  claimSync(
    tenantId: string,
    owner: string,
    until: string,
    now: string,
    opts?: { takeOver?: boolean },
  ): Promise<TenantInventoryState | undefined>;
  /** Updates the tenant's state while `owner` holds its lease (false: the lease was lost). */
  saveSync(
    tenantId: string,
    owner: string,
    patch: Partial<Omit<TenantInventoryState, 'tenantId' | 'leaseOwner'>>,
  ): Promise<boolean>;
}
