/**
 * The emulator's state and its rules: directory, clients, iTwins, invitation expiry (7 days on the
 * sandbox clock) and the accept semantics of seed 002.
 */
import type { SandboxClock } from '../core/types.ts';
import { guidFrom, isGuid, newGuid, normEmail } from './ids.ts';
import {
  ALL_PERMISSIONS,
  type Client,
  type Group,
  type GroupChange,
  type GroupInvitation,
  type GroupPatchFault,
  INVITATION_TTL_MS,
  type Invitation,
  type Itwin,
  type Role,
  type User,
} from './model.ts';
import { type Limit, perMinute } from './rate-limit.ts';
import type { ItwinRoleSeed, ItwinSeedItwin } from './types.ts';

export const DEFAULT_TOKEN_LIFETIME_S = 3600;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 5000;
export const DEFAULT_GROUP_PATCH_MAX = 50;

export const appEmail = (clientId: string): string => `${clientId}@apps.imsoidc.bentley.com`;

export function defaultRoles(itwinId: string): ItwinRoleSeed[] {
  const mk = (displayName: string, description: string, permissions: string[]): ItwinRoleSeed => ({
    id: guidFrom(`role:${itwinId}:${displayName}`),
    displayName,
    description,
    permissions,
    type: 'Default',
  });
  return [
    mk('Administrator', 'Full administration of the iTwin', [...ALL_PERMISSIONS]),
    mk('Contributor', 'Read and write iModels', ['itwins_read', 'imodels_read', 'imodels_write']),
    mk('Read Access', 'Read access', ['itwins_read', 'imodels_read']),
  ];
}

function toMs(v: string | number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new Error(`invalid createdAt: ${String(v)}`);
  return ms;
}

function requireGuid(id: string, what: string): string {
  if (!isGuid(id)) throw new Error(`${what} must be a GUID: ${id}`);
  return id.toLowerCase();
}

export class ItwinStore {
  organization = 'Example Corp';
  tokenLifetimeSeconds = DEFAULT_TOKEN_LIFETIME_S;
  rateLimit: Limit | null = perMinute(DEFAULT_RATE_LIMIT_PER_MINUTE);
  groupPatchMaxMembers = DEFAULT_GROUP_PATCH_MAX;
  readonly users = new Map<string, User>();
  readonly usersByEmail = new Map<string, string>();
  readonly clients = new Map<string, Client>();
  readonly itwins = new Map<string, Itwin>();
  /** Every change of a group's members since the last seed or reset, oldest first. */
  groupChanges: GroupChange[] = [];
  groupPatchFaults: GroupPatchFault[] = [];

  constructor(readonly clock: SandboxClock) {}

  clear(): void {
    this.organization = 'Example Corp';
    this.tokenLifetimeSeconds = DEFAULT_TOKEN_LIFETIME_S;
    this.rateLimit = perMinute(DEFAULT_RATE_LIMIT_PER_MINUTE);
    this.groupPatchMaxMembers = DEFAULT_GROUP_PATCH_MAX;
    this.users.clear();
    this.usersByEmail.clear();
    this.clients.clear();
    this.itwins.clear();
    this.groupChanges = [];
    this.groupPatchFaults = [];
  }

  /** Records a change of `g`'s members from `beforeIds` to its current ones (nothing when equal). */
  recordGroupChange(
    t: Itwin,
    g: Group,
    beforeIds: readonly string[],
    source: GroupChange['source'],
    by?: string,
  ) {
    const before = new Set(beforeIds);
    const after = new Set(g.memberIds);
    const email = (id: string) => this.users.get(id)?.email ?? id;
    const removed = beforeIds.filter((id) => !after.has(id)).map(email);
    const added = g.memberIds.filter((id) => !before.has(id)).map(email);
    if (removed.length === 0 && added.length === 0) return;
    this.groupChanges.push({
      seq: this.groupChanges.length + 1,
      at: new Date(this.clock.now()).toISOString(),
      itwinId: t.id,
      groupId: g.id,
      source,
      ...(by ? { by } : {}),
      removed,
      added,
    });
  }

  /** The fault the next PATCH of `groupId` meets, if any (counted down; spent ones are dropped). */
  takeGroupPatchFault(groupId: string): GroupPatchFault['mode'] | undefined {
    const f = this.groupPatchFaults.find((x) => !x.groupId || x.groupId === groupId);
    if (!f) return undefined;
    f.left -= 1;
    if (f.left <= 0) this.groupPatchFaults = this.groupPatchFaults.filter((x) => x !== f);
    return f.mode;
  }

  // ---- directory ----

  userByEmail(email: string): User | undefined {
    const id = this.usersByEmail.get(normEmail(email));
    return id === undefined ? undefined : this.users.get(id);
  }

