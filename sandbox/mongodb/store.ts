import type { SandboxClock } from '../core/types.ts';
import { ActionError } from './api-error.ts';
import { IdGenerator, OBJECT_ID } from './ids.ts';
import type {
  MongoSeed,
  MongoSeedGroupInvitation,
  MongoSeedOrgInvitation,
  MongoSeedUser,
  RoleAssignment,
} from './seed.ts';
import { INVITATION_TTL_MS, isoSeconds, parseTime } from './time.ts';

export interface OrgRec {
  id: string;
  name: string;
}
export interface ProjectRec {
  id: string;
  orgId: string;
  name: string;
}
export interface AccountRec {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  country: string;
  mobileNumber?: string;
  createdAt: number;
  lastAuth?: number;
  /** orgId -> org roles. */
  orgRoles: Map<string, string[]>;
  /** groupId -> project roles. */
  groupRoles: Map<string, string[]>;
}
export interface TeamRec {
  id: string;
  orgId: string;
  name: string;
  memberIds: Set<string>;
  /** groupId -> roles the team holds in that project. */
  groupRoles: Map<string, string[]>;
}
export interface OrgInviteRec {
  id: string;
  orgId: string;
  username: string;
  inviterUsername: string;
  roles: string[];
  teamIds: string[];
  groupRoleAssignments: { groupId: string; groupRole: string }[];
  createdAt: number;
  expiresAt: number;
  rejected: boolean;
}
export interface GroupInviteRec {
  id: string;
  groupId: string;
  username: string;
  inviterUsername: string;
  roles: string[];
  createdAt: number;
  expiresAt: number;
}
export interface CredentialRec {
  kind: 'apiKey' | 'serviceAccount';
  id: string;
  secret: string;
  roles: RoleAssignment[];
}

export type InviteStatus = 'PENDING' | 'INVITATION_EXPIRED' | 'INVITATION_REJECTED';

const DEFAULT_INVITER = 'breakglass-admin@example.com';

/**
 * In-memory state of one MongoDB control plane (organisations, projects, teams, user accounts
 * with their org/project roles, org and project invitations, credentials). Both MongoDB emulators
 * use it; each renders it in its own API's shapes.
 */
export class MongoStore {
  orgs = new Map<string, OrgRec>();
  projects = new Map<string, ProjectRec>();
  accounts = new Map<string, AccountRec>();
  teams = new Map<string, TeamRec>();
  orgInvites = new Map<string, OrgInviteRec>();
  groupInvites = new Map<string, GroupInviteRec>();
  apiKeys = new Map<string, CredentialRec>();
  serviceAccounts = new Map<string, CredentialRec>();
  private readonly ids: IdGenerator;

  constructor(
    private readonly clock: SandboxClock,
    idPrefix: string,
  ) {
    this.ids = new IdGenerator(idPrefix);
  }

  clear(): void {
    this.orgs.clear();
    this.projects.clear();
    this.accounts.clear();
    this.teams.clear();
    this.orgInvites.clear();
    this.groupInvites.clear();
    this.apiKeys.clear();
    this.serviceAccounts.clear();
    this.ids.reset();
  }

  newId(): string {
    let id = this.ids.next();
    while (
      this.accounts.has(id) ||
      this.orgInvites.has(id) ||
      this.groupInvites.has(id) ||
      this.teams.has(id)
    ) {
      id = this.ids.next();
    }
    return id;
  }

  load(seed: MongoSeed): void {
    this.clear();
    for (const o of seed.orgs ?? []) this.orgs.set(checkId(o.id), { id: o.id, name: o.name });
    for (const p of seed.projects ?? []) {
      if (!this.orgs.has(p.orgId)) throw new TypeError(`project ${p.id}: unknown org ${p.orgId}`);
      this.projects.set(checkId(p.id), { id: p.id, orgId: p.orgId, name: p.name });
    }
    for (const t of seed.teams ?? []) {
      if (!this.orgs.has(t.orgId)) throw new TypeError(`team ${t.id}: unknown org ${t.orgId}`);
      const groupRoles = new Map<string, string[]>(
        (t.projectRoles ?? []).map((r) => [r.groupId, [...r.roles]]),
      );
      this.teams.set(checkId(t.id), {
        id: t.id,
        orgId: t.orgId,
        name: t.name,
        memberIds: new Set(),
        groupRoles,
      });
    }
    for (const u of seed.users ?? []) this.addAccount(u);
    for (const i of seed.orgInvitations ?? []) this.addOrgInvite(i);
    for (const i of seed.groupInvitations ?? []) this.addGroupInvite(i);
    for (const k of seed.apiKeys ?? []) {
      this.apiKeys.set(k.publicKey, {
        kind: 'apiKey',
        id: k.publicKey,
        secret: k.privateKey,
        roles: k.roles,
      });
    }
    for (const s of seed.serviceAccounts ?? []) {
      this.serviceAccounts.set(s.clientId, {
        kind: 'serviceAccount',
        id: s.clientId,
        secret: s.clientSecret,
        roles: s.roles,
      });
    }
  }

