import { MongoApiError } from '../mongodb/api-error.ts';
import { parseBody, stringArray, stringField } from '../mongodb/body.ts';
import { paginate, parsePaging } from '../mongodb/paging.ts';
import type { RouteDef } from '../mongodb/router.ts';
import { userNotFound } from '../mongodb/scope.ts';
import type { MongoStore } from '../mongodb/store.ts';
import { type AtlasCtx, type AtlasRoute, noContent, ok, route, V2023, V2025 } from './route-types.ts';
import { assertNoPending } from './routes-invites.ts';
import { matches, parseUserFilters } from './user-filters.ts';
import {
  activeGroupUserView,
  activeOrgUserView,
  cloudAppUserView,
  pendingGroupUserView,
  pendingOrgUserView,
} from './views.ts';

const BOTH = [V2023, V2025] as const;
const ONLY_2025 = [V2025] as const;

/** MongoDB Cloud Users: org and project users (ACTIVE accounts + PENDING org invitations). */
export const USER_ROUTES: RouteDef<AtlasRoute>[] = [
  route('GET', '/orgs/{orgId}/users', { org: 'MEMBER' }, 'users', BOTH, (ctx) => {
    const { req, store, scope, version } = ctx;
    const orgId = scope.orgId!;
    if (version === V2023) {
      const list = store.orgMembers(orgId).map((a) => cloudAppUserView(store, req.rootUrl, a));
      return ok(paginate(req, list, parsePaging(req.query)));
    }
    return ok(paginate(req, orgUsers(ctx, orgId), parsePaging(req.query)));
  }),
  route('POST', '/orgs/{orgId}/users', { org: 'OWNER' }, 'users', ONLY_2025, ({ req, store, scope }) => {
    const b = parseBody(req.body, ['username', 'roles', 'teamIds'], ['username', 'roles']);
    const username = stringField(b, 'username')!;
    const roles = b.roles as { orgRoles?: unknown; groupRoleAssignments?: unknown };
    if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) {
      throw new MongoApiError(400, 'INVALID_ATTRIBUTE', 'Invalid attribute roles specified.', ['roles']);
    }
    const orgRoles = stringArray(roles as Record<string, unknown>, 'orgRoles');
    if (!orgRoles?.length) {
      throw new MongoApiError(
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute roles.orgRoles was not specified.',
        ['roles.orgRoles'],
      );
    }
    const gra = Array.isArray(roles.groupRoleAssignments)
      ? (roles.groupRoleAssignments as { groupId: string; groupRoles?: string[] }[])
      : [];
    assertNoPending(store, scope.orgId!, username);
    const inv = store.addOrgInvite({
      orgId: scope.orgId!,
      username,
      roles: orgRoles,
      teamIds: stringArray(b, 'teamIds') ?? [],
      groupRoleAssignments: gra.flatMap((g) =>
        (g.groupRoles ?? []).map((groupRole) => ({ groupId: g.groupId, groupRole })),
      ),
    });
    return { status: 201, body: pendingOrgUserView(store, inv) };
  }),
  route(
    'GET',
    '/orgs/{orgId}/users/{userId}',
    { org: 'MEMBER' },
    'users',
    ONLY_2025,
    ({ params, store, scope }) => {
      const orgId = scope.orgId!;
      const acc = store.accounts.get(params.userId!);
      if (acc?.orgRoles.has(orgId)) return ok(activeOrgUserView(store, orgId, acc));
      const inv = store.orgInvites.get(params.userId!);
      if (inv && inv.orgId === orgId) return ok(pendingOrgUserView(store, inv));
      throw userNotFound(params.userId!, 'organization');
    },
  ),
  route(
    'DELETE',
    '/orgs/{orgId}/users/{userId}',
    { org: 'OWNER' },
    'users',
    BOTH,
    ({ params, store, scope, version }) => {
      const orgId = scope.orgId!;
      const id = params.userId!;
      // ACTIVE: removes the membership with its project roles and team memberships in this org.
      if (store.removeOrgMember(orgId, id)) return noContent();
      // PENDING (2025-02-19 only): the pending user is the org invitation.
      const inv = store.orgInvites.get(id);
      if (version === V2025 && inv && inv.orgId === orgId) {
        store.orgInvites.delete(id);
        return noContent();
      }
      throw userNotFound(id, 'organization');
    },
  ),
  route('GET', '/groups/{groupId}/users', { group: 'READ' }, 'users', BOTH, (ctx) => {
    const { req, store, scope, version } = ctx;
    const groupId = scope.groupId!;
    if (version === V2023) {
      const list = store.groupMembers(groupId).map((a) => cloudAppUserView(store, req.rootUrl, a));
      return ok(paginate(req, list, parsePaging(req.query)));
    }
    return ok(paginate(req, groupUsers(ctx, groupId), parsePaging(req.query)));
  }),
  route('GET', '/groups/{groupId}/users/{userId}', { group: 'READ' }, 'users', ONLY_2025, (ctx) => {
    const found = groupUsers(ctx, ctx.scope.groupId!, true).find((u) => u.id === ctx.params.userId);
    if (!found) throw userNotFound(ctx.params.userId!, 'project');
    return ok(found);
  }),
  route('DELETE', '/groups/{groupId}/users/{userId}', { group: 'USER_ADMIN' }, 'users', BOTH, (ctx) => {
    const { params, store, scope, version } = ctx;
    const groupId = scope.groupId!;
    const id = params.userId!;
    if (store.removeGroupMember(groupId, id)) return noContent();
    const inv = store.orgInvites.get(id);
    if (version === V2025 && inv && inv.groupRoleAssignments.some((g) => g.groupId === groupId)) {
      inv.groupRoleAssignments = inv.groupRoleAssignments.filter((g) => g.groupId !== groupId);
      return noContent();
    }
    throw userNotFound(id, 'project');
  }),
];

