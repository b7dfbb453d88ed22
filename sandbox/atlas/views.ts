import type { AccountRec, GroupInviteRec, MongoStore, OrgInviteRec, TeamRec } from '../mongodb/store.ts';
import { isoSeconds } from '../mongodb/time.ts';

export const V2 = '/api/atlas/v2';

/** `OrganizationInvitation` (spec components.schemas). */
export function orgInvitationView(store: MongoStore, rootUrl: string, i: OrgInviteRec) {
  return {
    createdAt: isoSeconds(i.createdAt),
    expiresAt: isoSeconds(i.expiresAt),
    groupRoleAssignments: i.groupRoleAssignments.map((g) => ({ groupId: g.groupId, groupRole: g.groupRole })),
    id: i.id,
    inviterUsername: i.inviterUsername,
    links: [{ href: `${rootUrl}${V2}/orgs/${i.orgId}/invites/${i.id}`, rel: 'self' }],
    orgId: i.orgId,
    orgName: store.orgs.get(i.orgId)?.name ?? '',
    roles: i.roles,
    teamIds: i.teamIds,
    username: i.username,
  };
}

/** `GroupInvitation` (no orgId/teamIds). */
export function groupInvitationView(store: MongoStore, rootUrl: string, i: GroupInviteRec) {
  return {
    createdAt: isoSeconds(i.createdAt),
    expiresAt: isoSeconds(i.expiresAt),
    groupId: i.groupId,
    groupName: store.projects.get(i.groupId)?.name ?? '',
    id: i.id,
    inviterUsername: i.inviterUsername,
    links: [{ href: `${rootUrl}${V2}/groups/${i.groupId}/invites/${i.id}`, rel: 'self' }],
    roles: i.roles,
    username: i.username,
  };
}

function activeFields(a: AccountRec): { id: string } & Record<string, unknown> {
  const f: { id: string } & Record<string, unknown> = {
    country: a.country,
    createdAt: isoSeconds(a.createdAt),
    firstName: a.firstName,
    id: a.id,
  };
  if (a.lastAuth !== undefined) f.lastAuth = isoSeconds(a.lastAuth);
  f.lastName = a.lastName;
  if (a.mobileNumber) f.mobileNumber = a.mobileNumber;
  return f;
}

function pendingFields(store: MongoStore, i: OrgInviteRec) {
  const status = store.inviteStatus(i);
  return {
    id: i.id,
    invitationCreatedAt: isoSeconds(i.createdAt),
    invitationExpiresAt: status === 'INVITATION_REJECTED' ? null : isoSeconds(i.expiresAt),
    inviterUsername: i.inviterUsername,
    orgMembershipStatus: status,
  };
}

/** `OrgUserResponse` of an ACTIVE member (roles in this org and its projects, teams in this org). */
export function activeOrgUserView(store: MongoStore, orgId: string, a: AccountRec) {
  const groups = new Set(store.groupsOfOrg(orgId));
  return {
    ...activeFields(a),
    orgMembershipStatus: 'ACTIVE',
    roles: {
      groupRoleAssignments: [...a.groupRoles]
        .filter(([g]) => groups.has(g))
        .map(([groupId, groupRoles]) => ({ groupId, groupRoles })),
      orgRoles: a.orgRoles.get(orgId) ?? [],
    },
    teamIds: store.teamsOf(a.id, orgId),
    username: a.username,
  };
}

/** `OrgUserResponse` of a pending org user (the org invitation, same id). */
export function pendingOrgUserView(store: MongoStore, i: OrgInviteRec) {
  const byGroup = new Map<string, string[]>();
  for (const g of i.groupRoleAssignments)
    byGroup.set(g.groupId, [...(byGroup.get(g.groupId) ?? []), g.groupRole]);
  return {
    ...pendingFields(store, i),
    roles: {
      groupRoleAssignments: [...byGroup].map(([groupId, groupRoles]) => ({ groupId, groupRoles })),
      orgRoles: i.roles,
    },
    teamIds: i.teamIds,
    username: i.username,
  };
}

/** `GroupUserResponse`: roles is a list of project roles. */
export function activeGroupUserView(a: AccountRec, roles: string[]) {
  return { ...activeFields(a), orgMembershipStatus: 'ACTIVE', roles, username: a.username };
}

export function pendingGroupUserView(store: MongoStore, i: OrgInviteRec, groupId: string) {
  return {
    ...pendingFields(store, i),
    roles: i.groupRoleAssignments.filter((g) => g.groupId === groupId).map((g) => g.groupRole),
    username: i.username,
  };
}

/**
 * Deprecated `CloudAppUser` (2023-01-01 user endpoints): roles as `[{orgId|groupId, roleName}]`.
 * Never `password` ("MongoDB Cloud does not return this parameter except in response to creating a
 * new MongoDB Cloud user").
 */
export function cloudAppUserView(store: MongoStore, rootUrl: string, a: AccountRec) {
  const roles: { orgId?: string; groupId?: string; roleName: string }[] = [];
  for (const [orgId, rs] of a.orgRoles) for (const roleName of rs) roles.push({ orgId, roleName });
  for (const [groupId, rs] of a.groupRoles) for (const roleName of rs) roles.push({ groupId, roleName });
  return {
    ...activeFields(a),
    emailAddress: a.username,
    links: [{ href: `${rootUrl}${V2}/users/${a.id}`, rel: 'self' }],
    // The spec lists mobileNumber among CloudAppUser's required fields; with none on record the
    // value is an empty string [I] (what the vendor sends then is not documented).
    mobileNumber: a.mobileNumber ?? '',
    roles,
    teamIds: store.teamsOf(a.id),
    username: a.username,
  };
}

export function teamView(rootUrl: string, t: TeamRec) {
  return {
    id: t.id,
    links: [{ href: `${rootUrl}${V2}/orgs/${t.orgId}/teams/${t.id}`, rel: 'self' }],
    name: t.name,
  };
}

export function teamRoleView(rootUrl: string, t: TeamRec, groupId: string) {
  return {
    links: [{ href: `${rootUrl}${V2}/groups/${groupId}/teams/${t.id}`, rel: 'self' }],
    roleNames: t.groupRoles.get(groupId) ?? [],
    teamId: t.id,
  };
}
