/** Loading an ItwinSeed into the store (order: directory, clients, iTwins, then client access). */
import { guidFrom } from './ids.ts';
import type { Client, Itwin } from './model.ts';
import { perMinute } from './rate-limit.ts';
import { appEmail, type ItwinStore } from './store.ts';
import type { ItwinClientSeed, ItwinSeed, ItwinSeedItwin } from './types.ts';

export function loadSeed(store: ItwinStore, seed: ItwinSeed): void {
  store.clear();
  if (seed.organization) store.organization = seed.organization;
  if (seed.tokenLifetimeSeconds !== undefined) store.tokenLifetimeSeconds = seed.tokenLifetimeSeconds;
  if (seed.rateLimitPerMinute !== undefined) {
    store.rateLimit = seed.rateLimitPerMinute === null ? null : perMinute(seed.rateLimitPerMinute);
  }
  if (seed.groupPatchMaxMembers !== undefined) store.groupPatchMaxMembers = seed.groupPatchMaxMembers;
  for (const u of seed.users ?? []) store.ensureUser(u.email, u);
  for (const c of seed.clients ?? []) addClient(store, c);
  for (const s of seed.itwins ?? []) seedItwin(store, s);
  for (const c of seed.clients ?? []) grantClient(store, c);
}

/** An iTwin with its roles, owners, members, groups and invitations. */
export function seedItwin(store: ItwinStore, s: ItwinSeedItwin): Itwin {
  if (store.itwins.has(s.id.toLowerCase())) throw new Error(`iTwin ${s.id} exists already`);
  const t = store.addItwin(s);
  for (const o of s.owners ?? []) store.addOwner(t, o);
  for (const m of s.members ?? []) store.addMember(t, m.email, m.roleIds);
  for (const g of s.groups ?? []) store.addGroup(t, g, g.memberRoleIds);
  for (const inv of s.invitations ?? []) store.addInvitation(t, inv);
  for (const gi of s.groupInvitations ?? []) store.addGroupInvitation(t, gi);
  return t;
}

/** A service app and its IMS user (no iTwin access yet: see grantClient). */
export function addClient(store: ItwinStore, c: ItwinClientSeed): Client {
  if (!c.clientId || !c.clientSecret) throw new Error('a client needs clientId and clientSecret');
  const user = store.ensureUser(c.email ?? appEmail(c.clientId), {
    id: c.userId ?? guidFrom(`client:${c.clientId}`),
    givenName: c.clientId,
    surname: '',
    internal: true,
  });
  const client: Client = {
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    userId: user.id,
    orgAdmin: c.orgAdmin ?? false,
    rateLimit:
      c.rateLimitPerMinute === undefined
        ? undefined
        : c.rateLimitPerMinute === null
          ? null
          : perMinute(c.rateLimitPerMinute),
  };
  store.clients.set(c.clientId, client);
  return client;
}

/** Applies a client's per-iTwin access: owner and/or user member with roles. */
export function grantClient(store: ItwinStore, c: ItwinClientSeed): void {
  const client = store.clients.get(c.clientId);
  if (!client) throw new Error(`unknown client ${c.clientId}`);
  const email = store.users.get(client.userId)!.email;
  for (const [itwinId, access] of Object.entries(c.itwins ?? {})) {
    const t = store.requireItwin(itwinId);
    if (access.owner) store.addOwner(t, email);
    if (access.roleIds && access.roleIds.length > 0) store.addMember(t, email, access.roleIds);
  }
}
