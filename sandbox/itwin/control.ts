/**
 * Control actions of the iTwin emulator (`control(action, payload)`; never called by connectors).
 * Role refs may be role ids or displayNames. Errors (unknown iTwin, bad payload) throw.
 *
 *   accept-invitation       {itwinId, invitationId} | {itwinId, email}
 *                           -> {userId, email, roleIds, consumed: string[]}  (seed 002 semantics)
 *   accept-group-invitation {itwinId, invitationId} -> {groupId, userId}
 *   add-invitation          {itwinId, email, roleIds?, invitedByEmail?, id?, createdAt?, owner?} -> invitation
 *   add-group-invitation    {itwinId, groupId, email, invitedByEmail?, id?, createdAt?} -> invitation
 *   add-member              {itwinId, email, roleIds?} -> {userId, email, roleIds}
 *   add-owner               {itwinId, email} -> {userId, email}
 *   add-user                {email, id?, givenName?, surname?, organization?, internal?} -> user
 *   delete-user             {email}  (gone from IMS: memberships stay, profile fields answer null)
 *   add-group               {itwinId, name, id?, description?, members?, imsGroups?, memberRoleIds?} -> group
 *   add-itwin               ItwinSeedItwin -> {id}
 *   add-client              ItwinClientSeed -> {clientId, userId, email}
 *   issue-user-token        {email, expiresInSeconds?} -> {access_token, token_type, expires_in, userId}
 *   set-rate-limit          {perMinute: number | null, clientId?, tier?} | {capacity, refillPerSecond, clientId?}
 *                           | null -> {rateLimit, clientId?}  (null / perMinute null = unlimited)
 *   set-token-lifetime      {seconds} -> {seconds}
 *   set-group-patch-max     {max} -> {max}
 *   set-group-patch-fault   {mode: 'ignore'|'readd', groupId?, times? (default 1)} -> {faults}
 *                           | {clear: true} -> {faults: []}
 *   add-group-member        {itwinId, groupId, email} -> {groupId, userId}  (someone outside the
 *                           client under test adds a member; recorded as a `control` change)
 *   group-changes           {groupId?} -> {changes: GroupChange[]}  (every member change since the
 *                           last seed or reset: removed/added emails, `patch` or `control`)
 */
import type { TokenStore } from './auth.ts';
import { normEmail } from './ids.ts';
import { type Limit, perMinute, type RateLimiter, toLimit } from './rate-limit.ts';
import { addClient, grantClient, seedItwin } from './seed.ts';
import { toState } from './state-view.ts';
import type { ItwinStore } from './store.ts';
import type { ItwinClientSeed, ItwinSeedItwin } from './types.ts';

type Payload = Record<string, unknown>;

function obj(payload: unknown): Payload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error('payload must be an object');
  }
  return payload as Payload;
}

function str(p: Payload, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw new Error(`payload.${key} must be a non-empty string`);
  return v;
}

function optStr(p: Payload, key: string): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Error(`payload.${key} must be a string`);
  return v;
}

function optList(p: Payload, key: string): string[] | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new Error(`payload.${key} must be strings`);
  return v as string[];
}

function optTime(p: Payload): string | number | undefined {
  const v = p['createdAt'];
  if (v === undefined || typeof v === 'string' || typeof v === 'number') return v;
  throw new Error('payload.createdAt must be an ISO string or epoch ms');
}

function positive(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new Error(`payload.${key} must be a number > 0`);
  return v;
}

