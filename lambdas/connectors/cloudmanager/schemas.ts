/**
 * Cloud Manager Public API v1.0 answers the connector decides on, as schemas (field names from
 * MongoDB's Go client for Cloud Manager and Ops Manager and the API docs). Extra fields pass.
 *
 * - Invitations (org and project, bare arrays): `id` and `username`.
 * - Users (org, project and team listings, `{ results, totalCount, links }`): `id` and `username`
 *   (the email the connector matches; `emailAddress` is matched too when it is a string). Org users
 *   also need `roles` as `[{ roleName, orgId?, groupId? }]`: the last-owner check reads it.
 * - Ids are 24-hex ObjectIds (every Cloud Manager id is one): they go into URLs.
 */
import * as z from 'zod';
import { OBJECT_ID_PATTERN } from '../../core/vendor-ids.ts';
import { mongoListing } from '../http/paging.ts';
import { lazy } from '../http/schema.ts';

export interface Invitation {
  id: string;
  username: string;
}

export interface User {
  id: string;
  username: string;
  emailAddress?: string;
}

export interface OrgUser extends User {
  roles: Array<{ roleName: string; orgId?: string; groupId?: string }>;
}

const objectId = () => z.string().regex(OBJECT_ID_PATTERN);

const user = () => ({
  id: objectId(),
  username: z.string(),
  // Matched besides `username` when present; anything else is ignored, never fatal.
  emailAddress: z.string().optional().catch(undefined),
});

export const CLOUD_MANAGER_SCHEMAS = {
  /** `GET /orgs/{orgId}/invites`, `GET /groups/{groupId}/invites`. */
  invitations: lazy(
    (): z.ZodType<Invitation[]> => z.array(z.looseObject({ id: objectId(), username: z.string() })),
  ),
  /** `GET /orgs/{orgId}/users`. */
  orgUsers: mongoListing<OrgUser>(() =>
    z.looseObject({
      ...user(),
      roles: z.array(
        z.looseObject({ roleName: z.string(), orgId: z.string().optional(), groupId: z.string().optional() }),
      ),
    }),
  ),
  /** `GET /groups/{groupId}/users`, `GET /orgs/{orgId}/teams/{teamId}/users`. */
  users: mongoListing<User>(() => z.looseObject(user())),
};
