/**
 * The inventory sync (a schedule in AWS, the in-process scheduler locally): lists every configured
 * tenant scope by scope and replaces each scope's grants in the inventory with what its listing
 * saw. A tenant is listed again once its last complete pass is `inventory.syncMinutes` old.
 *
 * - Budget: its vendor calls carry `rateShare` (config `inventory.rateShare`), so the HTTP layer
 *   gives them at most that share of each tenant's rate budget; revocations keep the rest.
 * - One syncing process per tenant: a lease on the tenant's state (renewed at each checkpoint). A
 *   lone local runtime takes over a lease its predecessor left (see EngineDeps.leaseHolder).
 * - Resumable: scopes are taken in sorted order and the last one finished in order is saved as the
 *   tenant's cursor; a run cut short (deadline, failure) leaves the pass open and the next run
 *   continues after the cursor. A pass is complete (`lastSyncAt`) only when every scope was listed.
 * - Incremental by scope: a pass lists each scope once and writes only what changed in it. None of
 *   the three vendors offers a change feed for memberships and invitations that Leaver could rely
 *   on, so there is no finer increment than a scope's listing.
 * - Fail closed: a listing that cannot be read (an error, an answer that does not parse) stops the
 *   tenant's pass and changes nothing in that scope; it is never taken as "no grants".
 */
