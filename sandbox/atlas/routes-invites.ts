import { MongoApiError } from '../mongodb/api-error.ts';
import { parseBody, stringArray, stringField } from '../mongodb/body.ts';
import type { RouteDef } from '../mongodb/router.ts';
import { invitationNotFound, type Scope } from '../mongodb/scope.ts';
import type { MongoStore } from '../mongodb/store.ts';
import { type AtlasRoute, noContent, ok, route, V2023 } from './route-types.ts';
import { groupInvitationView, orgInvitationView } from './views.ts';

const ONLY_2023 = [V2023] as const;

/**
 * Invitations (deprecated, 2023-01-01 only; bare arrays, no paging). A pending org invitation is
 * the same object as the PENDING org user of the users endpoints (same id). Project invitations
 * are separate objects that the users endpoints do not show.
 */
export const INVITE_ROUTES: RouteDef<AtlasRoute>[] = [
  route('GET', '/orgs/{orgId}/invites', { org: 'OWNER' }, 'invites', ONLY_2023, ({ req, store, scope }) =>
    ok(
      store
        .pendingOrgInvites(scope.orgId!, req.query.get('username') ?? undefined)
        .map((i) => orgInvitationView(store, req.rootUrl, i)),
    ),
  ),
  route('POST', '/orgs/{orgId}/invites', { org: 'OWNER' }, 'invites', ONLY_2023, ({ req, store, scope }) => {
    const b = parseBody(
      req.body,
      ['username', 'roles', 'teamIds', 'groupRoleAssignments'],
      ['username', 'roles'],
    );
    const username = stringField(b, 'username')!;
    assertNoPending(store, scope.orgId!, username);
    const teamIds = stringArray(b, 'teamIds') ?? [];
    for (const t of teamIds) {
      if (store.teams.get(t)?.orgId !== scope.orgId)
        throw new MongoApiError(404, 'TEAM_NOT_FOUND', `Team ${t} not found.`, [t]);
    }
    const gra = b.groupRoleAssignments;
    if (gra !== undefined && !Array.isArray(gra)) {
      throw new MongoApiError(400, 'INVALID_ATTRIBUTE', 'Invalid attribute groupRoleAssignments specified.', [
        'groupRoleAssignments',
      ]);
    }
    const inv = store.addOrgInvite({
      orgId: scope.orgId!,
      username,
      roles: stringArray(b, 'roles')!,
      teamIds,
      groupRoleAssignments: ((gra ?? []) as { groupId: string; groupRole: string }[]).map((g) => ({
        groupId: String(g.groupId),
        groupRole: String(g.groupRole),
      })),
    });
    return ok(orgInvitationView(store, req.rootUrl, inv));
  }),
  route(
    'GET',
    '/orgs/{orgId}/invites/{invitationId}',
    { org: 'OWNER' },
    'invites',
    ONLY_2023,
    ({ req, params, store, scope }) =>
      ok(orgInvitationView(store, req.rootUrl, pendingOrgInvite(store, scope, params.invitationId!))),
  ),
  route(
    'DELETE',
    '/orgs/{orgId}/invites/{invitationId}',
    { org: 'OWNER' },
    'invites',
    ONLY_2023,
    ({ params, store, scope }) => {
      // "You can't cancel an invitation that the user accepted": an accepted one is gone -> 404.
      store.orgInvites.delete(pendingOrgInvite(store, scope, params.invitationId!).id);
      return noContent();
    },
  ),
  route(
    'GET',
    '/groups/{groupId}/invites',
    { group: 'OWNER' },
    'invites',
    ONLY_2023,
    ({ req, store, scope }) =>
      ok(
        store
          .pendingGroupInvites(scope.groupId!, req.query.get('username') ?? undefined)
          .map((i) => groupInvitationView(store, req.rootUrl, i)),
      ),
  ),
  route(
    'POST',
    '/groups/{groupId}/invites',
    { group: 'OWNER' },
    'invites',
    ONLY_2023,
    ({ req, store, scope }) => {
      const b = parseBody(req.body, ['username', 'roles'], ['username', 'roles']);
      const inv = store.addGroupInvite({
        groupId: scope.groupId!,
        username: stringField(b, 'username')!,
        roles: stringArray(b, 'roles')!,
      });
      return ok(groupInvitationView(store, req.rootUrl, inv));
    },
  ),
  route(
    'GET',
    '/groups/{groupId}/invites/{invitationId}',
    { group: 'OWNER' },
    'invites',
    ONLY_2023,
    ({ req, params, store, scope }) =>
      ok(groupInvitationView(store, req.rootUrl, pendingGroupInvite(store, scope, params.invitationId!))),
  ),
  route(
    'DELETE',
    '/groups/{groupId}/invites/{invitationId}',
    { group: 'OWNER' },
    'invites',
    ONLY_2023,
    ({ params, store, scope }) => {
      // Deleting a project invitation leaves an org invitation created with it (docs/vendors.md#atlas-invitations).
      store.groupInvites.delete(pendingGroupInvite(store, scope, params.invitationId!).id);
      return noContent();
    },
  ),
];

export function assertNoPending(store: MongoStore, orgId: string, username: string): void {
  const u = username.toLowerCase();
  const active = store.accountByUsername(u)?.orgRoles.has(orgId);
  if (active || store.pendingOrgInvites(orgId, u).length > 0) {
    throw new MongoApiError(
      409,
      'ORG_USER_ALREADY_EXISTS',
      `User ${u} is already active or pending in ${orgId}.`,
      [u],
    );
  }
  // EXPIRED/REJECTED invitations of that user are replaced.
  for (const i of [...store.orgInvites.values()]) {
    if (i.orgId === orgId && i.username === u) store.orgInvites.delete(i.id);
  }
}

function pendingOrgInvite(store: MongoStore, scope: Scope, id: string) {
  const inv = store.orgInvites.get(id);
  if (!inv || inv.orgId !== scope.orgId || !store.isPending(inv)) throw invitationNotFound(id);
  return inv;
}

function pendingGroupInvite(store: MongoStore, scope: Scope, id: string) {
  const inv = store.groupInvites.get(id);
  if (!inv || inv.groupId !== scope.groupId || !store.isPending(inv)) throw invitationNotFound(id);
  return inv;
}
