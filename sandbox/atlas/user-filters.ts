import type { SandboxRequest } from '../core/types.ts';
import { MongoApiError } from '../mongodb/api-error.ts';
import type { InviteStatus } from '../mongodb/store.ts';

export type MembershipStatus = 'ACTIVE' | InviteStatus;
const STATUSES = new Set<string>(['ACTIVE', 'PENDING', 'INVITATION_EXPIRED', 'INVITATION_REJECTED']);

export interface UserFilters {
  username?: string;
  statuses: Set<MembershipStatus>;
  userId?: string;
}

/**
 * 2025-02-19 filters: `username`, `orgMembershipStatuses` (repeatable, max 4; comma lists accepted),
 * the deprecated `orgMembershipStatus` (not combinable with the new one), `userId` (team users).
 * Default statuses: ACTIVE and PENDING. Deprecated versions ignore them and list ACTIVE users only
 * ("Not supported in deprecated versions").
 */
export function parseUserFilters(req: SandboxRequest, modern: boolean): UserFilters {
  if (!modern) return { statuses: new Set(['ACTIVE']) };
  const q = req.query;
  const many = q
    .getAll('orgMembershipStatuses')
    .flatMap((s) => s.split(','))
    .filter(Boolean);
  const one = q.get('orgMembershipStatus');
  if (one !== null && many.length) {
    throw bad('orgMembershipStatus cannot be combined with orgMembershipStatuses.', 'orgMembershipStatus');
  }
  const list = one !== null ? [one] : many;
  if (list.length > 4) throw bad('orgMembershipStatuses accepts at most 4 values.', 'orgMembershipStatuses');
  for (const s of list)
    if (!STATUSES.has(s)) throw bad(`Invalid orgMembershipStatus ${s}.`, 'orgMembershipStatuses');
  const f: UserFilters = {
    statuses: new Set((list.length ? list : ['ACTIVE', 'PENDING']) as MembershipStatus[]),
  };
  const username = q.get('username');
  if (username) f.username = username.toLowerCase();
  const userId = q.get('userId');
  if (userId) f.userId = userId;
  return f;
}

export function matches(f: UserFilters, status: MembershipStatus, username: string, id: string): boolean {
  return f.statuses.has(status) && (!f.username || f.username === username) && (!f.userId || f.userId === id);
}

function bad(detail: string, param: string): MongoApiError {
  return new MongoApiError(400, 'INVALID_QUERY_PARAMETER', detail, [param]);
}