import { mapLimit } from './concurrency.ts';
import type { TenantConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { toLeaverError } from './errors.ts';
import type { TenantInventoryState } from './inventory.ts';
import { deadlineNear } from './lifecycle.ts';
import { canList, peopleOf } from './listings.ts';
import { type Grant, normaliseEmail } from './model.ts';
import type { Connector, Ctx } from './ports.ts';

export type TenantSyncStatus = 'synced' | 'partial' | 'fresh' | 'busy' | 'failed' | 'unsupported';

export interface TenantSyncResult {
  tenantId: string;
  status: TenantSyncStatus;
  scopes: number;
  scopesDone: number;
  added: number;
  removed: number;
  errorCode?: string;
}

export interface SyncResult {
  tenants: TenantSyncResult[];
  /** True when a pass was left open (deadline or failure): the next run continues it. */
  partial: boolean;
}

export interface SyncOptions {
  /** Who holds the leases (a process id). */
  owner: string;
  /** List every tenant now, however fresh. */
  force?: boolean;
  /** Only these tenants. */
  tenantIds?: readonly string[];
}

/** Tenants synced at once. */
const TENANT_CONCURRENCY = 8;
/** A lease outlives the run's deadline by this much (a process killed mid-run frees it after). */
const LEASE_MARGIN_MS = 60_000;
/** The cursor is saved (and the lease renewed) at least this often. */
const CHECKPOINT_MS = 2_000;

export async function syncInventory(deps: EngineDeps, ctx: Ctx, opts: SyncOptions): Promise<SyncResult> {
  if (!deps.inventory || !deps.config.inventory.enabled) return { tenants: [], partial: false };
  const wanted = opts.tenantIds ? new Set(opts.tenantIds) : undefined;
  const tenants = deps.config.tenants.filter((t) => !wanted || wanted.has(t.id));
  const results = await mapLimit(tenants, TENANT_CONCURRENCY, (t) => syncTenant(deps, t, ctx, opts));
  return { tenants: results, partial: results.some((r) => r.status === 'partial' || r.status === 'failed') };
}

async function syncTenant(
  deps: EngineDeps,
  tenant: TenantConfig,
  ctx: Ctx,
  opts: SyncOptions,
): Promise<TenantSyncResult> {
  const inventory = deps.inventory!;
  const result: TenantSyncResult = {
    tenantId: tenant.id,
    status: 'unsupported',
    scopes: 0,
    scopesDone: 0,
    added: 0,
    removed: 0,
  };
  const connector = deps.connectors[tenant.vendor];
  if (!canList(connector)) return result;
  const iso = (ms: number) => new Date(ms).toISOString();
  const now = () => deps.clock.now().getTime();
  const lease = () => iso(Math.max(ctx.deadline, now()) + LEASE_MARGIN_MS);
  // A lone process on its store (the local runtime) knows a lease held by another owner was its
  // predecessor's, which died with it: it takes the tenant over instead of waiting for the lapse.
  const takeOver = deps.leaseHolder?.exclusive === true;
  const state = await inventory.claimSync(tenant.id, opts.owner, lease(), iso(now()), { takeOver });
  if (!state) return { ...result, status: 'busy' };
  // A released lease is one that lapsed long ago: the next claim, however soon, takes it.
  const release = (patch: Partial<TenantInventoryState> = {}) =>
    inventory.saveSync(tenant.id, opts.owner, { ...patch, leaseUntil: iso(0) });

  let passStartedAt = state.passStartedAt;
  if (!passStartedAt) {
    const age = state.lastSyncAt ? now() - Date.parse(state.lastSyncAt) : Number.POSITIVE_INFINITY;
    if (!opts.force && age < deps.config.inventory.syncMinutes * 60_000) {
      await release();
      return { ...result, status: 'fresh' };
    }
    passStartedAt = iso(now());
    await inventory.saveSync(tenant.id, opts.owner, {
      vendor: tenant.vendor,
      passStartedAt,
      cursor: undefined,
      scopesDone: 0,
    });
  }
  const syncCtx: Ctx = { ...ctx, rateShare: deps.config.inventory.rateShare };
  const fail = async (e: unknown, done: Partial<TenantInventoryState>) => {
    const code = toLeaverError(e).code;
    deps.log.warn('inventory sync of a tenant stopped', {
      vendor: tenant.vendor,
      tenantId: tenant.id,
      errorCode: code,
    });
    await release({ ...done, lastErrorCode: code, lastErrorAt: iso(now()) });
    return { ...result, status: 'failed' as const, errorCode: code };
  };

  let scopes: string[];
  try {
    scopes = await connector.scopes(tenant, syncCtx);
  } catch (e) {
    return fail(e, {});
  }
  result.scopes = scopes.length;
  const resumed = state.cursor !== undefined && state.passStartedAt !== undefined;
  const todo = resumed ? scopes.filter((s) => s > state.cursor!) : scopes;
  const before = scopes.length - todo.length;
  const run = await listScopes(deps, connector, tenant, todo, syncCtx, async (cursor, done) => {
    await inventory.saveSync(tenant.id, opts.owner, {
      cursor,
      scopesDone: before + done,
      scopesTotal: scopes.length,
      leaseUntil: lease(),
    });
  });
  result.added = run.added;
  result.removed = run.removed;
  result.scopesDone = before + run.inOrder;
  const progress = {
    ...(run.cursor !== undefined ? { cursor: run.cursor } : {}),
    scopesDone: result.scopesDone,
    scopesTotal: scopes.length,
  };
  if (run.error) return fail(run.error, progress);
  if (run.inOrder < todo.length) {
    await release(progress);
    return { ...result, status: 'partial' };
  }

  // Every scope listed: scopes that no longer exist go, and the pass is complete.
  result.removed += await inventory.dropScopes(tenant.id, new Set(scopes));
  const people = resumed ? Math.max(state.people ?? 0, peopleOf(run.grants)) : peopleOf(run.grants);
  await release({
    lastSyncAt: passStartedAt,
    passStartedAt: undefined,
    cursor: undefined,
    scopesDone: scopes.length,
    scopesTotal: scopes.length,
    people,
    lastErrorCode: undefined,
    lastErrorAt: undefined,
  });
  // A pass listed whole in this run is a listing of the tenant: later discoveries may reuse it.
  if (!resumed && deps.listings) {
    deps.listings.put({
      tenantId: tenant.id,
      grants: run.grants,
      people,
      startedAt: Date.parse(passStartedAt),
      finishedAt: now(),
    });
  }
  return { ...result, status: 'synced' };
}

interface ScopesRun {
  /** Scopes finished in order from the first (the cursor is the last of them). */
  inOrder: number;
  cursor?: string;
  added: number;
  removed: number;
  grants: Grant[];
  error?: unknown;
}

/**
 * Lists `todo` (sorted) with up to `inventory.scopeConcurrency` scopes at once and replaces each
 * one's grants; stops starting scopes at the first failure or when the deadline nears.
 */
async function listScopes(
  deps: EngineDeps,
  connector: Connector & Required<Pick<Connector, 'inventory'>>,
  tenant: TenantConfig,
  todo: readonly string[],
  ctx: Ctx,
  checkpoint: (cursor: string, inOrder: number) => Promise<void>,
): Promise<ScopesRun> {
  const out: ScopesRun = { inOrder: 0, added: 0, removed: 0, grants: [] };
  const done = new Array<boolean>(todo.length).fill(false);
  let stop = false;
  let lastCheckpoint = deps.clock.now().getTime();
  await mapLimit(todo, deps.config.inventory.scopeConcurrency, async (scope, i) => {
    if (stop || deadlineNear(deps, ctx)) {
      stop = true;
      return;
    }
    try {
      const startedAt = deps.clock.now().toISOString();
      const listed = await connector.inventory(tenant, scope, ctx);
      const grants = listed.map((g) => ({ ...g, tenantId: tenant.id, email: normaliseEmail(g.email) }));
      const r = await deps.inventory!.replaceScope(tenant.id, scope, grants, startedAt);
      out.added += r.added;
      out.removed += r.removed;
      for (const g of grants) out.grants.push(g);
      done[i] = true;
    } catch (e) {
      stop = true;
      out.error ??= e;
      return;
    }
    while (out.inOrder < todo.length && done[out.inOrder]) out.inOrder++;
    const now = deps.clock.now().getTime();
    if (out.inOrder > 0 && now - lastCheckpoint >= CHECKPOINT_MS) {
      lastCheckpoint = now;
      out.cursor = todo[out.inOrder - 1];
      await checkpoint(out.cursor!, out.inOrder);
    }
  });
  if (out.inOrder > 0) out.cursor = todo[out.inOrder - 1];
  return out;
}
