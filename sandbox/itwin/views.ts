/** JSON views of the model, field names per docs/vendors.md#itwin-schemas. */
import { type Group, type GroupInvitation, INVITATION_TTL_MS, type Invitation, type Itwin } from './model.ts';
import type { ItwinStore } from './store.ts';

export const GROUP_LIST_CAP = 50;

const iso = (ms: number) => new Date(ms).toISOString();

export function roleRefs(t: Itwin, roleIds: string[]) {
  return roleIds.flatMap((id) => {
    const r = t.roles.get(id);
    return r ? [{ id: r.id, displayName: r.displayName, description: r.description }] : [];
  });
}

function person(store: ItwinStore, userId: string) {
  const u = store.users.get(userId);
  // A user deleted from IMS comes back with null profile fields (docs/vendors.md#itwin-schemas).
  return {
    email: u?.email ?? null,
    givenName: u?.givenName ?? null,
    surname: u?.surname ?? null,
    organization: u?.organization ?? null,
  };
}

export const userMemberView = (store: ItwinStore, t: Itwin, userId: string, roleIds: string[]) => ({
  id: userId,
  ...person(store, userId),
  roles: roleRefs(t, roleIds),
});

export const ownerView = (store: ItwinStore, userId: string) => ({ id: userId, ...person(store, userId) });

export const groupMemberView = (t: Itwin, g: Group) => ({
  id: g.id,
  groupName: g.name,
  groupDescription: g.description,
  roles: roleRefs(t, g.memberRoleIds ?? []),
});

export function groupView(store: ItwinStore, g: Group, cap: boolean) {
  const ids = cap ? g.memberIds.slice(0, GROUP_LIST_CAP) : g.memberIds;
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    members: ids.map((userId) => ({ userId, ...person(store, userId) })),
    imsGroups: cap ? g.imsGroups.slice(0, GROUP_LIST_CAP) : [...g.imsGroups],
  };
}

export const invitationView = (t: Itwin, inv: Invitation) => ({
  id: inv.id,
  email: inv.email,
  invitedByEmail: inv.invitedByEmail,
  status: 'Pending',
  createdDate: iso(inv.createdAt),
  expirationDate: iso(inv.createdAt + INVITATION_TTL_MS),
  roles: roleRefs(t, inv.roleIds),
  projectDisplayName: t.displayName,
});

export const groupInvitationView = (t: Itwin, inv: GroupInvitation) => ({
  id: inv.id,
  email: inv.email,
  invitedByEmail: inv.invitedByEmail,
  status: 'Pending',
  createdDate: iso(inv.createdAt),
  expirationDate: iso(inv.createdAt + INVITATION_TTL_MS),
  projectDisplayName: t.displayName,
});
