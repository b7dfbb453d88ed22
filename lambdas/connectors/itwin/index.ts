/**
 * Bentley iTwin Access Control v2 (IMS client credentials, `Accept: ...itwin-platform.v2+json`).
 *
 * Discovery per iTwin (iTwins from tenant.itwinIds, or every iTwin listed at tenant.itwinsUrl),
 * all in parallel within the tenant's rate limit and concurrency cap, each list once for all
 * subjects: member invitations, user members, owner members, groups (listed with $top/$skip, so
 * member lists are complete, not capped at 50), and each group's member invitations.
 * Calls per discovery = ceil(N/100) iTwin listing pages (only for "all") + per iTwin (4 + G), with
 * more pages for lists over 100.
 */

import type { ITwinTenant, TenantConfig } from '../../core/config.ts';
import { LeaverError } from '../../core/errors.ts';
import { type Grant, type GrantFields, type GrantIdsOf, grantOf, type Subject } from '../../core/model.ts';
import type { Connector, Ctx, RevokeResult } from '../../core/ports.ts';
import { isGuid } from '../../core/vendor-ids.ts';
import { assertNever, type KindOfVendor } from '../../core/vendor-manifest.ts';
import {
  checkGrant,
  EVERYONE,
  emailIndex,
  enc,
  GrantCollector,
  join,
  ownerMarks,
  removeCall,
  wrongVendor,
} from '../common/grants.ts';
import type { TenantClients } from '../common/tenant-http.ts';
import type { VendorHttp } from '../http/client.ts';
import { type ItwinListing, itwinPages } from '../http/paging.ts';
import { routeTemplate } from '../http/route.ts';
import type { GroupWriters } from './group-writer.ts';
import { ITWIN_LISTINGS } from './schemas.ts';
import type { Group } from './types.ts';

export const ITWIN_ACCEPT = 'application/vnd.bentley.itwin-platform.v2+json';

