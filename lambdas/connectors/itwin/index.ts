/**
 * Bentley iTwin Access Control v2 (IMS client credentials, `Accept: ...itwin-platform.v2+json`).
 *
 * Discovery per iTwin (iTwins from tenant.itwinIds, or every iTwin listed at tenant.itwinsUrl),
 * all in parallel within the tenant's rate limit and concurrency cap, each list once for all
 * subjects: member invitations, user members, owner members, groups (paged, so member lists are
 * not capped at 50; a group showing 50 or more members is fetched whole), and each group's member
 * invitations. Calls per discovery = ceil(N/100) iTwin listing pages (only for "all") + per iTwin
 * (4 + G + groups with >= 50 members), with more pages for lists over 100.
 */

import type { ITwinTenant, TenantConfig } from '../../core/config.ts';
import { LeaverError } from '../../core/errors.ts';
import type { Grant, Subject } from '../../core/model.ts';
import { normaliseEmail } from '../../core/model.ts';
import type { Connector, Ctx, RevokeResult } from '../../core/ports.ts';
import { isGuid } from '../../core/vendor-ids.ts';
import {
  checkGrant,
  emailIndex,
  enc,
  GrantCollector,
  join,
  removeCall,
  unsupported,
  wrongVendor,
} from '../common/grants.ts';
import type { TenantClients } from '../common/tenant-http.ts';
import type { VendorHttp } from '../http/client.ts';
import { itwinPages } from '../http/paging.ts';
import { routeTemplate } from '../http/route.ts';

export const ITWIN_ACCEPT = 'application/vnd.bentley.itwin-platform.v2+json';
/** The vendor caps a group PATCH `members` list at 50 emails. */
export const ITWIN_GROUP_PATCH_LIMIT = 50;

interface Member {
  id: string;
  email?: string | null;
}
interface Invitation {
  id: string;
  email?: string | null;
  status?: string;
}
interface GroupUser {
  userId?: string;
  id?: string;
  email?: string | null;
}
interface Group {
  id: string;
  name?: string;
  members?: GroupUser[];
}