export function runControl(
  action: string,
  payload: unknown,
  deps: { store: ItwinStore; tokens: TokenStore; limiter: RateLimiter },
): unknown {
  const { store, tokens, limiter } = deps;
  const p = obj(payload ?? {});
  const itwin = () => store.requireItwin(p['itwinId']);
  const invitationState = (itwinId: string, id: string, kind: 'invitations' | 'groupInvitations') =>
    toState(store, 0)
      .itwins.find((t) => t.id === itwinId)
      ?.[kind].find((i) => i.id === id);

  switch (action) {
    case 'accept-invitation': {
      const t = itwin();
      let email: string;
      let invitationId: string;
      if (p['invitationId'] !== undefined) {
        invitationId = str(p, 'invitationId').toLowerCase();
        const inv = t.invitations.get(invitationId);
        if (!inv) throw new Error(`InvitationNotFound: ${invitationId}`);
        email = inv.email;
      } else {
        email = normEmail(str(p, 'email'));
        const inv = [...t.invitations.values()].find((i) => i.email === email);
        if (!inv) throw new Error('InvitationNotFound: no pending invitation for that email');
        invitationId = inv.id;
      }
      const user = store.ensureUser(email, { internal: false });
      const r = store.accept(t, user, invitationId);
      if (!r.ok) throw new Error(`accept failed: ${r.reason}`);
      return { userId: user.id, email: user.email, roleIds: r.roleIds, consumed: r.consumed };
    }
    case 'accept-group-invitation':
      return store.acceptGroupInvitation(itwin(), str(p, 'invitationId'));
    case 'add-invitation': {
      const t = itwin();
      const inv = store.addInvitation(t, {
        email: str(p, 'email'),
        roleIds: optList(p, 'roleIds'),
        invitedByEmail: optStr(p, 'invitedByEmail'),
        id: optStr(p, 'id'),
        createdAt: optTime(p),
        owner: p['owner'] === true,
      });
      return invitationState(t.id, inv.id, 'invitations') ?? { id: inv.id, expired: true };
    }
    case 'add-group-invitation': {
      const t = itwin();
      const inv = store.addGroupInvitation(t, {
        groupId: str(p, 'groupId'),
        email: str(p, 'email'),
        invitedByEmail: optStr(p, 'invitedByEmail'),
        id: optStr(p, 'id'),
        createdAt: optTime(p),
      });
      return invitationState(t.id, inv.id, 'groupInvitations') ?? { id: inv.id, expired: true };
    }
    case 'add-member': {
      const { user, roleIds } = store.addMember(itwin(), str(p, 'email'), optList(p, 'roleIds'));
      return { userId: user.id, email: user.email, roleIds };
    }
    case 'add-owner': {
      const user = store.addOwner(itwin(), str(p, 'email'));
      return { userId: user.id, email: user.email };
    }
    case 'add-user': {
      const email = str(p, 'email');
      if (store.userByEmail(email)) throw new Error('user exists already');
      return {
        ...store.ensureUser(email, {
          id: optStr(p, 'id'),
          givenName: optStr(p, 'givenName'),
          surname: optStr(p, 'surname'),
          organization: optStr(p, 'organization'),
          internal: p['internal'] === undefined ? undefined : p['internal'] === true,
        }),
      };
    }
    case 'delete-user': {
      const user = store.userByEmail(str(p, 'email'));
      if (!user) throw new Error('unknown user');
      store.users.delete(user.id);
      store.usersByEmail.delete(user.email);
      return { userId: user.id };
    }
    case 'add-group': {
      const t = itwin();
      const g = store.addGroup(
        t,
        {
          id: optStr(p, 'id'),
          name: str(p, 'name'),
          description: optStr(p, 'description'),
          members: optList(p, 'members'),
          imsGroups: optList(p, 'imsGroups'),
        },
        optList(p, 'memberRoleIds'),
      );
      return toState(store, 0)
        .itwins.find((x) => x.id === t.id)!
        .groups.find((x) => x.id === g.id);
    }
    case 'add-itwin':
      return { id: seedItwin(store, p as unknown as ItwinSeedItwin).id };
    case 'add-client': {
      const seed = p as unknown as ItwinClientSeed;
      if (store.clients.has(seed.clientId)) throw new Error('client exists already');
      const c = addClient(store, seed);
      grantClient(store, seed);
      return { clientId: c.clientId, userId: c.userId, email: store.users.get(c.userId)!.email };
    }
    case 'issue-user-token': {
      const user = store.ensureUser(str(p, 'email'), { internal: false });
      const lifetime =
        p['expiresInSeconds'] === undefined
          ? store.tokenLifetimeSeconds
          : positive(p['expiresInSeconds'], 'expiresInSeconds');
      const token = tokens.issue({ kind: 'user', userId: user.id }, lifetime);
      return { access_token: token, token_type: 'Bearer', expires_in: lifetime, userId: user.id };
    }
    case 'set-rate-limit': {
      // {perMinute: n | null} or {capacity, refillPerSecond}; optional clientId (one client) and tier label.
      let limit: Limit | null;
      if (payload === null || p['perMinute'] === null || p['disabled'] === true) limit = null;
      else if (p['perMinute'] !== undefined) limit = perMinute(positive(p['perMinute'], 'perMinute'));
      else
        limit = toLimit({ capacity: Number(p['capacity']), refillPerSecond: Number(p['refillPerSecond']) });
      const clientId = optStr(p, 'clientId');
      if (clientId !== undefined) {
        const c = store.clients.get(clientId);
        if (!c) throw new Error(`unknown client ${clientId}`);
        c.rateLimit = limit;
      } else store.rateLimit = limit;
      limiter.clear();
      limiter.tier = optStr(p, 'tier');
      return clientId === undefined ? { rateLimit: limit } : { rateLimit: limit, clientId };
    }
    case 'set-token-lifetime':
      store.tokenLifetimeSeconds = positive(p['seconds'], 'seconds');
      return { seconds: store.tokenLifetimeSeconds };
    case 'set-group-patch-fault': {
      if (p['clear'] === true) {
        store.groupPatchFaults = [];
        return { faults: [] };
      }
      const mode = p['mode'];
      if (mode !== 'ignore' && mode !== 'readd') throw new Error("payload.mode must be 'ignore' or 'readd'");
      const groupId = optStr(p, 'groupId')?.toLowerCase();
      const left = p['times'] === undefined ? 1 : positive(p['times'], 'times');
      store.groupPatchFaults.push({ mode, left, ...(groupId ? { groupId } : {}) });
      return { faults: store.groupPatchFaults.map((f) => ({ ...f })) };
    }
    case 'add-group-member': {
      const t = itwin();
      const g = t.groups.get(str(p, 'groupId').toLowerCase());
      if (!g) throw new Error(`GroupNotFound: ${str(p, 'groupId')}`);
      const user = store.userRef(str(p, 'email'));
      if (!g.memberIds.includes(user.id)) {
        const before = g.memberIds;
        g.memberIds = [...before, user.id];
        store.recordGroupChange(t, g, before, 'control');
      }
      return { groupId: g.id, userId: user.id };
    }
    case 'group-changes': {
      const groupId = optStr(p, 'groupId')?.toLowerCase();
      return {
        changes: store.groupChanges.filter((c) => !groupId || c.groupId === groupId).map((c) => ({ ...c })),
      };
    }
    case 'set-group-patch-max':
      store.groupPatchMaxMembers = positive(p['max'], 'max');
      return { max: store.groupPatchMaxMembers };
    default:
      throw new Error(`unknown iTwin control action: ${action}`);
  }
}
