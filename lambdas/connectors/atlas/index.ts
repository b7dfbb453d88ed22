/**
 * MongoDB Atlas Administration API v2. Auth: a service account (OAuth2 client credentials at
 * tenant.tokenUrl) or an API key (HTTP Digest, `auth: "api_key"`). Versioned media types:
 * invitations 2023-01-01, MongoDB Cloud Users 2025-02-19.
 *
 * Discovery (each scope listed once for all subjects): org invitations, invitations of each
 * configured project (users invited through the deprecated project endpoint are invisible to the
 * Cloud Users endpoints: docs/vendors.md#atlas-endpoints), org users (ACTIVE and PENDING), project
 * users, and users of each configured team.
 *
 * Every answer is checked against its operation's schema (schemas.ts) before it is used: a
 * listing that does not match fails the tenant's discovery (vendor_unexpected_response).
 *
 * Cloud Users listings (org, project, team users) take the fewest calls: the first page is read
 * (org and project listings with `includeCount=true`, the only parameter of the kind their
 * operations define; the team listing's operation has none, so its count comes only if the vendor
 * sends one); when the pages still to read outnumber the batch's addresses not yet
 * seen on it (subjects and their aliases), each of those addresses gets one `username` query
 * (2025-02-19) instead of the remaining pages; otherwise the listing is paged to the end. A
 * partly read org list is paged to the end after all when a leaver is an ACTIVE ORG_OWNER and no
 * other owner was seen (the last-owner check needs every owner).
 *
 * Last owner (a run never leaves a scope without an owner): the ACTIVE org user of a leaver holding ORG_OWNER gets `lastOwner` when no
 * ACTIVE org user outside the batch's subjects holds ORG_OWNER (the worker skips and alerts).
 *
 * A PENDING org user with the id of a listed org invitation is that invitation and is revoked
 * through it; when the invitations endpoint cannot find or delete it (404/409/410), the revocation
 * looks the id up as an org user and, if it is still PENDING, removes it through the users
 * endpoint.
 *
 * Ordering (Grant.order, lower first within a phase; invitations are a phase before memberships):
 * a PENDING org user is the invitation of the new user model, but its kind stays atlas_org_user
 * (membership phase) with order 0, so it goes first among memberships, right after the
 * invitations; project and team users follow (10); the ACTIVE org user goes last (100) because
 * removing it also ends its project and team access, so removing it first would turn the others
 * into 404s and hide what was removed.
 */
import type { AtlasTenant, TenantConfig } from '../../core/config.ts';
import { type Grant, type GrantIdsOf, grantOf, normaliseEmail, type Subject } from '../../core/model.ts';
import type { Connector, Ctx, RevokeResult } from '../../core/ports.ts';
import { assertNever, type KindOfVendor } from '../../core/vendor-manifest.ts';
import {
  arrayBody,
  checkGrant,
  EVERYONE,
  emailIndex,
  enc,
  GrantCollector,
  join,
  ownerMarks,
  removeCall,
  wrongScope,
  wrongVendor,
} from '../common/grants.ts';
import type { TenantClients } from '../common/tenant-http.ts';
import type { VendorHttp } from '../http/client.ts';
import { type MongoListing, MongoPager, mongoPages, type PageRequest } from '../http/paging.ts';
import { routeTemplate } from '../http/route.ts';
import { parseAnswer } from '../http/schema.ts';
import { ATLAS_SCHEMAS, type CloudUser } from './schemas.ts';

export const ATLAS_INVITES_VERSION = 'application/vnd.atlas.2023-01-01+json';
export const ATLAS_USERS_VERSION = 'application/vnd.atlas.2025-02-19+json';
export const ATLAS_ORDER = { pendingOrgUser: 0, projectOrTeamUser: 10, activeOrgUser: 100 } as const;

const V2 = '/api/atlas/v2';
const LIVE_STATUSES = new Set(['ACTIVE', 'PENDING']);
const ORG_OWNER = 'ORG_OWNER';
/** Answers of the invitations DELETE after which the pending org user is looked up instead. */
const INVITE_GONE = [404, 409, 410];

