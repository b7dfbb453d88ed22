/**
 * What a caller may do on an iTwin (docs/vendors.md#itwin-permissions): owners and Organization Administrators hold every
 * permission; others hold the union of the permissions of their user-member roles and of the roles of
 * the iTwin-member groups they belong to. A caller with no membership at all cannot see the iTwin.
 */
import { ALL_PERMISSIONS, type Caller, type Itwin } from './model.ts';

export interface Access {
  owner: boolean;
  orgAdmin: boolean;
  /** Owner, user member, or member through a group. */
  member: boolean;
  permissions: Set<string>;
}

const ALL = new Set<string>(ALL_PERMISSIONS);

export function accessOf(t: Itwin, caller: Caller): Access {
  const owner = t.owners.has(caller.userId);
  const userRoles = t.members.get(caller.userId);
  let member = owner || userRoles !== undefined;
  const roleIds = new Set(userRoles ?? []);
  for (const g of t.groups.values()) {
    if (g.memberRoleIds && g.memberIds.includes(caller.userId)) {
      member = true;
      for (const r of g.memberRoleIds) roleIds.add(r);
    }
  }
  if (owner || caller.orgAdmin) return { owner, orgAdmin: caller.orgAdmin, member, permissions: ALL };
  const permissions = new Set<string>();
  for (const id of roleIds) for (const p of t.roles.get(id)?.permissions ?? []) permissions.add(p);
  return { owner, orgAdmin: false, member, permissions };
}

/** Owners and Org Admins see every invitation; others only the ones they sent (docs/vendors.md#itwin-permissions). */
export const seesAllInvitations = (a: Access): boolean => a.owner || a.orgAdmin;
