/** The JSON state view (`state()`): a copy, pending unexpired invitations only, no secrets. */
import { INVITATION_TTL_MS } from './model.ts';
import type { ItwinStore } from './store.ts';
import type { ItwinState } from './types.ts';

export function toState(store: ItwinStore, activeTokens: number): ItwinState {
  const iso = (ms: number) => new Date(ms).toISOString();
  const emailOf = (id: string) => store.users.get(id)?.email ?? '';
  return {
    organization: store.organization,
    tokenLifetimeSeconds: store.tokenLifetimeSeconds,
    rateLimit: store.rateLimit && { ...store.rateLimit },
    groupPatchMaxMembers: store.groupPatchMaxMembers,
    users: [...store.users.values()].map((u) => ({ ...u })),
    clients: [...store.clients.values()].map((c) => ({
      clientId: c.clientId,
      email: emailOf(c.userId),
      userId: c.userId,
      orgAdmin: c.orgAdmin,
      rateLimit: (c.rateLimit === undefined ? store.rateLimit : c.rateLimit) && {
        ...(c.rateLimit ?? store.rateLimit)!,
      },
    })),
    itwins: [...store.itwins.values()].map((t) => {
      store.prune(t);
      return {
        id: t.id,
        displayName: t.displayName,
        number: t.number,
        roles: [...t.roles.values()].map((r) => ({ ...r, permissions: [...r.permissions] })),
        members: [...t.members].map(([userId, roleIds]) => ({
          userId,
          email: emailOf(userId),
          roleIds: [...roleIds],
        })),
        owners: [...t.owners].map((userId) => ({ userId, email: emailOf(userId) })),
        groups: [...t.groups.values()].map((g) => ({
          id: g.id,
          name: g.name,
          description: g.description,
          members: g.memberIds.map((userId) => ({ userId, email: emailOf(userId) })),
          imsGroups: [...g.imsGroups],
          memberRoleIds: g.memberRoleIds ? [...g.memberRoleIds] : null,
        })),
        invitations: [...t.invitations.values()].map((i) => ({
          id: i.id,
          email: i.email,
          roleIds: [...i.roleIds],
          invitedByEmail: i.invitedByEmail,
          status: 'Pending' as const,
          createdDate: iso(i.createdAt),
          expirationDate: iso(i.createdAt + INVITATION_TTL_MS),
          owner: i.owner,
        })),
        groupInvitations: [...t.groupInvitations.values()].map((i) => ({
          id: i.id,
          groupId: i.groupId,
          email: i.email,
          invitedByEmail: i.invitedByEmail,
          status: 'Pending' as const,
          createdDate: iso(i.createdAt),
          expirationDate: iso(i.createdAt + INVITATION_TTL_MS),
        })),
      };
    }),
    activeTokens,
  };
}
