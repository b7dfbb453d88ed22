/** In-memory model of the iTwin emulator (Maps for O(1) lookups; `store.ts` owns the mutations). */
import type { ItwinRoleState } from './types.ts';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const ALL_PERMISSIONS = [
  'administration_invite_member',
  'administration_remove_member',
  'administration_manage_roles',
  'administration_manage_groups',
  'administration_manage_settings',
  'itwins_read',
  'itwins_modify',
  'itwins_delete',
  'imodels_read',
  'imodels_write',
  'imodels_manage',
  'imodels_delete',
] as const;

export interface User {
  id: string;
  /** Lower-case. */
  email: string;
  givenName: string;
  surname: string;
  organization: string;
  internal: boolean;
}

export type Role = ItwinRoleState;

export interface Invitation {
  id: string;
  email: string;
  roleIds: string[];
  invitedByEmail: string;
  createdAt: number;
  owner: boolean;
}

export interface GroupInvitation {
  id: string;
  groupId: string;
  email: string;
  invitedByEmail: string;
  createdAt: number;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  /** User ids in insertion order. */
  memberIds: string[];
  imsGroups: string[];
  /** Roles as an iTwin member; null = the group is not an iTwin member. */
  memberRoleIds: string[] | null;
}

/** One change of a group's members, for assertions (who removed or added whom, and how). */
export interface GroupChange {
  seq: number;
  /** ISO time on the sandbox clock. */
  at: string;
  itwinId: string;
  groupId: string;
  /** `patch`: an API PATCH; `control`: a control action (someone outside the client under test). */
  source: 'patch' | 'control';
  /** The request log identity of the PATCH's caller (`client:{id}`), for `patch`. */
  by?: string;
  /** Lower-case emails. */
  removed: string[];
  added: string[];
}

/**
 * A fault of the group PATCH, for the next `left` PATCHes of one group (or any): `ignore` answers
 * 200 and changes nothing (a write the vendor accepted but did not apply); `readd` applies the
 * PATCH, then puts the removed members straight back (someone re-adding them at once).
 */
export interface GroupPatchFault {
  groupId?: string;
  mode: 'ignore' | 'readd';
  left: number;
}

export interface Itwin {
  id: string;
  displayName: string;
  number: string;
  roles: Map<string, Role>;
  /** userId -> role ids. */
  members: Map<string, string[]>;
  owners: Set<string>;
  groups: Map<string, Group>;
  invitations: Map<string, Invitation>;
  groupInvitations: Map<string, GroupInvitation>;
  /** Earliest expiry among the invitations (prune only when the clock passes it). */
  nextExpiry: number;
}

export interface Client {
  clientId: string;
  clientSecret: string;
  userId: string;
  orgAdmin: boolean;
  /** undefined = the emulator-wide limit; null = unlimited. */
  rateLimit: { capacity: number; refillPerSecond: number } | null | undefined;
}

/** Who is calling: a service app (client credentials) or a user (token from `issue-user-token`). */
export interface Caller {
  userId: string;
  email: string;
  orgAdmin: boolean;
  /** Rate-limit bucket key: the OAuth client, or `user:{id}`. */
  bucketKey: string;
  clientId?: string;
}
