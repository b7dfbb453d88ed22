/**
 * Tenant listings shared by everyone in a process who needs them: a listing is every person's
 * grants in a tenant (the connectors' `inventory` over all its scopes); who among them is leaving,
 * and whether one of them is the last owner of a scope, is decided afterwards by `grantsFor`.
 *
 * `SharedListings` keeps the last listing of each tenant and runs at most one at a time per tenant
 * (single flight). A caller says what it can use:
 * - `maxAgeMs`: any listing that started at most that long ago (the first pass of an offboarding,
 *   whose verification follows anyway);
 * - `notBefore`: only a listing that started after that time (verification: it must have started
 *   after the run's last revocation, so that it sees the result).
 * A caller whose need the running listing does not meet waits for the next one, which starts as
 * soon as the running one ends and serves every caller that queued meanwhile. So concurrent batches
 * of a mass layoff share one listing per tenant instead of one each.
 */

import { mapLimit } from './concurrency.ts';
import type { TenantConfig } from './config.ts';
import { LeaverError } from './errors.ts';
import { type Grant, grantKey, normaliseEmail, type Subject } from './model.ts';
import type { Connector, Ctx } from './ports.ts';

export interface TenantListing {
  tenantId: string;
  /** Every person's grants (`owner` set on owners' grants). */
  grants: Grant[];
  /** Distinct people (addresses) holding a grant. */
  people: number;
  /** Epoch ms when the listing started (every call of it came after this) and ended. */
  startedAt: number;
  finishedAt: number;
}

/** Scopes of one tenant listed at once by a listing. */
export const SCOPE_CONCURRENCY = 8;

/** Whether a connector can list every person's grants (the inventory listing). */
export function canList(
  connector: Connector | undefined,
): connector is Connector & Required<Pick<Connector, 'scopes' | 'inventory'>> {
  return typeof connector?.scopes === 'function' && typeof connector?.inventory === 'function';
}

/** Lists every scope of a tenant (a failed scope fails the listing: no partial answer). */
export async function listTenant(
  connector: Connector,
  tenant: TenantConfig,
  ctx: Ctx,
  now: () => number,
  concurrency = SCOPE_CONCURRENCY,
): Promise<TenantListing> {
  if (!canList(connector)) {
    throw new LeaverError('config_invalid', `the ${tenant.vendor} connector cannot list a whole tenant`);
  }
  const startedAt = now();
  const scopes = await connector.scopes(tenant, ctx);
  const parts = await mapLimit(scopes, concurrency, (scope) => connector.inventory(tenant, scope, ctx));
  const grants = parts.flat().map((g) => ({ ...g, tenantId: tenant.id, email: normaliseEmail(g.email) }));
  return { tenantId: tenant.id, grants, people: peopleOf(grants), startedAt, finishedAt: now() };
}

export function peopleOf(grants: readonly Grant[]): number {
  return new Set(grants.map((g) => g.email)).size;
}

/**
 * The scope an owner grant makes its holder an owner of: the grant's ids without the member's own
 * (an iTwin's owners, an organisation's owners).
 */
export function ownerScope(g: Grant): string {
  const all: Readonly<Record<string, string>> = g.ids;
  const ids = Object.keys(all)
    .filter((k) => k !== 'memberId' && k !== 'userId')
    .sort()
    .map((k) => `${k}=${all[k]}`)
    .join(',');
  return `${g.vendor}:${g.tenantId}:${g.kind}:${ids}`;
}

/**
 * The grants of `subjects` among every person's grants, the same grant once per subject. An owner
 * grant is the last owner's when every owner of its scope leaves with these subjects (the worker
 * skips it and alerts), exactly as a connector's own discovery decides it.
 */
