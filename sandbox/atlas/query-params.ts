/**
 * The query parameters each Atlas operation defines, by route (`METHOD pattern` of ATLAS_ROUTES),
 * from MongoDB's OpenAPI document (test/sandbox/atlas-spec.test.ts keeps this table equal to it).
 * `envelope` and `pretty` are defined on every operation. A parameter an operation does not
 * define answers 400 INVALID_QUERY_PARAMETER here: whether the vendor ignores or refuses one is
 * not documented, so the emulator refuses, and a client that sends one finds out in its tests.
 */
import type { SandboxRequest } from '../core/types.ts';
import { MongoApiError } from '../mongodb/api-error.ts';

const COMMON = ['envelope', 'pretty'];
const PAGING = ['includeCount', 'itemsPerPage', 'pageNum'];
const STATUSES = ['orgMembershipStatus', 'orgMembershipStatuses'];

/** Routes not listed take the common parameters only. */
export const ATLAS_QUERY_PARAMS: Readonly<Record<string, readonly string[]>> = {
  'GET /orgs/{orgId}/invites': ['username'],
  'GET /groups/{groupId}/invites': ['username'],
  'GET /orgs/{orgId}/users': [...PAGING, 'username', ...STATUSES],
  'GET /orgs/{orgId}/users/{userId}': ['orgMembershipStatuses'],
  'GET /groups/{groupId}/users': [...PAGING, 'flattenTeams', 'includeOrgUsers', ...STATUSES, 'username'],
  'GET /groups/{groupId}/users/{userId}': ['orgMembershipStatuses'],
  // listTeamUsers pages without `includeCount`: the spec does not define it there.
  'GET /orgs/{orgId}/teams/{teamId}/users': ['itemsPerPage', 'pageNum', 'username', ...STATUSES, 'userId'],
  'GET /orgs/{orgId}/teams': PAGING,
  'GET /groups/{groupId}/teams': PAGING,
};

/** Refuses a query parameter the route's operation does not define. */
export function checkQueryParams(req: SandboxRequest, method: string, pattern: string): void {
  const allowed = ATLAS_QUERY_PARAMS[`${method} ${pattern}`] ?? [];
  for (const name of new Set(req.query.keys())) {
    if (COMMON.includes(name) || allowed.includes(name)) continue;
    throw new MongoApiError(
      400,
      'INVALID_QUERY_PARAMETER',
      `Invalid query parameter ${name}: this operation does not define it.`,
      [name],
    );
  }
}