  addAccount(u: MongoSeedUser): AccountRec {
    const id = u.id ? checkId(u.id) : this.newId();
    if (this.accountByUsername(u.username)) throw new ActionError(409, `user ${u.username} already exists`);
    const [first, last] = nameFromEmail(u.username);
    const acc: AccountRec = {
      id,
      username: u.username.toLowerCase(),
      firstName: u.firstName ?? first,
      lastName: u.lastName ?? last,
      country: u.country ?? 'US',
      createdAt: parseTime(u.createdAt, this.clock.now()),
      orgRoles: new Map<string, string[]>((u.orgRoles ?? []).map((r) => [r.orgId, [...r.roles]])),
      groupRoles: new Map<string, string[]>((u.projectRoles ?? []).map((r) => [r.groupId, [...r.roles]])),
    };
    if (u.mobileNumber) acc.mobileNumber = u.mobileNumber;
    if (u.lastAuth) acc.lastAuth = parseTime(u.lastAuth, 0);
    this.accounts.set(id, acc);
    for (const t of u.teamIds ?? []) {
      const team = this.teams.get(t);
      if (!team) throw new TypeError(`user ${u.username}: unknown team ${t}`);
      team.memberIds.add(id);
    }
    return acc;
  }

  addOrgInvite(i: MongoSeedOrgInvitation): OrgInviteRec {
    if (!this.orgs.has(i.orgId)) throw new ActionError(404, `unknown org ${i.orgId}`);
    const createdAt = parseTime(i.createdAt, this.clock.now());
    const inv: OrgInviteRec = {
      id: i.id ? checkId(i.id) : this.newId(),
      orgId: i.orgId,
      username: i.username.toLowerCase(),
      inviterUsername: i.inviterUsername ?? DEFAULT_INVITER,
      roles: i.roles ?? ['ORG_MEMBER'],
      teamIds: i.teamIds ?? [],
      groupRoleAssignments: i.groupRoleAssignments ?? [],
      createdAt,
      expiresAt: parseTime(i.expiresAt, createdAt + INVITATION_TTL_MS),
      rejected: false,
    };
    this.orgInvites.set(inv.id, inv);
    return inv;
  }

  addGroupInvite(i: MongoSeedGroupInvitation): GroupInviteRec {
    if (!this.projects.has(i.groupId)) throw new ActionError(404, `unknown project ${i.groupId}`);
    const createdAt = parseTime(i.createdAt, this.clock.now());
    const inv: GroupInviteRec = {
      id: i.id ? checkId(i.id) : this.newId(),
      groupId: i.groupId,
      username: i.username.toLowerCase(),
      inviterUsername: i.inviterUsername ?? DEFAULT_INVITER,
      roles: i.roles ?? ['GROUP_READ_ONLY'],
      createdAt,
      expiresAt: parseTime(i.expiresAt, createdAt + INVITATION_TTL_MS),
    };
    this.groupInvites.set(inv.id, inv);
    return inv;
  }

  accountByUsername(username: string): AccountRec | undefined {
    const u = username.toLowerCase();
    for (const a of this.accounts.values()) if (a.username === u) return a;
    return undefined;
  }

  inviteStatus(inv: OrgInviteRec): InviteStatus {
    if (inv.rejected) return 'INVITATION_REJECTED';
    return this.clock.now() >= inv.expiresAt ? 'INVITATION_EXPIRED' : 'PENDING';
  }

  isPending(inv: OrgInviteRec | GroupInviteRec): boolean {
    if ('rejected' in inv && inv.rejected) return false;
    return this.clock.now() < inv.expiresAt;
  }

  /** Pending (not expired, not rejected) org invitations, optionally by username. */
  pendingOrgInvites(orgId: string, username?: string): OrgInviteRec[] {
    const u = username?.toLowerCase();
    return [...this.orgInvites.values()].filter(
      (i) => i.orgId === orgId && this.isPending(i) && (u === undefined || i.username === u),
    );
  }

  pendingGroupInvites(groupId: string, username?: string): GroupInviteRec[] {
    const u = username?.toLowerCase();
    return [...this.groupInvites.values()].filter(
      (i) => i.groupId === groupId && this.isPending(i) && (u === undefined || i.username === u),
    );
  }

  orgMembers(orgId: string): AccountRec[] {
    return [...this.accounts.values()].filter((a) => a.orgRoles.has(orgId));
  }

  groupMembers(groupId: string): AccountRec[] {
    return [...this.accounts.values()].filter((a) => a.groupRoles.has(groupId));
  }

  teamsOf(userId: string, orgId?: string): string[] {
    return [...this.teams.values()]
      .filter((t) => t.memberIds.has(userId) && (orgId === undefined || t.orgId === orgId))
      .map((t) => t.id);
  }

  groupsOfOrg(orgId: string): string[] {
    return [...this.projects.values()].filter((p) => p.orgId === orgId).map((p) => p.id);
  }

