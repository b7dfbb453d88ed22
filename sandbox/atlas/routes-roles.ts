import { MongoApiError } from '../mongodb/api-error.ts';
import { parseBody, stringField } from '../mongodb/body.ts';
import type { RouteDef } from '../mongodb/router.ts';
import { userNotFound } from '../mongodb/scope.ts';
import { type AtlasRoute, ok, route, V2025 } from './route-types.ts';
import { activeGroupUserView, activeOrgUserView, pendingGroupUserView, pendingOrgUserView } from './views.ts';

const ONLY_2025 = [V2025] as const;

/**
 * `:removeRole` (docs/vendors.md#atlas-endpoints row 17, 2025-02-19 only). The body and the answer are the SDK's
 * (atlas-sdk-go `RemoveOrgRole` / `RemoveGroupUserRole`): `{ "orgRole": "..." }` -> 200
 * `OrgUserResponse`, `{ "groupRole": "..." }` -> 200 `GroupUserResponse`. Per the vendor's
 * operation pages: works on ACTIVE users and on pending ones (the org invitation, same id), not on
 * users invited through the deprecated project-invite endpoint (404 here: they are not users);
 * org needs Organization Owner, project needs Project Owner or Project Access Manager; "a user must
 * have at least one role at all times" -> removing the last role of the scope answers 400 (the
 * status and code are not documented [I]; to take the user out of the scope, DELETE the user).
 * Removing a role the user does not hold leaves the user as it is (200) [I], so a retry after a lost
 * answer does not fail.
 */
export const ROLE_ROUTES: RouteDef<AtlasRoute>[] = [
  route(
    'POST',
    '/orgs/{orgId}/users/{userId}:removeRole',
    { org: 'OWNER' },
    'users',
    ONLY_2025,
    ({ req, params, store, scope }) => {
      const role = roleField(req.body, 'orgRole');
      const orgId = scope.orgId!;
      const id = params.userId!;
      const acc = store.accounts.get(id);
      const current = acc?.orgRoles.get(orgId);
      if (acc && current) {
        acc.orgRoles.set(orgId, without(current, role, id));
        return ok(activeOrgUserView(store, orgId, acc));
      }
      const inv = store.orgInvites.get(id);
      if (inv && inv.orgId === orgId) {
        inv.roles = without(inv.roles, role, id);
        return ok(pendingOrgUserView(store, inv));
      }
      throw userNotFound(id, 'organization');
    },
  ),
  route(
    'POST',
    '/groups/{groupId}/users/{userId}:removeRole',
    { group: 'USER_ADMIN' },
    'users',
    ONLY_2025,
    ({ req, params, store, scope }) => {
      const role = roleField(req.body, 'groupRole');
      const groupId = scope.groupId!;
      const id = params.userId!;
      const acc = store.accounts.get(id);
      const current = acc?.groupRoles.get(groupId);
      if (acc && current) {
        const next = without(current, role, id);
        acc.groupRoles.set(groupId, next);
        return ok(activeGroupUserView(acc, next));
      }
      const inv = store.orgInvites.get(id);
      const held = inv?.groupRoleAssignments.filter((g) => g.groupId === groupId).map((g) => g.groupRole);
      if (inv && held?.length) {
        without(held, role, id);
        inv.groupRoleAssignments = inv.groupRoleAssignments.filter(
          (g) => g.groupId !== groupId || g.groupRole !== role,
        );
        return ok(pendingGroupUserView(store, inv, groupId));
      }
      throw userNotFound(id, 'project');
    },
  ),
];

function roleField(body: Buffer, key: 'orgRole' | 'groupRole'): string {
  const role = stringField(parseBody(body, [key], [key]), key)!;
  if (!role.trim()) {
    throw new MongoApiError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${key} specified.`, [key]);
  }
  return role;
}

/** The roles left after removing `role`; throws when that would leave none. */
function without(roles: string[], role: string, userId: string): string[] {
  const next = roles.filter((r) => r !== role);
  if (next.length === roles.length) return roles;
  if (next.length === 0) {
    throw new MongoApiError(
      400,
      'CANNOT_REMOVE_LAST_ROLE',
      `User ${userId} must keep at least one role; add another role before removing ${role}.`,
      [userId, role],
    );
  }
  return next;
}
