import { MongoApiError } from './api-error.ts';
import { assertObjectId, type IdKind } from './ids.ts';
import type { MongoStore } from './store.ts';

const PARAM_KINDS: Record<string, IdKind> = {
  orgId: 'orgId',
  groupId: 'groupId',
  teamId: 'teamId',
  userId: 'userId',
  invitationId: 'invitationId',
};

export interface Scope {
  orgId?: string;
  groupId?: string;
  teamId?: string;
}

/**
 * Validates every id path parameter (400 for a malformed one, see ids.ts), then checks the org,
 * project and team exist (404 `ORG_NOT_FOUND` / `GROUP_NOT_FOUND` / `TEAM_NOT_FOUND`). For a project
 * the scope's org is the project's org.
 */
export function resolveScope(store: MongoStore, params: Record<string, string>): Scope {
  for (const [name, value] of Object.entries(params)) {
    const kind = PARAM_KINDS[name];
    if (kind) assertObjectId(kind, value);
  }
  const scope: Scope = {};
  if (params.orgId !== undefined) {
    if (!store.orgs.has(params.orgId)) {
      throw new MongoApiError(404, 'ORG_NOT_FOUND', `Organization ${params.orgId} not found.`, [
        params.orgId,
      ]);
    }
    scope.orgId = params.orgId;
  }
  if (params.groupId !== undefined) {
    const p = store.projects.get(params.groupId);
    if (!p)
      throw new MongoApiError(404, 'GROUP_NOT_FOUND', `No group with ID ${params.groupId} exists.`, [
        params.groupId,
      ]);
    scope.groupId = p.id;
    scope.orgId = p.orgId;
  }
  if (params.teamId !== undefined) {
    const t = store.teams.get(params.teamId);
    if (!t || (scope.orgId && t.orgId !== scope.orgId)) {
      throw new MongoApiError(404, 'TEAM_NOT_FOUND', `Team ${params.teamId} not found.`, [params.teamId]);
    }
    scope.teamId = t.id;
  }
  return scope;
}

export const userNotFound = (userId: string, where: string) =>
  new MongoApiError(404, 'USER_NOT_FOUND', `User ${userId} not found in ${where}.`, [userId]);

/** The code for an unknown, accepted, deleted or expired invitation is not documented [?]: 404. */
export const invitationNotFound = (id: string) =>
  new MongoApiError(404, 'INVITATION_NOT_FOUND', `Invitation ${id} not found.`, [id]);