  /** Removes an ACTIVE user from the org with its project roles and team memberships there. */
  removeOrgMember(orgId: string, userId: string): boolean {
    const acc = this.accounts.get(userId);
    if (!acc?.orgRoles.has(orgId)) return false;
    acc.orgRoles.delete(orgId);
    for (const g of this.groupsOfOrg(orgId)) acc.groupRoles.delete(g);
    for (const t of this.teams.values()) if (t.orgId === orgId) t.memberIds.delete(userId);
    return true;
  }

  removeGroupMember(groupId: string, userId: string): boolean {
    const acc = this.accounts.get(userId);
    if (!acc?.groupRoles.has(groupId)) return false;
    acc.groupRoles.delete(groupId);
    return true;
  }

  removeTeamMember(teamId: string, userId: string): boolean {
    return this.teams.get(teamId)?.memberIds.delete(userId) ?? false;
  }

  /**
   * A user accepts an invitation (org or project): the invitation disappears and the user (an
   * existing account with that username, or a new one) becomes a member. Org invitation: its org
   * roles, project roles and teams. Project invitation: its project roles, plus `ORG_MEMBER` in
   * the project's org if the user had no role there. Expired or rejected invitations cannot be
   * accepted (409).
   */
  accept(invitationId: string): { userId: string; username: string } {
    const orgInv = this.orgInvites.get(invitationId);
    const grpInv = this.groupInvites.get(invitationId);
    const inv = orgInv ?? grpInv;
    if (!inv) throw new ActionError(404, `no invitation ${invitationId}`);
    if (!this.isPending(inv)) throw new ActionError(409, `invitation ${invitationId} is no longer pending`);
    const acc = this.accountByUsername(inv.username) ?? this.addAccount({ username: inv.username });
    if (orgInv) {
      union(acc.orgRoles, orgInv.orgId, orgInv.roles);
      for (const a of orgInv.groupRoleAssignments) union(acc.groupRoles, a.groupId, [a.groupRole]);
      for (const t of orgInv.teamIds) this.teams.get(t)?.memberIds.add(acc.id);
      this.orgInvites.delete(orgInv.id);
    } else if (grpInv) {
      union(acc.groupRoles, grpInv.groupId, grpInv.roles);
      const orgId = this.projects.get(grpInv.groupId)?.orgId;
      if (orgId && !acc.orgRoles.has(orgId)) acc.orgRoles.set(orgId, ['ORG_MEMBER']);
      this.groupInvites.delete(grpInv.id);
    }
    acc.lastAuth = this.clock.now();
    return { userId: acc.id, username: acc.username };
  }

  /** Every pending invitation of a username (org and project), oldest first. */
  pendingInvitationIdsOf(username: string): string[] {
    const u = username.toLowerCase();
    return [
      ...[...this.orgInvites.values()].filter((i) => i.username === u && this.isPending(i)).map((i) => i.id),
      ...[...this.groupInvites.values()]
        .filter((i) => i.username === u && this.isPending(i))
        .map((i) => i.id),
    ];
  }

  snapshot() {
    return {
      now: isoSeconds(this.clock.now()),
      orgs: [...this.orgs.values()],
      projects: [...this.projects.values()],
      teams: [...this.teams.values()].map((t) => ({
        id: t.id,
        orgId: t.orgId,
        name: t.name,
        memberIds: [...t.memberIds],
        usernames: [...t.memberIds].map((id) => this.accounts.get(id)?.username).filter(Boolean),
        projectRoles: [...t.groupRoles].map(([groupId, roles]) => ({ groupId, roles })),
      })),
      users: [...this.accounts.values()].map((a) => ({
        id: a.id,
        username: a.username,
        orgRoles: [...a.orgRoles].map(([orgId, roles]) => ({ orgId, roles })),
        projectRoles: [...a.groupRoles].map(([groupId, roles]) => ({ groupId, roles })),
        teamIds: this.teamsOf(a.id),
      })),
      orgInvitations: [...this.orgInvites.values()].map((i) => ({
        ...i,
        status: this.inviteStatus(i),
        createdAt: isoSeconds(i.createdAt),
        expiresAt: isoSeconds(i.expiresAt),
      })),
      groupInvitations: [...this.groupInvites.values()].map((i) => ({
        ...i,
        status: this.isPending(i) ? 'PENDING' : 'INVITATION_EXPIRED',
        createdAt: isoSeconds(i.createdAt),
        expiresAt: isoSeconds(i.expiresAt),
      })),
      apiKeys: [...this.apiKeys.values()].map((k) => ({ publicKey: k.id, roles: k.roles })),
      serviceAccounts: [...this.serviceAccounts.values()].map((s) => ({ clientId: s.id, roles: s.roles })),
    };
  }
}

function union(map: Map<string, string[]>, key: string, roles: string[]): void {
  const cur = map.get(key) ?? [];
  map.set(key, [...new Set([...cur, ...roles])]);
}

function checkId(id: string): string {
  if (!OBJECT_ID.test(id)) throw new TypeError(`not a 24-hex id: ${id}`);
  return id;
}

function nameFromEmail(email: string): [string, string] {
  const local = email.split('@')[0] ?? email;
  const [a = local, b = ''] = local.split(/[._-]/);
  const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
  return [cap(a), cap(b) || 'User'];
}
