/**
 * Discovery across every configured tenant: vendors and tenants in parallel, each tenant listed
 * ONCE for all the subjects of a batch. A tenant whose discovery fails is reported, not thrown, so
 * one vendor's outage never hides the others' grants.
 */
import type { TenantConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { toLeaverError } from './errors.ts';
import { canList, grantsFor, type ListingNeed } from './listings.ts';
import { type Grant, normaliseEmail, type Subject, type TenantFailure } from './model.ts';
import type { Ctx } from './ports.ts';

export type { TenantFailure };

export interface Discovery {
  grants: Grant[];
  failures: TenantFailure[];
  /** Tenant id -> distinct people the connector saw while listing (when it reported it). */
  peopleSeen: Map<string, number>;
  /** Tenants whose listing succeeded. */
  okTenants: Set<string>;
}

/**
 * With `deps.listings` (the worker, reconciliation and the sync share one per process), a tenant
 * whose connector lists whole tenants is read through it: one listing of every person's grants,
 * shared by everyone who needs it at about the same time, meeting `need` (how fresh it must be).
 */
export async function discoverAll(
  deps: Pick<EngineDeps, 'config' | 'connectors' | 'log' | 'listings' | 'clock'>,
  subjects: readonly Subject[],
  ctx: Ctx,
  tenants: readonly TenantConfig[] = deps.config.tenants,
  need: ListingNeed = {},
): Promise<Discovery> {
  const out: Discovery = { grants: [], failures: [], peopleSeen: new Map(), okTenants: new Set() };
  if (subjects.length === 0) return out;
  // Saying nothing about freshness asks for a listing that starts now.
  const fresh: ListingNeed =
    need.notBefore === undefined && need.maxAgeMs === undefined
      ? { notBefore: deps.clock.now().getTime() }
      : need;
  await Promise.all(
    tenants.map(async (tenant) => {
      const connector = deps.connectors[tenant.vendor];
      if (!connector) {
        out.failures.push({ tenantId: tenant.id, vendor: tenant.vendor, errorCode: 'config_invalid' });
        return;
      }
      const tenantCtx: Ctx = {
        ...ctx,
        onPeopleSeen: (info) => {
          if (info.tenantId === tenant.id) out.peopleSeen.set(tenant.id, info.people);
          ctx.onPeopleSeen?.(info);
        },
      };
      try {
        let grants: Grant[];
        if (deps.listings && canList(connector)) {
          const listing = await deps.listings.get(connector, tenant, fresh, ctx);
          grants = grantsFor(listing.grants, subjects);
          out.peopleSeen.set(tenant.id, listing.people);
        } else {
          grants = await connector.discover(subjects, tenant, tenantCtx);
        }
        for (const g of grants) {
          out.grants.push({ ...g, tenantId: g.tenantId || tenant.id, email: normaliseEmail(g.email) });
        }
        out.okTenants.add(tenant.id);
      } catch (e) {
        const err = toLeaverError(e);
        deps.log.warn('discovery failed', {
          vendor: tenant.vendor,
          tenantId: tenant.id,
          errorCode: err.code,
        });
        out.failures.push({ tenantId: tenant.id, vendor: tenant.vendor, errorCode: err.code });
      }
    }),
  );
  return out;
}

/** The grants among `grants` that belong to `subject` (any of its addresses). */
export function grantsOf(subject: Subject, grants: readonly Grant[]): Grant[] {
  const emails = new Set([subject.email, ...subject.aliases].map(normaliseEmail));
  return grants.filter((g) => emails.has(g.email));
}