/** A Cloud Users listing: every user (complete) or its first page plus `username` answers. */
interface UserListing {
  list: CloudUser[];
  complete: boolean;
  pager: MongoPager<CloudUser>;
}

const isActive = (u: CloudUser) => u.orgMembershipStatus === 'ACTIVE';

function isOrgOwner(u: CloudUser): boolean {
  const roles = u.roles && !Array.isArray(u.roles) ? u.roles.orgRoles : undefined;
  return Array.isArray(roles) && roles.includes(ORG_OWNER);
}

export function atlasConnector(clients: TenantClients): Connector {
  const client = (tenant: AtlasTenant): VendorHttp =>
    clients.get(
      tenant,
      tenant.auth === 'service_account' ? { type: 'oauth', tokenUrl: tenant.tokenUrl! } : { type: 'digest' },
      {},
    );

  async function discover(subjects: readonly Subject[], t: TenantConfig, ctx: Ctx): Promise<Grant[]> {
    const tenant = asAtlas(t);
    return scan(tenant, new GrantCollector(emailIndex(subjects)), ctx);
  }

  /** Inventory scopes: the one organisation (its projects and teams come with it). */
  async function scopes(t: TenantConfig): Promise<string[]> {
    return [asAtlas(t).orgId];
  }

  async function inventory(t: TenantConfig, scope: string, ctx: Ctx): Promise<Grant[]> {
    const tenant = asAtlas(t);
    if (scope !== tenant.orgId) throw wrongScope(tenant.id);
    return ownerMarks(await scan(tenant, new GrantCollector(EVERYONE), ctx));
  }

  /** Lists every configured scope of the tenant once into `found`. */
  async function scan(tenant: AtlasTenant, found: GrantCollector, ctx: Ctx): Promise<Grant[]> {
    const http = client(tenant);
    const org = tenant.orgId;
    const add = <K extends KindOfVendor<'atlas'>>(
      kind: K,
      email: string,
      ids: GrantIdsOf<K>,
      order: number,
      scope: string,
    ) => found.add(grantOf(kind, { tenantId: tenant.id, email, ids, order, scopeName: scope }));

    const invites = async (path: string, limitKey: string) => {
      const res = await http.request(
        {
          method: 'GET',
          url: join(tenant.baseUrl, `${V2}${path}`),
          route: routeTemplate(`${V2}${path}`),
          headers: { accept: ATLAS_INVITES_VERSION },
          limitKey,
        },
        ctx,
      );
      return arrayBody(http, res, routeTemplate(`${V2}${path}`), ATLAS_SCHEMAS.invitations);
    };
    /**
     * `includeCount` only where the operation defines it: the org and project user listings do,
     * the team user listing does not (MongoDB's spec of listTeamUsers has no such parameter).
     */
    const users = async (
      path: string,
      limitKey: string,
      listing: MongoListing<CloudUser>,
      includeCount: boolean,
    ): Promise<UserListing> => {
      const req: PageRequest = {
        url: join(tenant.baseUrl, `${V2}${path}`),
        route: routeTemplate(`${V2}${path}`),
        headers: { accept: ATLAS_USERS_VERSION },
        limitKey,
      };
      const pager = new MongoPager(http, req, listing, ctx, { includeCount });
      await pager.next();
      const left = pager.pagesLeft;
      const onFirst = new Set(pager.items.map((u) => normaliseEmail(u.username)));
      const missing = found.addresses.filter((a) => !onFirst.has(a));
      if (found.everyone || left === undefined || left <= missing.length) {
        return { list: await pager.rest(), complete: true, pager };
      }
      // Fewer calls: one `username` query per address not on the first page (a username is
      // listed once), instead of `left` more pages.
      const answers = await Promise.all(
        missing.map((username) => {
          const url = new URL(req.url);
          url.searchParams.set('username', username);
          return mongoPages(http, { ...req, url: url.href }, listing, ctx, { includeCount });
        }),
      );
      if (pager.totalCount !== undefined) found.atLeast(pager.totalCount);
      return { list: [...pager.items, ...answers.flat()], complete: false, pager };
    };
    const live = (u: CloudUser) => LIVE_STATUSES.has(u.orgMembershipStatus);

    let orgUsers: UserListing | undefined;
    const orgInvitationIds = new Set<string>();
    const tasks: Promise<void>[] = [
      invites(`/orgs/${enc(org)}/invites`, `org:${org}:invites`).then((list) => {
        for (const inv of list) {
          const email = found.match(inv.username);
          if (!email) continue;
          orgInvitationIds.add(inv.id);
          add('atlas_org_invitation', email, { orgId: org, invitationId: inv.id }, 0, `org ${org}`);
        }
      }),
      users(`/orgs/${enc(org)}/users`, `org:${org}:users`, ATLAS_SCHEMAS.orgUsers, true).then((listing) => {
        orgUsers = listing;
      }),
    ];
    for (const groupId of tenant.projectIds) {
      tasks.push(
        invites(`/groups/${enc(groupId)}/invites`, `group:${groupId}:invites`).then((list) => {
          for (const inv of list) {
            const email = found.match(inv.username);
            if (email)
              add(
                'atlas_project_invitation',
                email,
                { groupId, invitationId: inv.id },
                0,
                `project ${groupId}`,
              );
          }
        }),
        users(`/groups/${enc(groupId)}/users`, `group:${groupId}:users`, ATLAS_SCHEMAS.users, true).then(
          ({ list }) => {
            for (const u of list) {
              const email = found.match(u.username);
              if (email && live(u))
                add(
                  'atlas_project_user',
                  email,
                  { groupId, userId: u.id },
                  ATLAS_ORDER.projectOrTeamUser,
                  `project ${groupId}`,
                );
            }
          },
        ),
      );
    }
    for (const teamId of tenant.teamIds) {
      tasks.push(
        users(
          `/orgs/${enc(org)}/teams/${enc(teamId)}/users`,
          `org:${org}:teams`,
          ATLAS_SCHEMAS.users,
          false,
        ).then(({ list }) => {
          for (const u of list) {
            const email = found.match(u.username);
            if (email && live(u))
              add(
                'atlas_team_user',
                email,
                { orgId: org, teamId, userId: u.id },
                ATLAS_ORDER.projectOrTeamUser,
                `team ${teamId}`,
              );
          }
        }),
      );
    }
    await Promise.all(tasks);
    const listing = orgUsers!;
    const leaverOwner = (u: CloudUser) => isActive(u) && isOrgOwner(u) && found.isLeaving(u.username);
    const stayingOwner = (list: CloudUser[]) =>
      list.some((u) => isActive(u) && isOrgOwner(u) && !leaverOwner(u));
    let list = listing.list;
    if (!listing.complete && list.some(leaverOwner) && !stayingOwner(list)) {
      // Only the whole list can tell whether another owner stays.
      list = [...(await listing.pager.rest()), ...list];
    }
    const noOwnerStays = !stayingOwner(list);
    for (const u of list) {
      const email = found.match(u.username);
      if (!email || !live(u)) continue;
      const pending = u.orgMembershipStatus === 'PENDING';
      // A PENDING org user with the id of a listed org invitation is that same invitation.
      if (pending && orgInvitationIds.has(u.id)) continue;
      const order = pending ? ATLAS_ORDER.pendingOrgUser : ATLAS_ORDER.activeOrgUser;
      const g: Grant = {
        vendor: 'atlas',
        tenantId: tenant.id,
        kind: 'atlas_org_user',
        email,
        ids: { orgId: org, userId: u.id },
        order,
        scopeName: `org ${org}`,
      };
      if (noOwnerStays && isOrgOwner(u) && isActive(u)) g.lastOwner = true;
      found.add(g);
    }
    return found.finish(ctx, 'atlas', tenant.id);
  }

  async function revoke(grant: Grant, t: TenantConfig, ctx: Ctx): Promise<RevokeResult> {
    const tenant = asAtlas(t);
    checkGrant(grant, 'atlas', tenant.id);
    const http = client(tenant);
    const del = (path: string, accept: string, limitKey: string) =>
      removeCall(
        http,
        {
          method: 'DELETE',
          url: join(tenant.baseUrl, `${V2}${path}`),
          route: routeTemplate(`${V2}${path}`),
          headers: { accept },
          limitKey,
        },
        ctx,
      );
    switch (grant.kind) {
      case 'atlas_org_invitation': {
        const path = `${V2}/orgs/${enc(grant.ids.orgId)}/invites/${enc(grant.ids.invitationId)}`;
        const res = await http.request(
          {
            method: 'DELETE',
            url: join(tenant.baseUrl, path),
            route: routeTemplate(path),
            headers: { accept: ATLAS_INVITES_VERSION },
            limitKey: `org:${grant.ids.orgId}:invites`,
            acceptStatuses: INVITE_GONE,
          },
          ctx,
        );
        if (!INVITE_GONE.includes(res.status)) {
          return { outcome: 'revoked', vendorRequestId: res.vendorRequestId, attempts: res.attempts };
        }
        return revokePendingOrgUser(
          grant.ids.orgId,
          grant.ids.invitationId,
          res.vendorRequestId,
          res.attempts,
        );
      }
      case 'atlas_project_invitation':
        return del(
          `/groups/${enc(grant.ids.groupId)}/invites/${enc(grant.ids.invitationId)}`,
          ATLAS_INVITES_VERSION,
          `group:${grant.ids.groupId}:invites`,
        );
      case 'atlas_org_user':
        return del(
          `/orgs/${enc(grant.ids.orgId)}/users/${enc(grant.ids.userId)}`,
          ATLAS_USERS_VERSION,
          `org:${grant.ids.orgId}:users`,
        );
      case 'atlas_project_user':
        return del(
          `/groups/${enc(grant.ids.groupId)}/users/${enc(grant.ids.userId)}`,
          ATLAS_USERS_VERSION,
          `group:${grant.ids.groupId}:users`,
        );
      case 'atlas_team_user': {
        const path = `${V2}/orgs/${enc(grant.ids.orgId)}/teams/${enc(grant.ids.teamId)}:removeUser`;
        return removeCall(
          http,
          {
            method: 'POST',
            url: join(tenant.baseUrl, path),
            route: routeTemplate(path),
            headers: { accept: ATLAS_USERS_VERSION, 'content-type': ATLAS_USERS_VERSION },
            json: { id: grant.ids.userId },
            limitKey: `org:${grant.ids.orgId}:teams`,
          },
          ctx,
        );
      }
      default:
        return assertNever(grant, 'Atlas grant kind');
    }

    /**
     * The invitations endpoint could not find or delete the invitation: the pending org user with
     * its id (the same object in the new user model) may still be there. Removed through the users
     * endpoint if it is still PENDING; an ACTIVE user (accepted meanwhile) is left to the membership
     * found by the next discovery, so the org user still goes last.
     */
    async function revokePendingOrgUser(
      orgId: string,
      userId: string,
      requestId: string | undefined,
      attempts: number,
    ): Promise<RevokeResult> {
      const path = `${V2}/orgs/${enc(orgId)}/users/${enc(userId)}`;
      const req = {
        url: join(tenant.baseUrl, path),
        route: routeTemplate(path),
        headers: { accept: ATLAS_USERS_VERSION },
        limitKey: `org:${orgId}:users`,
      };
      const got = await http.request({ ...req, method: 'GET', acceptStatuses: [404] }, ctx);
      const user =
        got.status === 404
          ? undefined
          : parseAnswer(
              ATLAS_SCHEMAS.orgUserStatus(),
              got.body,
              { ...http.target, method: 'GET', route: req.route },
              got.vendorRequestId,
            );
      if (user?.orgMembershipStatus !== 'PENDING') {
        return { outcome: 'already_absent', vendorRequestId: requestId, attempts };
      }
      const removed = await removeCall(http, { ...req, method: 'DELETE' }, ctx);
      return { ...removed, attempts: attempts + got.attempts + removed.attempts };
    }
  }

  return { vendor: 'atlas', discover, revoke, scopes, inventory };
}

function asAtlas(t: TenantConfig): AtlasTenant {
  if (t.vendor !== 'atlas') throw wrongVendor(t, 'atlas');
  return t;
}
