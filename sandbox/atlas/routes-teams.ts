import { MongoApiError } from '../mongodb/api-error.ts';
import { parseBody, stringField } from '../mongodb/body.ts';
import { OBJECT_ID } from '../mongodb/ids.ts';
import { paginate, parsePaging } from '../mongodb/paging.ts';
import type { RouteDef } from '../mongodb/router.ts';
import { userNotFound } from '../mongodb/scope.ts';
import { type AtlasRoute, noContent, ok, route, V2023, V2025 } from './route-types.ts';
import { matches, parseUserFilters } from './user-filters.ts';
import { activeOrgUserView, cloudAppUserView, pendingOrgUserView, teamRoleView, teamView } from './views.ts';

const BOTH = [V2023, V2025] as const;

/** Teams, team users (incl. the literal-colon `:removeUser`), and the deprecated /users lookups. */
export const TEAM_ROUTES: RouteDef<AtlasRoute>[] = [
  // Must come before `/orgs/{orgId}/teams/{teamId}` style patterns (the colon is part of the segment).
  route(
    'POST',
    '/orgs/{orgId}/teams/{teamId}:removeUser',
    { org: 'OWNER' },
    'users',
    [V2025],
    ({ req, store, scope }) => {
      const b = parseBody(req.body, ['id'], ['id']);
      const id = stringField(b, 'id')!;
      if (!OBJECT_ID.test(id))
        throw new MongoApiError(400, 'INVALID_USER_ID', `The specified user ID ${id} is invalid.`, [id]);
      const orgId = scope.orgId!;
      if (store.removeTeamMember(scope.teamId!, id)) {
        const acc = store.accounts.get(id)!;
        return ok(activeOrgUserView(store, orgId, acc));
      }
      const inv = store.orgInvites.get(id);
      if (inv && inv.orgId === orgId && inv.teamIds.includes(scope.teamId!)) {
        inv.teamIds = inv.teamIds.filter((t) => t !== scope.teamId);
        return ok(pendingOrgUserView(store, inv));
      }
      throw userNotFound(id, 'team');
    },
  ),
  route('GET', '/orgs/{orgId}/teams', { org: 'MEMBER' }, 'teams', [V2023], ({ req, store, scope }) =>
    ok(
      paginate(
        req,
        [...store.teams.values()].filter((t) => t.orgId === scope.orgId).map((t) => teamView(req.rootUrl, t)),
        parsePaging(req.query),
      ),
    ),
  ),
  route(
    'GET',
    '/orgs/{orgId}/teams/{teamId}/users',
    { org: 'MEMBER' },
    'users',
    BOTH,
    ({ req, store, scope, version }) => {
      const team = store.teams.get(scope.teamId!)!;
      const orgId = scope.orgId!;
      const members = [...team.memberIds].map((id) => store.accounts.get(id)!).filter(Boolean);
      if (version === V2023) {
        return ok(
          paginate(
            req,
            members.map((a) => cloudAppUserView(store, req.rootUrl, a)),
            parsePaging(req.query),
          ),
        );
      }
      const f = parseUserFilters(req, true);
      const out: unknown[] = members
        .filter((a) => matches(f, 'ACTIVE', a.username, a.id))
        .map((a) => activeOrgUserView(store, orgId, a));
      for (const i of store.orgInvites.values()) {
        if (
          i.orgId === orgId &&
          i.teamIds.includes(team.id) &&
          matches(f, store.inviteStatus(i), i.username, i.id)
        ) {
          out.push(pendingOrgUserView(store, i));
        }
      }
      return ok(paginate(req, out, parsePaging(req.query)));
    },
  ),
  route(
    'DELETE',
    '/orgs/{orgId}/teams/{teamId}/users/{userId}',
    { org: 'OWNER' },
    'users',
    [V2023],
    ({ params, store, scope }) => {
      if (!store.removeTeamMember(scope.teamId!, params.userId!)) throw userNotFound(params.userId!, 'team');
      return noContent();
    },
  ),
  route('GET', '/groups/{groupId}/teams', { group: 'READ' }, 'teams', [V2023], ({ req, store, scope }) =>
    ok(
      paginate(
        req,
        [...store.teams.values()]
          .filter((t) => t.groupRoles.has(scope.groupId!))
          .map((t) => teamRoleView(req.rootUrl, t, scope.groupId!)),
        parsePaging(req.query),
      ),
    ),
  ),
  route(
    'DELETE',
    '/groups/{groupId}/teams/{teamId}',
    { group: 'OWNER' },
    'teams',
    [V2023],
    ({ store, scope }) => {
      const team = store.teams.get(scope.teamId!)!;
      if (!team.groupRoles.delete(scope.groupId!)) {
        throw new MongoApiError(
          404,
          'TEAM_NOT_FOUND',
          `Team ${team.id} is not in project ${scope.groupId}.`,
          [team.id],
        );
      }
      return noContent();
    },
  ),
  route('GET', '/users/byName/{userName}', 'ANY', 'users', [V2023], ({ req, params, store }) => {
    const a = store.accountByUsername(params.userName!);
    if (!a) {
      throw new MongoApiError(404, 'USER_NOT_FOUND', `No user with username ${params.userName} exists.`, [
        params.userName,
      ]);
    }
    return ok(cloudAppUserView(store, req.rootUrl, a));
  }),
  route('GET', '/users/{userId}', 'ANY', 'users', [V2023], ({ req, params, store }) => {
    const a = store.accounts.get(params.userId!);
    if (!a)
      throw new MongoApiError(404, 'USER_NOT_FOUND', `No user with ID ${params.userId} exists.`, [
        params.userId,
      ]);
    return ok(cloudAppUserView(store, req.rootUrl, a));
  }),
];
