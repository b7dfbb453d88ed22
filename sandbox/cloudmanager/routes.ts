import type { SandboxRequest } from '../core/types.ts';
import { MongoApiError } from '../mongodb/api-error.ts';
import { parseBody, stringArray, stringField } from '../mongodb/body.ts';
import { paginate, parsePaging } from '../mongodb/paging.ts';
import type { Need } from '../mongodb/roles.ts';
import type { RouteDef } from '../mongodb/router.ts';
import { invitationNotFound, type Scope, userNotFound } from '../mongodb/scope.ts';
import type { MongoStore } from '../mongodb/store.ts';
import { groupInvitationView, orgInvitationView, teamView, userView } from './views.ts';

export interface CmCtx {
  req: SandboxRequest;
  params: Record<string, string>;
  scope: Scope;
  store: MongoStore;
}

export interface CmRoute {
  need: Need;
  run(ctx: CmCtx): { status: number; body?: unknown };
}

const ok = (body: unknown) => ({ status: 200, body });
const noContent = () => ({ status: 204 });

/**
 * Cloud Manager Public API v1.0 endpoints an offboarding touches (docs/vendors.md#cloud-manager-endpoints), relative to
 * `/api/public/v1.0`. `/invites` is the real path; the docs' curl `/invitations` is a typo
 * (docs/vendors.md#cloud-manager-invites-path) and
 * answers 404 here (no route).
 */
