/**
 * The fewest vendor calls a multi-leaver job needs, computed from the scenario (its sandbox seed
 * and Leaver configuration), never from a run's request log, so the figure a run is measured
 * against does not follow what the run did.
 *
 * A job needs: every removal once; every scope listed once to discover the grants and once to
 * verify they are gone, each listing costing one call per page of the list as it is at that moment
 * (iTwin 100 items a page, MongoDB 500; invitation lists of Atlas and Cloud Manager are one unpaged
 * call); one token per OAuth client, one Digest challenge per Cloud Manager key (not rate limited).
 *
 * `minimumCalls(shape, [allLeavers])` is the minimum for the WHOLE job (discovery before any
 * removal, one verification after the last). `minimumCalls(shape, batchesOf10)` is the minimum when
 * the leavers come in batches and each batch must discover and verify on its own (Leaver's unit of
 * work is an SQS batch), batches one after another: context, not the bound.
 *
 * Atlas's Cloud Users listings may read the first page and then query each missing leaver by
 * `username`; for the whole job the pages are fewer (3 pages of 500 against 1,000 queries).
 *
 * Modelled: iTwin member invitations, user members and owners of explicitly listed iTwins; Atlas and
 * Cloud Manager org and project invitations and users. Groups and teams are not (the mass-layoff
 * scenario has none); a scenario with them throws rather than being under-counted.
 */
import { VENDORS } from '../../lambdas/core/model.ts';
import type { Scenario } from './scenario.ts';

/**
 * The rate bucket names of bench/mass-layoff.ts `bucketOf`: iTwin per OAuth client, Cloud Manager
 * per API key (one each here), Atlas per endpoint set x the org or project the path names.
 */
export type Bucket =
  | 'itwin'
  | 'cloudmanager'
  | `atlas:${'users' | 'invites' | 'teams'}@${'org' | 'project' | 'user'}`;

export const ITWIN_PAGE = 100;
export const MONGO_PAGE = 500;

/** One list the job must read: items that stay, and the leavers on it (removed as the job goes). */
export interface Listing {
  name: string;
  bucket: Bucket;
  /** Items per page; null = one unpaged call. */
  pageSize: number | null;
  others: number;
  leavers: ReadonlySet<string>;
}

export interface JobShape {
  listings: Listing[];
  /** One call per grant, by bucket. */
  removals: Partial<Record<Bucket, number>>;
  /** Tokens and Digest challenges: needed, but drawn from no API rate bucket. */
  unlimited: number;
}

export interface Minimum {
  byBucket: Partial<Record<Bucket, number>>;
  /** Rate-limited calls plus the unlimited ones. */
  total: number;
  listingCalls: number;
  removalCalls: number;
}

const lower = (s: string) => s.trim().toLowerCase();