function orgUsers(ctx: AtlasCtx, orgId: string) {
  const { req, store } = ctx;
  const f = parseUserFilters(req, true);
  const out: { id: string }[] = [];
  for (const a of store.orgMembers(orgId)) {
    if (matches(f, 'ACTIVE', a.username, a.id)) out.push(activeOrgUserView(store, orgId, a));
  }
  for (const i of store.orgInvites.values()) {
    if (i.orgId === orgId && matches(f, store.inviteStatus(i), i.username, i.id))
      out.push(pendingOrgUserView(store, i));
  }
  return out;
}

/**
 * Project users: accounts with a role in the project and pending org users whose invitation
 * carries a role in it. `flattenTeams=true` adds members of teams linked to the project;
 * `includeOrgUsers=true` adds org owners / read-only users (implicit access).
 */
function groupUsers(ctx: AtlasCtx, groupId: string, all = false) {
  const { req, store } = ctx;
  const f = all
    ? parseUserFilters({ ...req, query: new URLSearchParams() }, true)
    : parseUserFilters(req, true);
  if (all) f.statuses = new Set(['ACTIVE', 'PENDING', 'INVITATION_EXPIRED', 'INVITATION_REJECTED']);
  const flatten = req.query.get('flattenTeams') === 'true';
  const includeOrg = req.query.get('includeOrgUsers') === 'true';
  const orgId = store.projects.get(groupId)!.orgId;
  const out: ({ id: string } & Record<string, unknown>)[] = [];
  for (const a of store.accounts.values()) {
    const roles = new Set(a.groupRoles.get(groupId) ?? []);
    if (flatten)
      for (const t of teamsWithRole(store, groupId))
        if (t.memberIds.has(a.id)) addAll(roles, t.groupRoles.get(groupId));
    const org = a.orgRoles.get(orgId) ?? [];
    const implicit = includeOrg && (org.includes('ORG_OWNER') || org.includes('ORG_READ_ONLY'));
    if ((roles.size || implicit) && matches(f, 'ACTIVE', a.username, a.id))
      out.push(activeGroupUserView(a, [...roles]));
  }
  for (const i of store.orgInvites.values()) {
    if (!i.groupRoleAssignments.some((g) => g.groupId === groupId)) continue;
    if (matches(f, store.inviteStatus(i), i.username, i.id))
      out.push(pendingGroupUserView(store, i, groupId));
  }
  return out;
}

function teamsWithRole(store: MongoStore, groupId: string) {
  return [...store.teams.values()].filter((t) => t.groupRoles.has(groupId));
}

function addAll(set: Set<string>, items: string[] | undefined) {
  for (const i of items ?? []) set.add(i);
}