export const CM_ROUTES: RouteDef<CmRoute>[] = [
  // Organisation invitations (Organization User Admin).
  r('GET', '/orgs/{orgId}/invites', { org: 'USER_ADMIN' }, ({ req, store, scope }) =>
    ok(
      store
        .pendingOrgInvites(scope.orgId!, req.query.get('username') ?? undefined)
        .map((i) => orgInvitationView(store, i)),
    ),
  ),
  r('POST', '/orgs/{orgId}/invites', { org: 'USER_ADMIN' }, ({ req, store, scope }) => {
    const b = parseBody(req.body, ['username', 'roles', 'teamIds'], ['username', 'roles']);
    const teamIds = stringArray(b, 'teamIds') ?? [];
    for (const t of teamIds) {
      if (store.teams.get(t)?.orgId !== scope.orgId) {
        throw new MongoApiError(404, 'TEAM_NOT_FOUND', `Team ${t} not found.`, [t]);
      }
    }
    const inv = store.addOrgInvite({
      orgId: scope.orgId!,
      username: stringField(b, 'username')!,
      roles: stringArray(b, 'roles')!,
      teamIds,
    });
    return ok(orgInvitationView(store, inv));
  }),
  r('GET', '/orgs/{orgId}/invites/{invitationId}', { org: 'USER_ADMIN' }, ({ params, store, scope }) =>
    ok(orgInvitationView(store, pendingOrgInvite(store, scope, params.invitationId!))),
  ),
  r('DELETE', '/orgs/{orgId}/invites/{invitationId}', { org: 'USER_ADMIN' }, ({ params, store, scope }) => {
    store.orgInvites.delete(pendingOrgInvite(store, scope, params.invitationId!).id);
    return noContent();
  }),
  // Project invitations (Project User Admin).
  r('GET', '/groups/{groupId}/invites', { group: 'USER_ADMIN' }, ({ req, store, scope }) =>
    ok(
      store
        .pendingGroupInvites(scope.groupId!, req.query.get('username') ?? undefined)
        .map((i) => groupInvitationView(store, i)),
    ),
  ),
  r('POST', '/groups/{groupId}/invites', { group: 'USER_ADMIN' }, ({ req, store, scope }) => {
    const b = parseBody(req.body, ['username', 'roles'], ['username', 'roles']);
    const inv = store.addGroupInvite({
      groupId: scope.groupId!,
      username: stringField(b, 'username')!,
      roles: stringArray(b, 'roles')!,
    });
    return ok(groupInvitationView(store, inv));
  }),
  r('GET', '/groups/{groupId}/invites/{invitationId}', { group: 'USER_ADMIN' }, ({ params, store, scope }) =>
    ok(groupInvitationView(store, pendingGroupInvite(store, scope, params.invitationId!))),
  ),
  r(
    'DELETE',
    '/groups/{groupId}/invites/{invitationId}',
    { group: 'USER_ADMIN' },
    ({ params, store, scope }) => {
      store.groupInvites.delete(pendingGroupInvite(store, scope, params.invitationId!).id);
      return noContent();
    },
  ),
  // Organisation users.
  r('GET', '/orgs/{orgId}/users', { org: 'MEMBER' }, ({ req, store, scope }) =>
    ok(
      paginate(
        req,
        store.orgMembers(scope.orgId!).map((a) => userView(store, req.rootUrl, a)),
        parsePaging(req.query),
      ),
    ),
  ),
  r('DELETE', '/orgs/{orgId}/users/{userId}', { org: 'USER_ADMIN' }, ({ params, store, scope }) => {
    if (!store.removeOrgMember(scope.orgId!, params.userId!))
      throw userNotFound(params.userId!, 'organization');
    return noContent();
  }),
  // Project users.
  r('GET', '/groups/{groupId}/users', { group: 'READ' }, ({ req, store, scope }) =>
    ok(
      paginate(
        req,
        store.groupMembers(scope.groupId!).map((a) => userView(store, req.rootUrl, a)),
        parsePaging(req.query),
      ),
    ),
  ),
  r('DELETE', '/groups/{groupId}/users/{userId}', { group: 'USER_ADMIN' }, ({ params, store, scope }) => {
    if (!store.removeGroupMember(scope.groupId!, params.userId!))
      throw userNotFound(params.userId!, 'project');
    return noContent();
  }),
  // Teams.
  r('GET', '/orgs/{orgId}/teams', { org: 'MEMBER' }, ({ req, store, scope }) =>
    ok(
      paginate(
        req,
        [...store.teams.values()]
          .filter((t) => t.orgId === scope.orgId)
          .map((t) => teamView(store, req.rootUrl, t)),
        parsePaging(req.query),
      ),
    ),
  ),
  r('GET', '/orgs/{orgId}/teams/{teamId}/users', { org: 'MEMBER' }, ({ req, store, scope }) => {
    const team = store.teams.get(scope.teamId!)!;
    const members = [...team.memberIds].map((id) => store.accounts.get(id)!).filter(Boolean);
    return ok(
      paginate(
        req,
        members.map((a) => userView(store, req.rootUrl, a)),
        parsePaging(req.query),
      ),
    );
  }),
  r(
    'DELETE',
    '/orgs/{orgId}/teams/{teamId}/users/{userId}',
    { org: 'USER_ADMIN' },
    ({ params, store, scope }) => {
      if (!store.removeTeamMember(scope.teamId!, params.userId!)) throw userNotFound(params.userId!, 'team');
      return noContent();
    },
  ),
  // Users.
  r('GET', '/users/byName/{username}', 'ANY', ({ req, params, store }) => {
    const a = store.accountByUsername(params.username!);
    if (!a) {
      throw new MongoApiError(404, 'USER_NOT_FOUND', `No user with username ${params.username} exists.`, [
        params.username,
      ]);
    }
    return ok(userView(store, req.rootUrl, a));
  }),
  r('GET', '/users/{userId}', 'ANY', ({ req, params, store }) => {
    const a = store.accounts.get(params.userId!);
    if (!a)
      throw new MongoApiError(404, 'USER_NOT_FOUND', `No user with ID ${params.userId} exists.`, [
        params.userId,
      ]);
    return ok(userView(store, req.rootUrl, a));
  }),
];

function r(method: string, pattern: string, need: Need, run: CmRoute['run']): RouteDef<CmRoute> {
  return { method, pattern, meta: { need, run } };
}

function pendingOrgInvite(store: MongoStore, scope: Scope, id: string) {
  const inv = store.orgInvites.get(id);
  // Accepted invitations are gone; expired ones count as gone too (30 days on the sandbox clock).
  if (!inv || inv.orgId !== scope.orgId || !store.isPending(inv)) throw invitationNotFound(id);
  return inv;
}

function pendingGroupInvite(store: MongoStore, scope: Scope, id: string) {
  const inv = store.groupInvites.get(id);
  if (!inv || inv.groupId !== scope.groupId || !store.isPending(inv)) throw invitationNotFound(id);
  return inv;
}