/** The lists and removals of the scenario's tenants (only the scenario's leavers are removed). */
export function jobShape(sc: Scenario): JobShape {
  const leavers = new Set(sc.leavers.map(lower));
  const listings: Listing[] = [];
  const removals: Partial<Record<Bucket, number>> = {};
  let unlimited = 0;
  const remove = (b: Bucket, n: number) => {
    removals[b] = (removals[b] ?? 0) + n;
  };
  const list = (name: string, bucket: Bucket, pageSize: number | null, emails: readonly string[]) => {
    const on = new Set(emails.map(lower).filter((e) => leavers.has(e)));
    listings.push({ name, bucket, pageSize, others: emails.length - on.size, leavers: on });
    return on.size;
  };

  const tenants = sc.config.tenants ?? [];
  // Bucket names are per vendor: one tenant (one client, org, API key) of each is modelled.
  for (const v of VENDORS)
    if (tenants.filter((t) => t.vendor === v).length > 1) throw new Error(`more than one ${v} tenant`);
  for (const t of tenants) {
    if (t.vendor === 'itwin') {
      unlimited++; // token
      const ids = Array.isArray(t.itwinIds) ? t.itwinIds : [];
      if (ids.length === 0) throw new Error(`${t.id}: only explicit itwinIds are modelled`);
      for (const id of ids) {
        const it = sc.seed.itwin?.itwins?.find((x) => x.id === id);
        if (!it) throw new Error(`${t.id}: iTwin ${id} not in the seed`);
        if ((it.groups ?? []).length > 0 || (it.groupInvitations ?? []).length > 0)
          throw new Error(`${t.id}: iTwin groups are not modelled here`);
        const clientOwners = (sc.seed.itwin?.clients ?? [])
          .filter((c) => c.itwins?.[id]?.owner)
          .map((c) => c.email ?? `${c.clientId}@apps.imsoidc.bentley.com`);
        remove(
          'itwin',
          list(
            `${t.id} invitations`,
            'itwin',
            ITWIN_PAGE,
            (it.invitations ?? []).map((i) => i.email),
          ),
        );
        remove(
          'itwin',
          list(
            `${t.id} users`,
            'itwin',
            ITWIN_PAGE,
            (it.members ?? []).map((m) => m.email),
          ),
        );
        remove('itwin', list(`${t.id} owners`, 'itwin', ITWIN_PAGE, [...(it.owners ?? []), ...clientOwners]));
        list(`${t.id} groups`, 'itwin', ITWIN_PAGE, []);
      }
      continue;
    }
    // Atlas and Cloud Manager: the same MongoDB lists; Atlas counts them in endpoint-set buckets.
    const atlas = t.vendor === 'atlas';
    unlimited++; // Atlas token, or Cloud Manager's one Digest challenge
    const seed = atlas ? sc.seed.atlas : sc.seed.cloudmanager;
    if (!seed) throw new Error(`${t.id}: no seed`);
    if ((t.teamIds ?? []).length > 0) throw new Error(`${t.id}: teams are not modelled here`);
    // Bucket names carry the scope's kind only: one org and one project per tenant.
    if ((t.projectIds ?? []).length > 1) throw new Error(`${t.id}: one project a tenant is modelled here`);
    const bucket = (set: 'users' | 'invites', scope: 'org' | 'project'): Bucket =>
      atlas ? `atlas:${set}@${scope}` : 'cloudmanager';
    const org = t.orgId!;
    const orgInv = (seed.orgInvitations ?? []).filter((i) => i.orgId === org).map((i) => i.username);
    const orgUsers = (seed.users ?? [])
      .filter((u) => u.orgRoles?.some((r) => r.orgId === org))
      .map((u) => u.username);
    const orgInvites = bucket('invites', 'org');
    const orgUsersBucket = bucket('users', 'org');
    remove(orgInvites, list(`${t.id} org invites`, orgInvites, null, orgInv));
    remove(orgUsersBucket, list(`${t.id} org users`, orgUsersBucket, MONGO_PAGE, orgUsers));
    for (const p of t.projectIds ?? []) {
      const inv = (seed.groupInvitations ?? []).filter((i) => i.groupId === p).map((i) => i.username);
      const pUsers = (seed.users ?? [])
        .filter((u) => u.projectRoles?.some((r) => r.groupId === p))
        .map((u) => u.username);
      const invites = bucket('invites', 'project');
      const users = bucket('users', 'project');
      remove(invites, list(`${t.id} project ${p} invites`, invites, null, inv));
      remove(users, list(`${t.id} project ${p} users`, users, MONGO_PAGE, pUsers));
    }
  }
  return { listings, removals, unlimited };
}

const pages = (l: Listing, present: ReadonlySet<string>) => {
  if (l.pageSize === null) return 1;
  let n = l.others;
  for (const e of l.leavers) if (present.has(e)) n++;
  return Math.max(1, Math.ceil(n / l.pageSize));
};

/**
 * Fewest calls when the leavers are handled in `batches` one after another, each batch listing
 * every scope once before its removals and once after them (pass one batch of everyone for the
 * whole job's minimum).
 */
export function minimumCalls(shape: JobShape, batches: readonly (readonly string[])[]): Minimum {
  const byBucket: Partial<Record<Bucket, number>> = {};
  const add = (b: Bucket, n: number) => {
    byBucket[b] = (byBucket[b] ?? 0) + n;
  };
  const present = new Set(batches.flat().map(lower));
  let listingCalls = 0;
  const listAll = () => {
    for (const l of shape.listings) {
      const n = pages(l, present);
      add(l.bucket, n);
      listingCalls += n;
    }
  };
  for (const batch of batches) {
    listAll(); // discovery
    for (const e of batch) present.delete(lower(e));
    listAll(); // verification
  }
  let removalCalls = 0;
  for (const [b, n] of Object.entries(shape.removals) as [Bucket, number][]) {
    add(b, n);
    removalCalls += n;
  }
  return { byBucket, total: listingCalls + removalCalls + shape.unlimited, listingCalls, removalCalls };
}

/** Lower bound in seconds for each bucket: (fewest calls - burst) / refill rate, 0 if within the burst. */
export function rateBoundSeconds(
  calls: number,
  bucket: { capacity: number; refillPerSecond: number },
): number {
  return Math.max(0, calls - bucket.capacity) / bucket.refillPerSecond;
}

export const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};
