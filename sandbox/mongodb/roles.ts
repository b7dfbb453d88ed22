import { MongoApiError } from './api-error.ts';
import type { RoleAssignment } from './seed.ts';

/**
 * What an operation needs, as the vendor docs name it:
 * org: OWNER (Organization Owner), USER_ADMIN (Organization User Admin), MEMBER (Organization
 * Member: any org role); group: OWNER (Project Owner), USER_ADMIN (Project User Admin / Access
 * Manager), READ (Project Read Only: any project role). Organization Owner implies every project
 * role in its org; Organization Read Only implies Project Read Only.
 */
export type Need =
  | { org: 'OWNER' | 'USER_ADMIN' | 'MEMBER' }
  | { group: 'OWNER' | 'USER_ADMIN' | 'READ' }
  | 'ANY';

export function allowed(
  roles: RoleAssignment[],
  need: Need,
  orgId: string | undefined,
  groupId?: string,
): boolean {
  if (need === 'ANY') return true;
  const orgRoles = orgId ? roles.filter((r) => r.orgId === orgId).map((r) => r.roleName) : [];
  const has = (list: string[], ...names: string[]) => names.some((n) => list.includes(n));
  if ('org' in need) {
    if (need.org === 'OWNER') return has(orgRoles, 'ORG_OWNER');
    if (need.org === 'USER_ADMIN') return has(orgRoles, 'ORG_OWNER', 'ORG_USER_ADMIN');
    return orgRoles.length > 0;
  }
  if (has(orgRoles, 'ORG_OWNER')) return true;
  const groupRoles = groupId ? roles.filter((r) => r.groupId === groupId).map((r) => r.roleName) : [];
  if (need.group === 'OWNER') return has(groupRoles, 'GROUP_OWNER');
  if (need.group === 'USER_ADMIN') return has(groupRoles, 'GROUP_OWNER', 'GROUP_USER_ADMIN');
  return groupRoles.length > 0 || has(orgRoles, 'ORG_READ_ONLY');
}

export function forbidden(): MongoApiError {
  return new MongoApiError(
    403,
    'USER_UNAUTHORIZED',
    'Current user is not authorized to perform this action.',
  );
}
