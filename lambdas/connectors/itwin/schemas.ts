/**
 * iTwin Access Control v2 (and iTwins API) listings the connector decides on, as schemas: what
 * must be there for discovery and the group PATCH to be right. Field names from the vendor's docs
 * and its client library: UserMember and OwnerMember `{ id, email, ... }`, MemberInvitation
 * `{ id, email, status, ... }`, Group `{ id, name, members: [{ userId, email, ... }] }`.
 *
 * - `email` of a member (user, owner, group user) must be present but may be null: the vendor
 *   returns users deleted from IMS with null profile fields until its weekly clean-up.
 * - An invitation's `email` and `status` must be strings (an invitation is addressed to an email;
 *   `status` tells a pending one from an accepted one).
 * - Ids that go into URLs must be GUIDs (every iTwin id is one), so a changed id format fails the
 *   listing instead of dropping the item.
 * - A group's `members` must be an array: without it the leaver's memberships would go unseen.
 */
import * as z from 'zod';
import { GUID_PATTERN } from '../../core/vendor-ids.ts';
import { itwinListing } from '../http/paging.ts';
import type { Group, Invitation, Member } from './types.ts';

const guid = () => z.string().regex(GUID_PATTERN);
const memberEmail = () => z.string().nullable();

export const ITWIN_LISTINGS = {
  /** `GET /itwins` (iTwins API): `{ iTwins: [{ id }] }`. */
  itwins: itwinListing<{ id: string }>('iTwins', () => z.looseObject({ id: guid() })),
  /** `GET .../members/invitations` and `GET .../groups/{id}/invitations`. */
  invitations: itwinListing<Invitation>('invitations', () =>
    z.looseObject({ id: guid(), email: z.string(), status: z.string() }),
  ),
  /** `GET .../members/users` and `GET .../members/owners`. */
  members: itwinListing<Member>('members', () => z.looseObject({ id: guid(), email: memberEmail() })),
  /** `GET .../groups?$top&$skip` (paged, so `members` is complete, not capped at 50). */
  groups: itwinListing<Group>('groups', () =>
    z.looseObject({
      id: guid(),
      // Only shown to people (scope names): a name that is not a string is left out, not fatal.
      name: z.string().optional().catch(undefined),
      members: z.array(z.looseObject({ email: memberEmail() })),
    }),
  ),
};