export function grantsFor(all: readonly Grant[], subjects: readonly Subject[]): Grant[] {
  const leaving = new Set(subjects.flatMap((s) => [s.email, ...s.aliases]).map(normaliseEmail));
  const staying = new Set<string>();
  for (const g of all) if (g.owner && !leaving.has(g.email)) staying.add(ownerScope(g));
  const seen = new Set<string>();
  const out: Grant[] = [];
  for (const g of all) {
    if (!leaving.has(g.email)) continue;
    const key = `${g.email}|${grantKey(g)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(g.owner && !staying.has(ownerScope(g)) ? { ...g, lastOwner: true } : g);
  }
  return out;
}

export interface ListingNeed {
  /** Only a listing that started after this time (epoch ms). */
  notBefore?: number;
  /** Any listing that started at most this long ago. */
  maxAgeMs?: number;
}

interface Slot {
  last?: TenantListing;
  running?: { startedAt: number; done: Promise<TenantListing> };
  /** The listing that starts when the running one ends, and everyone waiting for it. */
  queued?: Promise<TenantListing>;
  /** Grant identity -> when it was revoked: left out of listings that started before that. */
  gone: Map<string, number>;
}

/** The in-process listing cache (one per process: a warm Lambda keeps it across invocations). */
export class SharedListings {
  private readonly slots = new Map<string, Slot>();
  /** Listings this cache ran (tests and benchmarks read it). */
  listed = 0;

  constructor(
    private readonly now: () => number,
    private readonly concurrency = SCOPE_CONCURRENCY,
  ) {}

  /** A listing of `tenant` that meets `need`: a kept one, the running one, or a new one. */
  async get(connector: Connector, tenant: TenantConfig, need: ListingNeed, ctx: Ctx): Promise<TenantListing> {
    const slot = this.slot(tenant);
    // Strictly after: a listing that started in the same millisecond as the revocation it must
    // see cannot be shown to have started after it.
    const after = need.notBefore ?? Number.NEGATIVE_INFINITY;
    const fresh = (startedAt: number) =>
      startedAt > after && (need.maxAgeMs === undefined || this.now() - startedAt <= need.maxAgeMs);
    if (slot.last && fresh(slot.last.startedAt)) return this.current(slot, slot.last);
    if (slot.running && fresh(slot.running.startedAt)) return this.current(slot, await slot.running.done);
    if (slot.running) {
      slot.queued ??= slot.running.done
        .catch(() => undefined)
        .then(() => {
          slot.queued = undefined;
          return this.start(slot, connector, tenant, ctx);
        });
      return this.current(slot, await slot.queued);
    }
    return this.current(slot, await this.start(slot, connector, tenant, ctx));
  }

  /**
   * Revoked grants are left out of every kept listing from now on, so a later batch deciding the
   * last owner of a scope does not count an owner who is already gone.
   */
  forget(grant: Grant): void {
    const slot = this.slots.get(grant.tenantId);
    slot?.gone.set(`${normaliseEmail(grant.email)}|${grantKey(grant)}`, this.now());
  }

  /** Keeps a listing made elsewhere (the inventory sync's) for later callers. */
  put(listing: TenantListing): void {
    const slot = this.slots.get(listing.tenantId) ?? { gone: new Map<string, number>() };
    this.keep(slot, listing);
    this.slots.set(listing.tenantId, slot);
  }

  private slot(tenant: TenantConfig): Slot {
    let slot = this.slots.get(tenant.id);
    if (!slot) {
      slot = { gone: new Map() };
      this.slots.set(tenant.id, slot);
    }
    return slot;
  }

  private start(slot: Slot, connector: Connector, tenant: TenantConfig, ctx: Ctx): Promise<TenantListing> {
    const startedAt = this.now();
    const done = listTenant(connector, tenant, ctx, this.now, this.concurrency).then((listing) => {
      this.listed++;
      this.keep(slot, listing);
      return listing;
    });
    const running = { startedAt, done };
    slot.running = running;
    const clear = () => {
      if (slot.running === running) slot.running = undefined;
    };
    done.then(clear, clear);
    return done;
  }

  /** Keeps the newest listing; revocations it started after are in it already and are dropped. */
  private keep(slot: Slot, listing: TenantListing): void {
    if (slot.last && slot.last.startedAt > listing.startedAt) return;
    slot.last = listing;
    for (const [id, at] of slot.gone) if (at < listing.startedAt) slot.gone.delete(id);
  }

  private current(slot: Slot, listing: TenantListing): TenantListing {
    if (slot.gone.size === 0) return listing;
    const grants = listing.grants.filter((g) => {
      const at = slot.gone.get(`${g.email}|${grantKey(g)}`);
      return at === undefined || at < listing.startedAt;
    });
    return { ...listing, grants };
  }
}
