/**
 * MongoDB Cloud Manager (Public API v1.0, HTTP Digest). Discovery lists each scope once for all
 * subjects: org invitations, each configured project's invitations, org users, project users and
 * each configured team's users, every answer checked against its schema (schemas.ts) first.
 * Removal is a DELETE on the matching resource; 404 = already absent.
 *
 * Last owner (a run never leaves a scope without an owner): a leaver's org user holding ORG_OWNER in the org gets `lastOwner` when no
 * org user outside the batch's subjects holds it (Cloud Manager lists members only, so every listed
 * org user is an active one); the worker skips it and alerts.
 */
import type { CloudManagerTenant, TenantConfig } from '../../core/config.ts';
import { type Grant, type GrantIdsOf, grantOf, type Subject } from '../../core/model.ts';
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
import { type MongoListing, mongoPages } from '../http/paging.ts';
import { routeTemplate } from '../http/route.ts';
import { CLOUD_MANAGER_SCHEMAS, type OrgUser } from './schemas.ts';

const ORG_OWNER = 'ORG_OWNER';

function isOrgOwner(u: OrgUser, orgId: string): boolean {
  return u.roles.some((r) => r.roleName === ORG_OWNER && r.orgId === orgId);
}

const HEADERS = { accept: 'application/json' };

/** Project and team removals first; the org user last (it ends every project and team access too). */
export const CLOUDMANAGER_ORDER = { invitation: 0, projectOrTeamUser: 10, orgUser: 20 } as const;

