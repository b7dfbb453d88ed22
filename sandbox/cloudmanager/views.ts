import type { AccountRec, GroupInviteRec, MongoStore, OrgInviteRec, TeamRec } from '../mongodb/store.ts';
import { isoSeconds } from '../mongodb/time.ts';

export const CM_BASE = '/api/public/v1.0';

/** Cloud Manager `Invitation` (org flavour): orgId/orgName, no groupId. */
export function orgInvitationView(store: MongoStore, i: OrgInviteRec) {
  return {
    createdAt: isoSeconds(i.createdAt),
    expiresAt: isoSeconds(i.expiresAt),
    id: i.id,
    inviterUsername: i.inviterUsername,
    orgId: i.orgId,
    orgName: store.orgs.get(i.orgId)?.name ?? '',
    roles: i.roles,
    teamIds: i.teamIds,
    username: i.username,
  };
}

/** Cloud Manager `Invitation` (project flavour): groupId/groupName. */
export function groupInvitationView(store: MongoStore, i: GroupInviteRec) {
  return {
    createdAt: isoSeconds(i.createdAt),
    expiresAt: isoSeconds(i.expiresAt),
    groupId: i.groupId,
    groupName: store.projects.get(i.groupId)?.name ?? '',
    id: i.id,
    inviterUsername: i.inviterUsername,
    roles: i.roles,
    username: i.username,
  };
}

/** Cloud Manager `User`: roles as `[{orgId|groupId, roleName}]`. */
export function userView(store: MongoStore, rootUrl: string, a: AccountRec) {
  const roles: { orgId?: string; groupId?: string; roleName: string }[] = [];
  for (const [orgId, rs] of a.orgRoles) for (const roleName of rs) roles.push({ orgId, roleName });
  for (const [groupId, rs] of a.groupRoles) for (const roleName of rs) roles.push({ groupId, roleName });
  const view: Record<string, unknown> = {
    country: a.country,
    emailAddress: a.username,
    firstName: a.firstName,
    id: a.id,
    lastName: a.lastName,
    links: [{ href: `${rootUrl}${CM_BASE}/users/${a.id}`, rel: 'self' }],
    roles,
    teamIds: store.teamsOf(a.id),
    username: a.username,
  };
  if (a.mobileNumber) view.mobileNumber = a.mobileNumber;
  return view;
}

export function teamView(store: MongoStore, rootUrl: string, t: TeamRec) {
  return {
    id: t.id,
    links: [{ href: `${rootUrl}${CM_BASE}/orgs/${t.orgId}/teams/${t.id}`, rel: 'self' }],
    name: t.name,
    usernames: [...t.memberIds].map((id) => store.accounts.get(id)?.username).filter((u): u is string => !!u),
  };
}