export function itwinConnector(clients: TenantClients): Connector {
  const client = (tenant: ITwinTenant): VendorHttp =>
    clients.get(
      tenant,
      { type: 'oauth', tokenUrl: tenant.tokenUrl, scope: tenant.scope },
      { accept: ITWIN_ACCEPT },
    );

  async function itwinIds(tenant: ITwinTenant, http: VendorHttp, ctx: Ctx): Promise<string[]> {
    if (tenant.itwinIds !== 'all') return tenant.itwinIds;
    const list = await itwinPages<{ id: string }>(
      http,
      { url: tenant.itwinsUrl!, route: '/itwins' },
      'iTwins',
      ctx,
    );
    // Never put an id that is not a GUID into a URL.
    return list.map((i) => i.id).filter((id) => isGuid(id));
  }

  async function discover(subjects: readonly Subject[], t: TenantConfig, ctx: Ctx): Promise<Grant[]> {
    const tenant = asITwin(t);
    const http = client(tenant);
    const found = new GrantCollector(emailIndex(subjects));
    const subjectEmails = new Set(emailIndex(subjects).keys());
    const base = tenant.baseUrl;
    const list = <T>(path: string, key: string) =>
      itwinPages<T>(http, { url: join(base, path), route: routeTemplate(path) }, key, ctx);
    const add = (
      kind: Grant['kind'],
      email: string,
      ids: Record<string, string>,
      extra: Partial<Grant> = {},
    ) =>
      found.add({
        vendor: 'itwin',
        tenantId: tenant.id,
        kind,
        email,
        ids,
        scopeName: `iTwin ${ids.itwinId}`,
        ...extra,
      });

    const perItwin = async (itwinId: string) => {
      const it = `/itwins/${enc(itwinId)}`;
      const invitations = list<Invitation>(`${it}/members/invitations`, 'invitations').then((items) => {
        for (const inv of items) {
          const email = found.match(inv.email);
          if (email && inv.status !== 'Accepted')
            add('itwin_member_invitation', email, { itwinId, invitationId: inv.id });
        }
      });
      const users = list<Member>(`${it}/members/users`, 'members').then((items) => {
        for (const m of items) {
          const email = found.match(m.email);
          if (email) add('itwin_user_member', email, { itwinId, memberId: m.id });
        }
      });
      const owners = list<Member>(`${it}/members/owners`, 'members').then((items) => {
        // Owners that stay: the ones whose email is not a leaver's.
        const staying = items.filter((m) => !m.email || !subjectEmails.has(normaliseEmail(m.email))).length;
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
      const groups = list<Group>(`${it}/groups`, 'groups').then(async (items) => {
        await Promise.all(
          items.map(async (g) => {
            if (!isGuid(g.id)) return;
            // Listed with $top/$skip, so `members` is the full list (not capped at 50).
            for (const u of g.members ?? []) {
              const email = found.match(u.email);
              if (email)
                add('itwin_group_membership', email, { itwinId, groupId: g.id }, groupScope(g, itwinId));
            }
            const invs = await list<Invitation>(`${it}/groups/${enc(g.id)}/invitations`, 'invitations');
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
    };

    const ids = await itwinIds(tenant, http, ctx);
    await Promise.all(ids.map(perItwin));
    return found.grants;
  }

  async function revoke(grant: Grant, t: TenantConfig, ctx: Ctx): Promise<RevokeResult> {
    const tenant = asITwin(t);
    checkGrant(grant, 'itwin', tenant.id);
    const http = client(tenant);
    const ids = grant.ids;
    const it = `/itwins/${enc(ids.itwinId!)}`;
    const del = (path: string) =>
      removeCall(
        http,
        { method: 'DELETE', url: join(tenant.baseUrl, path), route: routeTemplate(path) },
        ctx,
      );
    switch (grant.kind) {
      case 'itwin_member_invitation':
        return del(`${it}/members/invitations/${enc(ids.invitationId!)}`);
      case 'itwin_group_invitation':
        return del(`${it}/groups/${enc(ids.groupId!)}/invitations/${enc(ids.invitationId!)}`);
      case 'itwin_user_member':
        return del(`${it}/members/users/${enc(ids.memberId!)}`);
      case 'itwin_owner_member':
        return del(`${it}/members/owners/${enc(ids.memberId!)}`);
      case 'itwin_group_member':
        return del(`${it}/members/groups/${enc(ids.groupId!)}`);
      case 'itwin_group_membership':
        return removeFromGroup(http, tenant, grant, ctx);
      default:
        throw unsupported(grant);
    }
  }

  return { vendor: 'itwin', discover, revoke };
}

/**
 * PATCH the group's `members` with everyone but the leaver's address. The group is read fresh
 * right before, through the paged group list (GET /groups/{id} caps `members` at 50; the list
 * with $top/$skip does not), so members added meanwhile are kept. Members without an email
 * (users deleted from IMS, which the vendor purges weekly) cannot be named and drop out.
 * The vendor caps the PATCH list at 50: if more than 50 others would remain, nobody is dropped:
 * the action fails (vendor_bad_request, details.reason "group_patch_limit") and needs a person.
 */
async function removeFromGroup(
  http: VendorHttp,
  tenant: ITwinTenant,
  grant: Grant,
  ctx: Ctx,
): Promise<RevokeResult> {
  const { itwinId, groupId } = grant.ids as { itwinId: string; groupId: string };
  const groupsPath = `/itwins/${enc(itwinId)}/groups`;
  const path = `${groupsPath}/${enc(groupId)}`;
  let groups: Group[];
  try {
    groups = await itwinPages<Group>(
      http,
      { url: join(tenant.baseUrl, groupsPath), route: routeTemplate(groupsPath) },
      'groups',
      ctx,
    );
  } catch (e) {
    if (isGone(e)) return { outcome: 'already_absent', attempts: 1 };
    throw e;
  }
  const group = groups.find((g) => g.id?.toLowerCase() === groupId.toLowerCase());
  if (!group) return { outcome: 'already_absent', attempts: 1 };
  const leaver = normaliseEmail(grant.email);
  const emails = (group.members ?? [])
    .map((m) => m.email)
    .filter((e): e is string => typeof e === 'string' && e !== '');
  const remaining = emails.filter((e) => normaliseEmail(e) !== leaver);
  if (remaining.length === emails.length) return { outcome: 'already_absent', attempts: 1 };
  if (remaining.length > ITWIN_GROUP_PATCH_LIMIT) {
    throw new LeaverError(
      'vendor_bad_request',
      `iTwin group has ${remaining.length} other members; a group PATCH takes at most ${ITWIN_GROUP_PATCH_LIMIT}, so the member cannot be removed without dropping others`,
      {
        details: {
          reason: 'group_patch_limit',
          limit: ITWIN_GROUP_PATCH_LIMIT,
          remaining: remaining.length,
          vendor: 'itwin',
          tenantId: tenant.id,
          route: routeTemplate(path),
        },
      },
    );
  }
  try {
    const res = await http.request(
      {
        method: 'PATCH',
        url: join(tenant.baseUrl, path),
        route: routeTemplate(path),
        json: { members: remaining },
      },
      ctx,
    );
    return { outcome: 'revoked', vendorRequestId: res.vendorRequestId, attempts: res.attempts };
  } catch (e) {
    if (isGone(e)) return { outcome: 'already_absent', attempts: 1 };
    throw e;
  }
}

/** A 404 for the iTwin or the group itself (not, say, TeamMemberNotFound for another member's email). */
function isGone(e: unknown): boolean {
  if (!(e instanceof LeaverError) || e.code !== 'vendor_not_found') return false;
  const code = e.details?.vendorCode;
  return code === 'GroupNotFound' || code === 'ItwinNotFound';
}

function groupScope(g: Group, itwinId: string): Partial<Grant> {
  return { scopeName: `iTwin ${itwinId} group ${g.name ?? g.id}` };
}

function asITwin(t: TenantConfig): ITwinTenant {
  if (t.vendor !== 'itwin') throw wrongVendor(t, 'itwin');
  return t;
}