export function cloudManagerConnector(clients: TenantClients): Connector {
  const client = (tenant: CloudManagerTenant): VendorHttp => clients.get(tenant, { type: 'digest' }, HEADERS);

  async function discover(subjects: readonly Subject[], t: TenantConfig, ctx: Ctx): Promise<Grant[]> {
    return scan(asCloudManager(t), new GrantCollector(emailIndex(subjects)), ctx);
  }

  /** Inventory scopes: the one organisation (its projects and teams come with it). */
  async function scopes(t: TenantConfig): Promise<string[]> {
    return [asCloudManager(t).orgId];
  }

  async function inventory(t: TenantConfig, scope: string, ctx: Ctx): Promise<Grant[]> {
    const tenant = asCloudManager(t);
    if (scope !== tenant.orgId) throw wrongScope(tenant.id);
    return ownerMarks(await scan(tenant, new GrantCollector(EVERYONE), ctx));
  }

  /** Lists every configured scope of the tenant once into `found`. */
  async function scan(tenant: CloudManagerTenant, found: GrantCollector, ctx: Ctx): Promise<Grant[]> {
    const http = client(tenant);
    const base = tenant.baseUrl;
    const invites = async (path: string) => {
      const route = routeTemplate(path);
      const res = await http.request({ method: 'GET', url: join(base, path), route }, ctx);
      return arrayBody(http, res, route, CLOUD_MANAGER_SCHEMAS.invitations);
    };
    // Only pageNum and itemsPerPage: the parameters Cloud Manager documents for these listings
    // (no includeCount; the vendor sends totalCount on its own).
    const pages = <T>(path: string, listing: MongoListing<T>) =>
      mongoPages(http, { url: join(base, path), route: routeTemplate(path) }, listing, ctx);
    const grant = <K extends KindOfVendor<'cloudmanager'>>(
      kind: K,
      email: string,
      ids: GrantIdsOf<K>,
      order: number,
      scope: string,
    ) => found.add(grantOf(kind, { tenantId: tenant.id, email, ids, order, scopeName: scope }));
    const org = tenant.orgId;

    const tasks: Promise<void>[] = [
      invites(`/orgs/${enc(org)}/invites`).then((list) => {
        for (const inv of list) {
          const email = found.match(inv.username);
          if (email)
            grant(
              'cloudmanager_org_invitation',
              email,
              { orgId: org, invitationId: inv.id },
              0,
              `org ${org}`,
            );
        }
      }),
      pages(`/orgs/${enc(org)}/users`, CLOUD_MANAGER_SCHEMAS.orgUsers).then((users) => {
        const isLeaver = (u: OrgUser) => [u.username, u.emailAddress].some((e) => found.isLeaving(e));
        const noOwnerStays = !users.some((u) => isOrgOwner(u, org) && !isLeaver(u));
        for (const u of users) {
          const email = found.match(u.username) ?? found.match(u.emailAddress);
          if (email)
            found.add({
              vendor: 'cloudmanager',
              tenantId: tenant.id,
              kind: 'cloudmanager_org_user',
              email,
              ids: { orgId: org, userId: u.id },
              order: CLOUDMANAGER_ORDER.orgUser,
              scopeName: `org ${org}`,
              ...(noOwnerStays && isOrgOwner(u, org) ? { lastOwner: true } : {}),
            });
        }
      }),
    ];
    for (const groupId of tenant.projectIds) {
      tasks.push(
        invites(`/groups/${enc(groupId)}/invites`).then((list) => {
          for (const inv of list) {
            const email = found.match(inv.username);
            if (email)
              grant(
                'cloudmanager_project_invitation',
                email,
                { groupId, invitationId: inv.id },
                0,
                `project ${groupId}`,
              );
          }
        }),
        pages(`/groups/${enc(groupId)}/users`, CLOUD_MANAGER_SCHEMAS.users).then((users) => {
          for (const u of users) {
            const email = found.match(u.username) ?? found.match(u.emailAddress);
            if (email)
              grant(
                'cloudmanager_project_user',
                email,
                { groupId, userId: u.id },
                CLOUDMANAGER_ORDER.projectOrTeamUser,
                `project ${groupId}`,
              );
          }
        }),
      );
    }
    for (const teamId of tenant.teamIds) {
      tasks.push(
        pages(`/orgs/${enc(org)}/teams/${enc(teamId)}/users`, CLOUD_MANAGER_SCHEMAS.users).then((users) => {
          for (const u of users) {
            const email = found.match(u.username) ?? found.match(u.emailAddress);
            if (email)
              grant(
                'cloudmanager_team_user',
                email,
                { orgId: org, teamId, userId: u.id },
                CLOUDMANAGER_ORDER.projectOrTeamUser,
                `team ${teamId}`,
              );
          }
        }),
      );
    }
    await Promise.all(tasks);
    return found.finish(ctx, 'cloudmanager', tenant.id);
  }

  async function revoke(grant: Grant, t: TenantConfig, ctx: Ctx): Promise<RevokeResult> {
    const tenant = asCloudManager(t);
    checkGrant(grant, 'cloudmanager', tenant.id);
    let path: string;
    switch (grant.kind) {
      case 'cloudmanager_org_invitation':
        path = `/orgs/${enc(grant.ids.orgId)}/invites/${enc(grant.ids.invitationId)}`;
        break;
      case 'cloudmanager_project_invitation':
        path = `/groups/${enc(grant.ids.groupId)}/invites/${enc(grant.ids.invitationId)}`;
        break;
      case 'cloudmanager_org_user':
        path = `/orgs/${enc(grant.ids.orgId)}/users/${enc(grant.ids.userId)}`;
        break;
      case 'cloudmanager_project_user':
        path = `/groups/${enc(grant.ids.groupId)}/users/${enc(grant.ids.userId)}`;
        break;
      case 'cloudmanager_team_user':
        path = `/orgs/${enc(grant.ids.orgId)}/teams/${enc(grant.ids.teamId)}/users/${enc(grant.ids.userId)}`;
        break;
      default:
        return assertNever(grant, 'Cloud Manager grant kind');
    }
    return removeCall(
      client(tenant),
      { method: 'DELETE', url: join(tenant.baseUrl, path), route: routeTemplate(path) },
      ctx,
    );
  }

  return { vendor: 'cloudmanager', discover, revoke, scopes, inventory };
}

function asCloudManager(t: TenantConfig): CloudManagerTenant {
  if (t.vendor !== 'cloudmanager') throw wrongVendor(t, 'cloudmanager');
  return t;
}