export function itwinConnector(clients: TenantClients, groups: GroupWriters): Connector {
  const client = (tenant: ITwinTenant): VendorHttp =>
    clients.get(
      tenant,
      { type: 'oauth', tokenUrl: tenant.tokenUrl, scope: tenant.scope },
      { accept: ITWIN_ACCEPT },
    );

  async function itwinIds(tenant: ITwinTenant, http: VendorHttp, ctx: Ctx): Promise<string[]> {
    if (tenant.itwinIds !== 'all') return tenant.itwinIds;
    // The schema admits GUIDs only: no other id ever goes into a URL, and none is skipped unseen.
    const list = await itwinPages(
      http,
      { url: tenant.itwinsUrl!, route: '/itwins' },
      ITWIN_LISTINGS.itwins,
      ctx,
    );
    return list.map((i) => i.id);
  }

  /**
   * Lists one iTwin's invitations, user members, owners and groups (with each group's invitations)
   * into `found`, all in parallel.
   */
  async function listItwin(
    tenant: ITwinTenant,
    http: VendorHttp,
    itwinId: string,
    found: GrantCollector,
    ctx: Ctx,
  ) {
    const base = tenant.baseUrl;
    const list = <T>(path: string, listing: ItwinListing<T>) =>
      itwinPages(http, { url: join(base, path), route: routeTemplate(path) }, listing, ctx);
    const add = <K extends KindOfVendor<'itwin'>>(
      kind: K,
      email: string,
      ids: GrantIdsOf<K>,
      extra: Partial<GrantFields> = {},
    ) =>
      found.add(grantOf(kind, { tenantId: tenant.id, email, ids, scopeName: `iTwin ${itwinId}`, ...extra }));

    const it = `/itwins/${enc(itwinId)}`;
    const invitations = list(`${it}/members/invitations`, ITWIN_LISTINGS.invitations).then((items) => {
      for (const inv of items) {
        const email = found.match(inv.email);
        if (email && inv.status !== 'Accepted')
          add('itwin_member_invitation', email, { itwinId, invitationId: inv.id });
      }
    });
    const users = list(`${it}/members/users`, ITWIN_LISTINGS.members).then((items) => {
      for (const m of items) {
        const email = found.match(m.email);
        if (email) add('itwin_user_member', email, { itwinId, memberId: m.id });
      }
    });
    const owners = list(`${it}/members/owners`, ITWIN_LISTINGS.members).then((items) => {
      // Owners that stay: the ones whose email is not a leaver's.
      const staying = items.filter((m) => !found.isLeaving(m.email)).length;
      for (const m of items) {
        const email = found.match(m.email);
        if (email)
          add(
            'itwin_owner_member',
            email,
            { itwinId, memberId: m.id },
            staying === 0 ? { lastOwner: true } : {},
          );
      }
    });
    const groups = list(`${it}/groups`, ITWIN_LISTINGS.groups).then(async (items) => {
      await Promise.all(
        items.map(async (g) => {
          // Listed with $top/$skip, so `members` is the full list (not capped at 50).
          for (const u of g.members ?? []) {
            const email = found.match(u.email);
            if (email)
              add('itwin_group_membership', email, { itwinId, groupId: g.id }, groupScope(g, itwinId));
          }
          const invs = await list(`${it}/groups/${enc(g.id)}/invitations`, ITWIN_LISTINGS.invitations);
          for (const inv of invs) {
            const email = found.match(inv.email);
            if (email && inv.status !== 'Accepted')
              add(
                'itwin_group_invitation',
                email,
                { itwinId, groupId: g.id, invitationId: inv.id },
                groupScope(g, itwinId),
              );
          }
        }),
      );
    });
    await Promise.all([invitations, users, owners, groups]);
  }

  async function discover(subjects: readonly Subject[], t: TenantConfig, ctx: Ctx): Promise<Grant[]> {
    const tenant = asITwin(t);
    const http = client(tenant);
    const found = new GrantCollector(emailIndex(subjects));
    const ids = await itwinIds(tenant, http, ctx);
    await Promise.all(ids.map((id) => listItwin(tenant, http, id, found, ctx)));
    return found.finish(ctx, 'itwin', tenant.id);
  }

  /** Inventory scopes: one per iTwin. */
  async function scopes(t: TenantConfig, ctx: Ctx): Promise<string[]> {
    const tenant = asITwin(t);
    return [...new Set(await itwinIds(tenant, client(tenant), ctx))].sort();
  }

  async function inventory(t: TenantConfig, scope: string, ctx: Ctx): Promise<Grant[]> {
    const tenant = asITwin(t);
    if (!isGuid(scope)) throw new LeaverError('invalid_request', 'an iTwin inventory scope is an iTwin id');
    const found = new GrantCollector(EVERYONE);
    await listItwin(tenant, client(tenant), scope, found, ctx);
    return ownerMarks(found.finish(ctx, 'itwin', tenant.id));
  }

  async function revoke(grant: Grant, t: TenantConfig, ctx: Ctx): Promise<RevokeResult> {
    const tenant = asITwin(t);
    checkGrant(grant, 'itwin', tenant.id);
    const http = client(tenant);
    const it = `/itwins/${enc(grant.ids.itwinId)}`;
    const del = (path: string) =>
      removeCall(
        http,
        { method: 'DELETE', url: join(tenant.baseUrl, path), route: routeTemplate(path) },
        ctx,
      );
    switch (grant.kind) {
      case 'itwin_member_invitation':
        return del(`${it}/members/invitations/${enc(grant.ids.invitationId)}`);
      case 'itwin_group_invitation':
        return del(`${it}/groups/${enc(grant.ids.groupId)}/invitations/${enc(grant.ids.invitationId)}`);
      case 'itwin_user_member':
        return del(`${it}/members/users/${enc(grant.ids.memberId)}`);
      case 'itwin_owner_member':
        return del(`${it}/members/owners/${enc(grant.ids.memberId)}`);
      case 'itwin_group_member':
        return del(`${it}/members/groups/${enc(grant.ids.groupId)}`);
      case 'itwin_group_membership':
        // A PATCH of the whole member list: one writer per group at a time (group-writer.ts).
        return groups.remove(http, tenant, grant, ctx);
      default:
        return assertNever(grant, 'iTwin grant kind');
    }
  }

  return { vendor: 'itwin', discover, revoke, scopes, inventory };
}

function groupScope(g: Group, itwinId: string): Partial<GrantFields> {
  return { scopeName: `iTwin ${itwinId} group ${g.name ?? g.id}` };
}

function asITwin(t: TenantConfig): ITwinTenant {
  if (t.vendor !== 'itwin') throw wrongVendor(t, 'itwin');
  return t;
}
