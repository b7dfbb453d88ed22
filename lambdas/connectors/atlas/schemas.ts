/**
 * Atlas Administration API v2 answers the connector decides on, as schemas (field names from
 * MongoDB's OpenAPI document): what must be there for discovery, the last-owner check and the
 * pending-user fallback to be right. Extra fields pass.
 *
 * - Invitations (2023-01-01, bare arrays of OrganizationInvitation / GroupInvitation): `id` and
 *   `username` (the spec leaves `username` optional; without it an invitation cannot be matched).
 * - MongoDB Cloud Users (2025-02-19, OrgUserResponse / GroupUserResponse in `results`): `id`,
 *   `username` and `orgMembershipStatus` (all required by the spec). Org users also need `roles`
 *   (required by the spec), and an ACTIVE org user needs `roles.orgRoles` (every member of an
 *   organisation holds an organisation role; the last-owner check reads it).
 * - Ids are 24-hex ObjectIds (every Atlas id is one): they go into URLs.
 */
import * as z from 'zod';
import { OBJECT_ID_PATTERN } from '../../core/vendor-ids.ts';
import { mongoListing } from '../http/paging.ts';
import { lazy } from '../http/schema.ts';

const objectId = () => z.string().regex(OBJECT_ID_PATTERN);

/** What the connector reads of a MongoDB Cloud user (org, project and team listings). */
export interface CloudUser {
  id: string;
  username: string;
  orgMembershipStatus: string;
  /** OrgUserResponse: `{ orgRoles, groupRoleAssignments }`; GroupUserResponse: project roles. */
  roles?: { orgRoles?: unknown } | unknown[];
}

export interface Invitation {
  id: string;
  username: string;
}

const invitation = () => z.looseObject({ id: objectId(), username: z.string() });

const cloudUser = () => ({ id: objectId(), username: z.string(), orgMembershipStatus: z.string() });

function orgUser() {
  return z
    .looseObject({ ...cloudUser(), roles: z.looseObject({ orgRoles: z.array(z.string()).optional() }) })
    .superRefine((u, ctx) => {
      if (u.orgMembershipStatus === 'ACTIVE' && u.roles.orgRoles === undefined) {
        ctx.addIssue({ code: 'custom', path: ['roles', 'orgRoles'], message: 'missing for an ACTIVE user' });
      }
    });
}

export const ATLAS_SCHEMAS = {
  /** `GET /orgs/{orgId}/invites`, `GET /groups/{groupId}/invites`: bare arrays. */
  invitations: lazy((): z.ZodType<Invitation[]> => z.array(invitation())),
  /** `GET /orgs/{orgId}/users` (also with `username`). */
  orgUsers: mongoListing<CloudUser>(orgUser),
  /** `GET /groups/{groupId}/users`, `GET /orgs/{orgId}/teams/{teamId}/users`. */
  users: mongoListing<CloudUser>(() => z.looseObject(cloudUser())),
  /** `GET /orgs/{orgId}/users/{userId}` where only its status is read (the pending-user fallback). */
  orgUserStatus: lazy(() => z.looseObject({ id: objectId(), orgMembershipStatus: z.string() })),
};
