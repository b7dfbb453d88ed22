import { MongoApiError } from './api-error.ts';

/** 24-hex ObjectId, pattern `^([a-f0-9]{24})$` (lower-case, as the vendor spec says). */
export const OBJECT_ID = /^[a-f0-9]{24}$/;

/** Deterministic ObjectId generator: 8 hex of a prefix + 16 hex counter. */
export class IdGenerator {
  private n = 0;
  constructor(private readonly prefix: string) {
    if (!/^[a-f0-9]{8}$/.test(prefix)) throw new TypeError('id prefix must be 8 hex');
  }
  next(): string {
    this.n += 1;
    return this.prefix + this.n.toString(16).padStart(16, '0');
  }
  reset(): void {
    this.n = 0;
  }
}

export type IdKind = 'orgId' | 'groupId' | 'teamId' | 'userId' | 'invitationId';

const CODES: Record<IdKind, { code: string; label: string }> = {
  orgId: { code: 'INVALID_ORG_ID', label: 'organization ID' },
  groupId: { code: 'INVALID_GROUP_ID', label: 'group ID' },
  teamId: { code: 'INVALID_TEAM_ID', label: 'team ID' },
  userId: { code: 'INVALID_USER_ID', label: 'user ID' },
  invitationId: { code: 'INVALID_INVITATION_ID', label: 'invitation ID' },
};

/**
 * Malformed ids answer 400 (not 404). MongoDB validates path ids against the 24-hex pattern before
 * looking anything up (the spec declares the pattern on every id parameter; the Cloud Manager docs
 * call every id a "24-hexadecimal digit string"), and its documented code for a bad project id is
 * `INVALID_GROUP_ID` ("The specified group ID {0} is invalid."). The other `INVALID_*_ID` codes
 * follow that pattern and are our inference.
 */
export function assertObjectId(kind: IdKind, value: string): void {
  if (OBJECT_ID.test(value)) return;
  const c = CODES[kind];
  throw new MongoApiError(400, c.code, `The specified ${c.label} ${value} is invalid.`, [value]);
}
