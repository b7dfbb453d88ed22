/**
 * Seed (input) and state (output) shapes of the iTwin Access Control v2 emulator.
 *
 * A role reference in a seed or control payload (`roleIds`, `memberRoleIds`, client `roleIds`) may be
 * a role id or a role displayName (case-insensitive); it is resolved against the iTwin's roles.
 * A user reference in a group's `members` may be an email or a user id.
 */

/** A user of the IMS directory. `internal` (default true) = belongs to the iTwins' organisation. */
export interface ItwinUserSeed {
  /** GUID; default: derived from the email (stable). */
  id?: string;
  email: string;
  givenName?: string;
  surname?: string;
  organization?: string;
  internal?: boolean;
}

/** A service app (OAuth client credentials). Its identity is `{clientId}@apps.imsoidc.bentley.com`. */
export interface ItwinClientSeed {
  clientId: string;
  clientSecret: string;
  /** Default `${clientId}@apps.imsoidc.bentley.com`. */
  email?: string;
  /** GUID of the app's IMS user; default derived from the clientId. */
  userId?: string;
  /** Organization Administrator: all permissions on every iTwin and sees every invitation. */
  orgAdmin?: boolean;
  /** Per iTwin id: owner, and/or a user member with these roles (ids or names). */
  itwins?: Record<string, { owner?: boolean; roleIds?: string[] }>;
  /** Per-client rate limit (calls per minute); default the emulator-wide limit. */
  rateLimitPerMinute?: number | null;
}

export interface ItwinRoleSeed {
  id: string;
  displayName: string;
  description?: string;
  permissions?: string[];
  type?: 'Custom' | 'Default';
}

export interface ItwinMemberSeed {
  email: string;
  roleIds?: string[];
}

export interface ItwinGroupSeed {
  id: string;
  name: string;
  description?: string;
  /** Emails or user ids of the group's users (unknown emails are added to the directory as internal). */
  members?: string[];
  imsGroups?: string[];
  /** When set, the group is itself an iTwin member (GroupMember) with these roles. */
  memberRoleIds?: string[];
}

export interface ItwinInvitationSeed {
  id?: string;
  email: string;
  roleIds?: string[];
  invitedByEmail?: string;
  /** ISO-8601 or epoch ms; default: the sandbox clock at seed time. Expires 7 days later. */
  createdAt?: string | number;
}

export interface ItwinGroupInvitationSeed {
  id?: string;
  groupId: string;
  email: string;
  invitedByEmail?: string;
  createdAt?: string | number;
}

export interface ItwinSeedItwin {
  id: string;
  displayName: string;
  number?: string;
  /** Default: Administrator, Contributor, Read Access (ids derived from the iTwin id). */
  roles?: ItwinRoleSeed[];
  members?: ItwinMemberSeed[];
  /** Emails of the owners. */
  owners?: string[];
  groups?: ItwinGroupSeed[];
  invitations?: ItwinInvitationSeed[];
  groupInvitations?: ItwinGroupInvitationSeed[];
}

export interface ItwinSeed {
  /** Organisation name of internal users (default "Example Corp"). */
  organization?: string;
  clients?: ItwinClientSeed[];
  users?: ItwinUserSeed[];
  itwins?: ItwinSeedItwin[];
  /** Access-token lifetime (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Calls per minute per OAuth client (default 5000; 500 = Trial tier; null = unlimited). */
  rateLimitPerMinute?: number | null;
  /** Max entries of `members` / `imsGroups` in a group PATCH (default 50, as documented). */
  groupPatchMaxMembers?: number;
}

// ---- state (what `state()` returns; JSON) ----

export interface ItwinUserState {
  id: string;
  email: string;
  givenName: string;
  surname: string;
  organization: string;
  internal: boolean;
}

export interface ItwinRoleState {
  id: string;
  displayName: string;
  description: string;
  permissions: string[];
  type: 'Custom' | 'Default';
}

export interface ItwinInvitationState {
  id: string;
  email: string;
  roleIds: string[];
  invitedByEmail: string;
  status: 'Pending';
  createdDate: string;
  expirationDate: string;
  /** An owner invitation (POST /members/owners with an external email): accepting makes an owner. */
  owner: boolean;
}

export interface ItwinGroupInvitationState {
  id: string;
  groupId: string;
  email: string;
  invitedByEmail: string;
  status: 'Pending';
  createdDate: string;
  expirationDate: string;
}

export interface ItwinGroupState {
  id: string;
  name: string;
  description: string;
  members: { userId: string; email: string }[];
  imsGroups: string[];
  /** Roles of the group as an iTwin member; null when the group is not an iTwin member. */
  memberRoleIds: string[] | null;
}

export interface ItwinItwinState {
  id: string;
  displayName: string;
  number: string;
  roles: ItwinRoleState[];
  members: { userId: string; email: string; roleIds: string[] }[];
  owners: { userId: string; email: string }[];
  groups: ItwinGroupState[];
  /** Pending, unexpired invitations only (expired and consumed ones are gone). */
  invitations: ItwinInvitationState[];
  groupInvitations: ItwinGroupInvitationState[];
}

export interface ItwinState {
  organization: string;
  tokenLifetimeSeconds: number;
  /** Token bucket per client; null = unlimited. 5,000/min = { capacity: 5000, refillPerSecond: 83.33 }. */
  rateLimit: { capacity: number; refillPerSecond: number } | null;
  groupPatchMaxMembers: number;
  users: ItwinUserState[];
  clients: {
    clientId: string;
    email: string;
    userId: string;
    orgAdmin: boolean;
    rateLimit: { capacity: number; refillPerSecond: number } | null;
  }[];
  itwins: ItwinItwinState[];
  /** Unexpired access tokens (counts only; tokens are secrets). */
  activeTokens: number;
}