  /** Finds or creates an IMS user. New users are internal unless `internal: false`. */
  ensureUser(
    email: string,
    opts: {
      id?: string;
      givenName?: string;
      surname?: string;
      organization?: string;
      internal?: boolean;
    } = {},
  ): User {
    const e = normEmail(email);
    if (!e.includes('@')) throw new Error(`not an email: ${email}`);
    const existing = this.userByEmail(e);
    if (existing) return existing;
    const internal = opts.internal ?? true;
    const local = e.split('@')[0]!;
    const [given, ...rest] = local.split(/[._-]/);
    const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
    const user: User = {
      id: opts.id ? requireGuid(opts.id, 'user id') : guidFrom(`user:${e}`),
      email: e,
      givenName: opts.givenName ?? cap(given ?? local),
      surname: opts.surname ?? cap(rest.join(' ')),
      organization: opts.organization ?? (internal ? this.organization : 'External'),
      internal,
    };
    this.users.set(user.id, user);
    this.usersByEmail.set(e, user.id);
    return user;
  }

  /** An email or user id from a seed/control payload. */
  userRef(ref: string): User {
    if (ref.includes('@')) return this.ensureUser(ref);
    const u = this.users.get(ref.toLowerCase());
    if (!u) throw new Error(`unknown user id: ${ref}`);
    return u;
  }

  // ---- iTwins ----

  /** The iTwin with expired invitations pruned, or undefined. */
  itwin(id: string): Itwin | undefined {
    const t = this.itwins.get(id.toLowerCase());
    if (t) this.prune(t);
    return t;
  }

  requireItwin(id: unknown): Itwin {
    const t = typeof id === 'string' ? this.itwin(id) : undefined;
    if (!t) throw new Error(`unknown iTwin: ${String(id)}`);
    return t;
  }

  prune(t: Itwin): void {
    const now = this.clock.now();
    if (now < t.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [id, inv] of t.invitations) {
      const exp = inv.createdAt + INVITATION_TTL_MS;
      if (now >= exp) t.invitations.delete(id);
      else next = Math.min(next, exp);
    }
    for (const [id, inv] of t.groupInvitations) {
      const exp = inv.createdAt + INVITATION_TTL_MS;
      if (now >= exp) t.groupInvitations.delete(id);
      else next = Math.min(next, exp);
    }
    t.nextExpiry = next;
  }

  resolveRole(t: Itwin, ref: string): Role | undefined {
    const byId = t.roles.get(ref.toLowerCase());
    if (byId) return byId;
    const name = ref.toLowerCase();
    for (const r of t.roles.values()) if (r.displayName.toLowerCase() === name) return r;
    return undefined;
  }

  /** Role refs (ids or names) -> ids; throws on an unknown role. Empty/absent -> the last default role. */
  roleIds(t: Itwin, refs: string[] | undefined, fallback = true): string[] {
    if (!refs || refs.length === 0) {
      if (!fallback) return [];
      const read = this.resolveRole(t, 'Read Access') ?? [...t.roles.values()].at(-1);
      return read ? [read.id] : [];
    }
    return [
      ...new Set(
        refs.map((ref) => {
          const r = this.resolveRole(t, ref);
          if (!r) throw new Error(`unknown role ${ref} in iTwin ${t.id}`);
          return r.id;
        }),
      ),
    ];
  }

  addItwin(s: ItwinSeedItwin): Itwin {
    const id = requireGuid(s.id, 'iTwin id');
    const t: Itwin = {
      id,
      displayName: s.displayName,
      number: s.number ?? s.displayName,
      roles: new Map(),
      members: new Map(),
      owners: new Set(),
      groups: new Map(),
      invitations: new Map(),
      groupInvitations: new Map(),
      nextExpiry: Number.POSITIVE_INFINITY,
    };
    for (const r of s.roles ?? defaultRoles(id)) {
      const rid = requireGuid(r.id, 'role id');
      t.roles.set(rid, {
        id: rid,
        displayName: r.displayName,
        description: r.description ?? r.displayName,
        permissions: [...(r.permissions ?? [])],
        type: r.type ?? 'Custom',
      });
    }
    this.itwins.set(id, t);
    return t;
  }

  addMember(t: Itwin, email: string, roleRefs?: string[]): { user: User; roleIds: string[] } {
    const user = this.ensureUser(email);
    const roleIds = this.roleIds(t, roleRefs);
    const prev = t.members.get(user.id) ?? [];
    const merged = [...new Set([...prev, ...roleIds])];
    t.members.set(user.id, merged);
    return { user, roleIds: merged };
  }

  addOwner(t: Itwin, email: string): User {
    const user = this.ensureUser(email);
    t.owners.add(user.id);
    return user;
  }

  addGroup(
    t: Itwin,
    g: { id?: string; name: string; description?: string; members?: string[]; imsGroups?: string[] },
    memberRoleRefs?: string[],
  ): Group {
    const id = g.id ? requireGuid(g.id, 'group id') : newGuid();
    const memberIds = [...new Set((g.members ?? []).map((m) => this.userRef(m).id))];
    const group: Group = {
      id,
      name: g.name,
      description: g.description ?? '',
      memberIds,
      imsGroups: [...(g.imsGroups ?? [])],
      memberRoleIds: memberRoleRefs ? this.roleIds(t, memberRoleRefs) : null,
    };
    t.groups.set(id, group);
    return group;
  }

  addInvitation(
    t: Itwin,
    p: {
      id?: string;
      email: string;
      roleIds?: string[];
      invitedByEmail?: string;
      createdAt?: string | number;
      owner?: boolean;
    },
  ): Invitation {
    const inv: Invitation = {
      id: p.id ? requireGuid(p.id, 'invitation id') : newGuid(),
      email: normEmail(p.email),
      roleIds: p.owner ? this.roleIds(t, p.roleIds, false) : this.roleIds(t, p.roleIds),
      invitedByEmail: normEmail(p.invitedByEmail ?? this.defaultInviter(t)),
      createdAt: toMs(p.createdAt, this.clock.now()),
      owner: p.owner ?? false,
    };
    t.invitations.set(inv.id, inv);
    t.nextExpiry = Math.min(t.nextExpiry, inv.createdAt + INVITATION_TTL_MS);
    this.prune(t);
    return inv;
  }

  addGroupInvitation(
    t: Itwin,
    p: { id?: string; groupId: string; email: string; invitedByEmail?: string; createdAt?: string | number },
  ): GroupInvitation {
    const group = t.groups.get(p.groupId.toLowerCase());
    if (!group) throw new Error(`unknown group ${p.groupId} in iTwin ${t.id}`);
    const inv: GroupInvitation = {
      id: p.id ? requireGuid(p.id, 'group invitation id') : newGuid(),
      groupId: group.id,
      email: normEmail(p.email),
      invitedByEmail: normEmail(p.invitedByEmail ?? this.defaultInviter(t)),
      createdAt: toMs(p.createdAt, this.clock.now()),
    };
    t.groupInvitations.set(inv.id, inv);
    t.nextExpiry = Math.min(t.nextExpiry, inv.createdAt + INVITATION_TTL_MS);
    this.prune(t);
    return inv;
  }

  private defaultInviter(t: Itwin): string {
    const first = t.owners.values().next();
    return first.done
      ? `admin@${this.organization.toLowerCase().replace(/\W+/g, '')}.com`
      : this.users.get(first.value)!.email;
  }

  /**
   * Accept (seed 002): the user becomes a member with the roles of ALL their pending invitations
   * for the iTwin and ALL of them are consumed. Already a member -> success; their pending
   * invitations (if any) are consumed too and the roles merged [I]. Owner invitations make an owner.
   */
  accept(
    t: Itwin,
    user: User,
    invitationId: string,
  ):
    | { ok: true; consumed: string[]; roleIds: string[] }
    | { ok: false; reason: 'not-found' | 'not-invitee' } {
    const alreadyMember = t.members.has(user.id);
    if (!alreadyMember) {
      const inv = t.invitations.get(invitationId.toLowerCase());
      if (!inv) return { ok: false, reason: 'not-found' };
      if (inv.email !== user.email) return { ok: false, reason: 'not-invitee' };
    }
    const consumed: string[] = [];
    const roles = new Set(t.members.get(user.id) ?? []);
    let owner = false;
    let member = alreadyMember;
    for (const [id, inv] of t.invitations) {
      if (inv.email !== user.email) continue;
      consumed.push(id);
      t.invitations.delete(id);
      for (const r of inv.roleIds) roles.add(r);
      if (inv.owner) owner = true;
      else member = true;
    }
    if (member) t.members.set(user.id, [...roles]);
    if (owner) t.owners.add(user.id);
    return { ok: true, consumed, roleIds: [...roles] };
  }

  /** A group-member invitation accepted: the user joins the group; their pending ones for it are consumed. */
  acceptGroupInvitation(t: Itwin, invitationId: string, user?: User): { groupId: string; userId: string } {
    const inv = t.groupInvitations.get(invitationId.toLowerCase());
    if (!inv) throw new Error(`unknown group invitation ${invitationId}`);
    const u = user ?? this.ensureUser(inv.email, { internal: false });
    const group = t.groups.get(inv.groupId)!;
    for (const [id, other] of t.groupInvitations) {
      if (other.groupId === group.id && other.email === u.email) t.groupInvitations.delete(id);
    }
    if (!group.memberIds.includes(u.id)) group.memberIds.push(u.id);
    return { groupId: group.id, userId: u.id };
  }
}
