import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ControllableClock } from '../../sandbox/core/clock.ts';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_GROUP_ENGINEERS,
  DEMO_ITWIN_1,
  DEMO_ITWIN_2,
  itwinDemoSeed,
} from '../../sandbox/itwin/demo.ts';
import { createItwinEmulator, type ItwinSeed } from '../../sandbox/itwin/index.ts';
import { call, clientToken, type ItwinHarness, requestToken, startItwin, V2 } from './itwin-server.ts';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const G1 = 'aaaaaaaa-0000-4000-8000-000000000101';
const G2 = 'aaaaaaaa-0000-4000-8000-000000000102';
const INV_DAVE_1 = 'aaaaaaaa-0000-4000-8000-000000001001';
const INV_DAVE_2 = 'aaaaaaaa-0000-4000-8000-000000001002';
const INV_ERIN = 'aaaaaaaa-0000-4000-8000-000000001003';
const GINV = 'aaaaaaaa-0000-4000-8000-000000002001';
const ADMIN = 'aaaaaaaa-0000-4000-8000-00000000a001';
const CONTRIB = 'aaaaaaaa-0000-4000-8000-00000000a002';
const READ = 'aaaaaaaa-0000-4000-8000-00000000a003';
const GM = 'aaaaaaaa-0000-4000-8000-00000000a004';
const app = (id: string) => `${id}@apps.imsoidc.bentley.com`;
const DAY = 24 * 60 * 60 * 1000;

const CLIENTS = {
  owner: { clientId: 'owner-app', clientSecret: 'owner-secret' },
  admin: { clientId: 'admin-app', clientSecret: 'admin-secret' },
  reader: { clientId: 'reader-app', clientSecret: 'reader-secret' },
  gm: { clientId: 'gm-app', clientSecret: 'gm-secret' },
  outsider: { clientId: 'outsider-app', clientSecret: 'outsider-secret' },
} as const;
type ClientName = keyof typeof CLIENTS;

const SEED: ItwinSeed = {
  users: [
    { email: 'alice@example.com' },
    { email: 'bob@example.com' },
    { email: 'carol@example.com' },
    { email: 'ext@partner.example', internal: false },
  ],
  clients: [
    { ...CLIENTS.owner, itwins: { [A]: { owner: true } } },
    { ...CLIENTS.admin, itwins: { [A]: { roleIds: [ADMIN] } } },
    { ...CLIENTS.reader, itwins: { [A]: { roleIds: [READ] } } },
    { ...CLIENTS.gm, itwins: { [A]: { roleIds: ['Group Manager'] } } },
    { ...CLIENTS.outsider },
  ],
  itwins: [
    {
      id: A,
      displayName: 'Alpha',
      roles: [
        {
          id: ADMIN,
          displayName: 'Administrator',
          permissions: [
            'administration_invite_member',
            'administration_remove_member',
            'administration_manage_groups',
            'itwins_read',
          ],
        },
        { id: CONTRIB, displayName: 'Contributor', permissions: ['itwins_read', 'imodels_write'] },
        { id: READ, displayName: 'Read Access', permissions: ['itwins_read'] },
        {
          id: GM,
          displayName: 'Group Manager',
          permissions: ['administration_manage_groups', 'administration_invite_member'],
        },
      ],
      owners: ['carol@example.com'],
      members: [
        { email: 'alice@example.com', roleIds: [CONTRIB] },
        { email: 'bob@example.com', roleIds: [READ] },
      ],
      groups: [
        {
          id: G1,
          name: 'Engineers',
          members: ['alice@example.com', 'bob@example.com'],
          memberRoleIds: [CONTRIB],
        },
        { id: G2, name: 'Reviewers', members: ['alice@example.com'] },
      ],
      invitations: [
        { id: INV_DAVE_1, email: 'dave@partner.example', roleIds: [READ], invitedByEmail: app('owner-app') },
        {
          id: INV_DAVE_2,
          email: 'dave@partner.example',
          roleIds: [CONTRIB],
          invitedByEmail: app('admin-app'),
        },
        { id: INV_ERIN, email: 'erin@partner.example', roleIds: [READ], invitedByEmail: app('admin-app') },
      ],
      groupInvitations: [
        { id: GINV, groupId: G1, email: 'frank@partner.example', invitedByEmail: app('owner-app') },
      ],
    },
    { id: B, displayName: 'Beta', owners: ['carol@example.com'] },
  ],
};

let h: ItwinHarness;
let tokens: Record<ClientName, string>;
const ac = (path: string) => `${h.root}/accesscontrol/itwins${path}`;
const get = (path: string, who: ClientName = 'owner') => call(ac(path), { token: tokens[who] });
const del = (path: string, who: ClientName = 'owner') =>
  call(ac(path), { method: 'DELETE', token: tokens[who] });
const send = (method: string, path: string, body: unknown, who: ClientName = 'owner') =>
  call(ac(path), { method, token: tokens[who], body });
const userToken = (email: string) =>
  (h.control('issue-user-token', { email }) as { access_token: string }).access_token;
const itwinState = (id = A) => h.state().itwins.find((t) => t.id === id)!;
/** After advancing the clock past the token lifetime: fresh tokens for every client. */
async function refreshTokens(): Promise<void> {
  const entries = await Promise.all(
    (Object.keys(CLIENTS) as ClientName[]).map(
      async (k) => [k, await clientToken(h.root, CLIENTS[k].clientId, CLIENTS[k].clientSecret)] as const,
    ),
  );
  tokens = Object.fromEntries(entries) as Record<ClientName, string>;
}

beforeAll(async () => {
  h = await startItwin(SEED);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.seed(SEED);
  h.reset();
  await refreshTokens();
});

describe('IMS token endpoint', () => {
  const cc = { grant_type: 'client_credentials', scope: 'itwin-platform' };

  it('issues an opaque Bearer token for HTTP Basic client auth, usable on the API', async () => {
    const r = await requestToken(h.root, cc, { id: 'owner-app', secret: 'owner-secret' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(r.body.access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const members = await call(ac(`/${A}/members/users`), { token: r.body.access_token });
    expect(members.status).toBe(200);
  });

  it('accepts client_id/client_secret in the form body', async () => {
    const r = await requestToken(h.root, { ...cc, client_id: 'reader-app', client_secret: 'reader-secret' });
    expect(r.status).toBe(200);
  });

  it('refuses a bad secret, an unknown client and missing client auth with invalid_client', async () => {
    for (const r of [
      await requestToken(h.root, cc, { id: 'owner-app', secret: 'wrong' }),
      await requestToken(h.root, cc, { id: 'nobody', secret: 'owner-secret' }),
      await requestToken(h.root, cc),
    ]) {
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
  });

  it('needs the itwin-platform scope and refuses user scopes for a service app', async () => {
    const basic = { id: 'owner-app', secret: 'owner-secret' };
    for (const scope of ['', 'openid', 'itwin-platform openid email']) {
      const r = await requestToken(h.root, { grant_type: 'client_credentials', scope }, basic);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_scope');
    }
  });

  it('refuses other grant types, a JSON body and GET', async () => {
    const basic = { id: 'owner-app', secret: 'owner-secret' };
    const pw = await requestToken(h.root, { grant_type: 'password', scope: 'itwin-platform' }, basic);
    expect(pw.status).toBe(400);
    expect(pw.body.error).toBe('unsupported_grant_type');
    const json = await call(`${h.root}/ims/connect/token`, { method: 'POST', body: cc });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    const g = await call(`${h.root}/ims/connect/token`);
    expect(g.status).toBe(405);
  });

  it('tokens expire on the sandbox clock; the lifetime is configurable', async () => {
    h.advance(3599_000);
    expect((await get(`/${A}/members/users`)).status).toBe(200);
    h.advance(1000);
    const r = await get(`/${A}/members/users`);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('Unauthorized');
    h.control('set-token-lifetime', { seconds: 60 });
    const t = await requestToken(h.root, cc, { id: 'owner-app', secret: 'owner-secret' });
    expect(t.body.expires_in).toBe(60);
    h.advance(60_000);
    expect((await call(ac(`/${A}/members/users`), { token: t.body.access_token })).status).toBe(401);
  });

  it('answers 401 HeaderNotFound without Authorization and 401 Unauthorized for a bad token', async () => {
    const none = await call(ac(`/${A}/members/users`));
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: {
        code: 'HeaderNotFound',
        message: 'Header Authorization was not found in the request. Access denied.',
      },
    });
    const bad = await call(ac(`/${A}/members/users`), { token: 'not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('Unauthorized');
    const basic = await call(ac(`/${A}/members/users`), { headers: { authorization: 'Basic abc' } });
    expect(basic.body.error.code).toBe('Unauthorized');
  });
});

describe('Accept version header and routing', () => {
  it('serves v2, a missing Accept and application/json; answers 406 for v1 or another vendor type', async () => {
    expect((await get(`/${A}/members/users`)).status).toBe(200);
    for (const accept of [
      '',
      'application/json',
      '*/*',
      `application/vnd.bentley.itwin-platform.v1+json, ${V2}`,
    ]) {
      const r = await call(ac(`/${A}/members/users`), { token: tokens.owner, headers: { accept } });
      expect(r.status, accept).toBe(200);
    }
    for (const accept of [
      'application/vnd.bentley.itwin-platform.v1+json',
      'application/vnd.bentley.itwin-platform.v3+json',
      'application/vnd.atlas.2025-03-12+json',
    ]) {
      const r = await call(ac(`/${A}/members/users`), { token: tokens.owner, headers: { accept } });
      expect(r.status, accept).toBe(406);
      expect(r.body.error.code).toBe('NotAcceptable');
    }
  });

  it('answers 404 ItwinNotFound for unknown, malformed and invisible iTwins', async () => {
    for (const [path, who] of [
      [`/${randomUUID()}/members/users`, 'owner'],
      ['/not-a-guid/members/users', 'owner'],
      [`/${B}/members/users`, 'owner'],
      [`/${A}/members/users`, 'outsider'],
    ] as const) {
      const r = await get(path, who);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({
        error: { code: 'ItwinNotFound', message: 'Requested iTwin is not available.' },
      });
    }
  });

  it('answers 404 for unknown routes and 405 for a wrong method', async () => {
    expect((await get(`/${A}/nothing`)).status).toBe(404);
    const r = await send('PUT', `/${A}/members/users`, {});
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toContain('GET');
  });
});

describe('user members', () => {
  it('lists members with roles and gets one', async () => {
    const r = await get(`/${A}/members/users`);
    expect(r.status).toBe(200);
    const alice = r.body.members.find((m: { email: string }) => m.email === 'alice@example.com');
    expect(alice).toMatchObject({
      givenName: 'Alice',
      organization: 'Example Corp',
      roles: [{ id: CONTRIB, displayName: 'Contributor' }],
    });
    expect(alice.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body._links.self.href).toBe(`${ac(`/${A}/members/users`)}?$skip=0&$top=100`);
    expect(r.body._links.next).toBeUndefined();
    const one = await get(`/${A}/members/users/${alice.id}`);
    expect(one.body.member).toEqual(alice);
  });

  it('404 TeamMemberNotFound for unknown and malformed member ids', async () => {
    for (const id of [randomUUID(), 'xyz']) {
      const r = await get(`/${A}/members/users/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual({
        code: 'TeamMemberNotFound',
        message: 'Requested team member is not available.',
      });
    }
  });

  it('DELETE removes a member (204) and a repeat answers 404; needs administration_remove_member', async () => {
    const bob = h.state().users.find((u) => u.email === 'bob@example.com')!;
    const denied = await del(`/${A}/members/users/${bob.id}`, 'reader');
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: 'InsufficientPermissions',
      message: 'The user has insufficient permissions for the requested operation.',
    });
    expect((await del(`/${A}/members/users/${bob.id}`, 'admin')).status).toBe(204);
    expect(itwinState().members.some((m) => m.email === 'bob@example.com')).toBe(false);
    const again = await del(`/${A}/members/users/${bob.id}`, 'admin');
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('TeamMemberNotFound');
  });

  it('POST adds internal emails as members and invites external ones', async () => {
    const r = await send(
      'POST',
      `/${A}/members/users`,
      {
        members: [
          { email: 'carol@example.com', roleIds: [READ] },
          { email: 'ext@partner.example', roleIds: [CONTRIB] },
          { email: 'new.person@elsewhere.example', roleIds: [READ] },
        ],
      },
      'admin',
    );
    expect(r.status).toBe(201);
    expect(r.body.members.map((m: { email: string }) => m.email)).toEqual(['carol@example.com']);
    expect(r.body.invitations.map((i: { email: string }) => i.email)).toEqual([
      'ext@partner.example',
      'new.person@elsewhere.example',
    ]);
    expect(r.body.invitations[0]).toMatchObject({
      status: 'Pending',
      invitedByEmail: app('admin-app'),
      roles: [{ id: CONTRIB }],
    });
    expect(
      Date.parse(r.body.invitations[0].expirationDate) - Date.parse(r.body.invitations[0].createdDate),
    ).toBe(7 * DAY);
  });

  it('POST validates: 403 without invite permission, 422 missing members, 404 RoleNotFound, 422 over 50 role assignments', async () => {
    expect(
      (
        await send(
          'POST',
          `/${A}/members/users`,
          { members: [{ email: 'x@example.com', roleIds: [READ] }] },
          'reader',
        )
      ).status,
    ).toBe(403);
    const missing = await send('POST', `/${A}/members/users`, {}, 'admin');
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({
      code: 'InvalidiTwinsMemberRequest',
      message: 'Request body or query is invalid.',
      details: [{ code: 'MissingRequiredProperty', target: 'members' }],
    });
    const role = await send(
      'POST',
      `/${A}/members/users`,
      { members: [{ email: 'x@example.com', roleIds: [READ, randomUUID()] }] },
      'admin',
    );
    expect(role.status).toBe(404);
    expect(role.body.error).toMatchObject({ code: 'RoleNotFound', target: 'members[0].roleIds[1]' });
    const many = Array.from({ length: 26 }, (_, i) => ({
      email: `p${i}@example.com`,
      roleIds: [READ, CONTRIB],
    }));
    const over = await send('POST', `/${A}/members/users`, { members: many }, 'admin');
    expect(over.status).toBe(422);
    expect(over.body.error.details[0]).toMatchObject({ code: 'InvalidValue', target: 'members' });
  });

  it('PATCH replaces a member’s roles', async () => {
    const alice = h.state().users.find((u) => u.email === 'alice@example.com')!;
    const r = await send('PATCH', `/${A}/members/users/${alice.id}`, { roleIds: [READ, ADMIN] }, 'admin');
    expect(r.status).toBe(200);
    expect(r.body.member.roles.map((x: { id: string }) => x.id)).toEqual([READ, ADMIN]);
    expect(
      (await send('PATCH', `/${A}/members/users/${randomUUID()}`, { roleIds: [READ] }, 'admin')).status,
    ).toBe(404);
    expect((await send('PATCH', `/${A}/members/users/${alice.id}`, { roleIds: [] }, 'admin')).status).toBe(
      422,
    );
  });
});

describe('paging', () => {
  it('walks 255 members over three pages by _links.next', async () => {
    for (let i = 0; i < 250; i++)
      h.control('add-member', { itwinId: A, email: `user${i}@example.com`, roleIds: ['Read Access'] });
    let url: string | undefined = ac(`/${A}/members/users?$top=100`);
    const sizes: number[] = [];
    const ids = new Set<string>();
    let first = true;
    while (url) {
      const r = await call(url, { token: tokens.owner });
      expect(r.status).toBe(200);
      sizes.push(r.body.members.length);
      for (const m of r.body.members) ids.add(m.id);
      if (first) expect(r.body._links.prev).toBeUndefined();
      else expect(r.body._links.prev.href).toContain('$skip=');
      first = false;
      url = r.body._links.next?.href;
    }
    expect(sizes).toEqual([100, 100, 55]);
    expect(ids.size).toBe(255);
    const last = await get(`/${A}/members/users?$skip=200&$top=100`);
    expect(last.body._links).toEqual({
      self: { href: `${ac(`/${A}/members/users`)}?$skip=200&$top=100` },
      prev: { href: `${ac(`/${A}/members/users`)}?$skip=100&$top=100` },
    });
    const exact = await get(`/${A}/members/users?$skip=155&$top=100`);
    expect(exact.body.members).toHaveLength(100);
    expect(exact.body._links.next).toBeUndefined();
    const dflt = await get(`/${A}/members/users`);
    expect(dflt.body.members).toHaveLength(100);
    expect(dflt.body._links.next.href).toBe(`${ac(`/${A}/members/users`)}?$skip=100&$top=100`);
  });

  it('answers 422 with details for $top/$skip out of range', async () => {
    for (const [q, target, code] of [
      ['$top=0', '$top', 'InvalidiTwinsMemberRequest'],
      ['$top=1001', '$top', 'InvalidiTwinsMemberRequest'],
      ['$top=abc', '$top', 'InvalidiTwinsMemberRequest'],
      ['$skip=-1', '$skip', 'InvalidiTwinsMemberRequest'],
    ] as const) {
      const r = await get(`/${A}/members/users?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.body.error).toMatchObject({ code, details: [{ code: 'InvalidValue', target }] });
    }
    const inv = await get(`/${A}/members/invitations?$top=5000`);
    expect(inv.body.error.code).toBe('InvalidiTwinsMemberInvitationsRequest');
    expect((await get(`/${A}/members/users?$top=1000`)).status).toBe(200);
  });
});

describe('owners', () => {
  it('lists owners without roles', async () => {
    const r = await get(`/${A}/members/owners`);
    expect(r.body.members.map((m: { email: string }) => m.email).sort()).toEqual([
      'carol@example.com',
      app('owner-app'),
    ]);
    expect(r.body.members[0].roles).toBeUndefined();
  });

  it('removing an owner needs the caller to be an owner; repeat -> 404; the last owner can be removed', async () => {
    const carol = h.state().users.find((u) => u.email === 'carol@example.com')!;
    const owner = h.state().clients.find((c) => c.clientId === 'owner-app')!;
    expect((await del(`/${A}/members/owners/${carol.id}`, 'admin')).status).toBe(403);
    expect((await del(`/${A}/members/owners/${carol.id}`)).status).toBe(204);
    const again = await del(`/${A}/members/owners/${carol.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('TeamMemberNotFound');
    expect((await del(`/${A}/members/owners/${owner.userId}`)).status).toBe(204);
    expect(itwinState().owners).toEqual([]);
  });

  it('POST adds an internal owner, 409 OwnerAlreadyExists on repeat, invites an external one', async () => {
    expect((await send('POST', `/${A}/members/owners`, { email: 'bob@example.com' }, 'admin')).status).toBe(
      403,
    );
    const r = await send('POST', `/${A}/members/owners`, { email: 'bob@example.com' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ member: { email: 'bob@example.com' }, invitation: null });
    const dup = await send('POST', `/${A}/members/owners`, { email: 'BOB@example.com' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'OwnerAlreadyExists', target: 'email' });
    const ext = await send('POST', `/${A}/members/owners`, { email: 'ext@partner.example' });
    expect(ext.body).toMatchObject({
      member: null,
      invitation: { email: 'ext@partner.example', status: 'Pending' },
    });
    h.control('accept-invitation', { itwinId: A, invitationId: ext.body.invitation.id });
    expect(itwinState().owners.map((o) => o.email)).toContain('ext@partner.example');
  });
});

describe('group members (groups that are iTwin members)', () => {
  it('lists, gets and removes a group member; repeat -> 404; the group itself stays', async () => {
    const list = await get(`/${A}/members/groups`);
    expect(list.body.members).toEqual([
      {
        id: G1,
        groupName: 'Engineers',
        groupDescription: '',
        roles: [{ id: CONTRIB, displayName: 'Contributor', description: 'Contributor' }],
      },
    ]);
    expect((await get(`/${A}/members/groups/${G1}`)).body.member.id).toBe(G1);
    expect((await get(`/${A}/members/groups/${G2}`)).status).toBe(404);
    expect((await del(`/${A}/members/groups/${G1}`, 'reader')).status).toBe(403);
    expect((await del(`/${A}/members/groups/${G1}`)).status).toBe(204);
    const again = await del(`/${A}/members/groups/${G1}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('TeamMemberNotFound');
    expect((await get(`/${A}/groups/${G1}`)).status).toBe(200);
  });

  it('membership through a member group grants its roles’ permissions', async () => {
    h.control('add-client', { clientId: 'grouped', clientSecret: 'g-secret' });
    h.control('add-group', {
      itwinId: A,
      name: 'Admins',
      members: [app('grouped')],
      memberRoleIds: ['Administrator'],
    });
    const t = await clientToken(h.root, 'grouped', 'g-secret');
    const perms = await call(ac(`/${A}/permissions`), { token: t });
    expect(perms.body.permissions).toContain('administration_remove_member');
  });
});

describe('member invitations', () => {
  const ids = (r: { body: { invitations: { id: string }[] } }) => r.body.invitations.map((i) => i.id).sort();

  it('owners see every invitation, others only the ones they sent', async () => {
    expect(ids(await get(`/${A}/members/invitations`))).toEqual([INV_DAVE_1, INV_DAVE_2, INV_ERIN]);
    expect(ids(await get(`/${A}/members/invitations`, 'admin'))).toEqual([INV_DAVE_2, INV_ERIN]);
    expect(ids(await get(`/${A}/members/invitations`, 'reader'))).toEqual([]);
    expect((await get(`/${A}/members/invitations/${INV_DAVE_1}`, 'admin')).status).toBe(404);
    const one = await get(`/${A}/members/invitations/${INV_DAVE_1}`);
    expect(one.body.invitation).toMatchObject({
      id: INV_DAVE_1,
      email: 'dave@partner.example',
      invitedByEmail: app('owner-app'),
      status: 'Pending',
      roles: [{ id: READ }],
    });
  });

  it('DELETE revokes (204); repeat and malformed ids -> 404 InvitationNotFound; read-only member -> 403', async () => {
    expect((await del(`/${A}/members/invitations/${INV_ERIN}`, 'reader')).status).toBe(403);
    expect((await del(`/${A}/members/invitations/${INV_ERIN}`)).status).toBe(204);
    for (const id of [INV_ERIN, 'nope', randomUUID()]) {
      const r = await del(`/${A}/members/invitations/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual({
        code: 'InvitationNotFound',
        message: 'Requested invitation is not available.',
      });
    }
    expect((await get(`/${A}/members/invitations/${INV_ERIN}`)).status).toBe(404);
  });

  it('invitations expire 7 days after creation', async () => {
    h.advance(7 * DAY - 1000);
    await refreshTokens();
    const fresh = h.control('add-invitation', { itwinId: A, email: 'late@partner.example' }) as {
      id: string;
    };
    expect(ids(await get(`/${A}/members/invitations`))).toHaveLength(4);
    h.advance(1000);
    expect(ids(await get(`/${A}/members/invitations`))).toEqual([fresh.id]);
    expect((await get(`/${A}/members/invitations/${INV_DAVE_1}`)).status).toBe(404);
    expect((await del(`/${A}/members/invitations/${INV_DAVE_1}`)).status).toBe(404);
    expect(itwinState().invitations.map((i) => i.id)).toEqual([fresh.id]);
    expect(() => h.control('accept-invitation', { itwinId: A, invitationId: INV_ERIN })).toThrow(
      /InvitationNotFound/,
    );
  });

  it('seeded createdAt in the past counts toward expiry', async () => {
    h.control('add-invitation', {
      itwinId: A,
      email: 'old@partner.example',
      createdAt: h.now() - 8 * DAY,
    });
    expect(itwinState().invitations.some((i) => i.email === 'old@partner.example')).toBe(false);
  });
});

describe('accept (seed 002)', () => {
  const accept = (itwinId: string, invId: string, token: string) =>
    call(ac(`/${itwinId}/members/invitations/${invId}/accept`), { method: 'POST', token });

  it('makes the invitee a member with the roles of ALL pending invitations and consumes ALL of them', async () => {
    const dave = userToken('dave@partner.example');
    expect((await accept(A, INV_DAVE_1, dave)).status).toBe(204);
    const st = itwinState();
    const member = st.members.find((m) => m.email === 'dave@partner.example')!;
    expect(member.roleIds.sort()).toEqual([CONTRIB, READ].sort());
    expect(st.invitations.map((i) => i.id)).toEqual([INV_ERIN]);
    for (const id of [INV_DAVE_1, INV_DAVE_2]) {
      expect((await get(`/${A}/members/invitations/${id}`)).status).toBe(404);
      expect((await del(`/${A}/members/invitations/${id}`)).status).toBe(404);
    }
    // already a member: 204 even for the consumed id and for a random GUID
    expect((await accept(A, INV_DAVE_2, dave)).status).toBe(204);
    expect((await accept(A, randomUUID(), dave)).status).toBe(204);
  });

  it('only the invited user may accept; unknown invitation 404; unknown iTwin 404', async () => {
    const zed = userToken('zed@partner.example');
    const other = await accept(A, INV_ERIN, zed);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('InsufficientPermissions');
    expect((await accept(A, INV_ERIN, tokens.owner)).status).toBe(403);
    const unknown = await accept(A, randomUUID(), zed);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('InvitationNotFound');
    const noItwin = await accept(randomUUID(), INV_ERIN, zed);
    expect(noItwin.status).toBe(404);
    expect(noItwin.body.error.code).toBe('ItwinNotFound');
    expect(itwinState().invitations.map((i) => i.id)).toContain(INV_ERIN);
    // an existing member accepting a random GUID succeeds
    expect((await accept(A, randomUUID(), tokens.admin)).status).toBe(204);
  });

  it('the control action accept-invitation simulates the invitee accepting', async () => {
    const r = h.control('accept-invitation', { itwinId: A, invitationId: INV_DAVE_2 }) as {
      consumed: string[];
      roleIds: string[];
    };
    expect(r.consumed.sort()).toEqual([INV_DAVE_1, INV_DAVE_2].sort());
    expect(r.roleIds.sort()).toEqual([CONTRIB, READ].sort());
    expect(() => h.control('accept-invitation', { itwinId: A, invitationId: INV_DAVE_2 })).toThrow();
    expect(() => h.control('accept-invitation', { itwinId: randomUUID(), invitationId: INV_ERIN })).toThrow(
      /unknown iTwin/,
    );
  });
});

describe('groups', () => {
  const emails = (g: { members: { email: string }[] }) => g.members.map((m) => m.email);

  it('GET /groups caps members at 50 and has no _links unless $top/$skip are sent', async () => {
    const big = Array.from({ length: 60 }, (_, i) => `big${i}@example.com`);
    const g = h.control('add-group', { itwinId: A, name: 'Big', members: big }) as { id: string };
    const plain = await get(`/${A}/groups`);
    expect(plain.status).toBe(200);
    expect(plain.body._links).toBeUndefined();
    const bigPlain = plain.body.groups.find((x: { id: string }) => x.id === g.id);
    expect(bigPlain.members).toHaveLength(50);
    const paged = await get(`/${A}/groups?$top=100`);
    expect(paged.body._links.self.href).toContain('$top=100');
    expect(paged.body.groups.find((x: { id: string }) => x.id === g.id).members).toHaveLength(60);
    const two = await get(`/${A}/groups?$top=2&$skip=0`);
    expect(two.body.groups).toHaveLength(2);
    expect(two.body._links.next.href).toContain('$skip=2');
    expect((await get(`/${A}/groups/${g.id}`)).body.group.members).toHaveLength(50);
    expect(plain.body.groups[0].members[0]).toMatchObject({
      userId: expect.any(String),
      email: 'alice@example.com',
      givenName: 'Alice',
    });
  });

  it('GET group: 404 GroupNotFound for unknown/malformed ids; 403 for a read-only member', async () => {
    for (const id of [randomUUID(), 'bad']) {
      const r = await get(`/${A}/groups/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual({ code: 'GroupNotFound', message: 'Requested group is not available.' });
    }
    expect((await get(`/${A}/groups`, 'reader')).status).toBe(403);
    expect((await get(`/${A}/groups`, 'gm')).status).toBe(200);
  });

  it('PATCH members replaces the whole set: others kept, the omitted one removed, other groups untouched', async () => {
    const r = await send('PATCH', `/${A}/groups/${G1}`, {
      members: ['alice@example.com', 'Carol@Example.com'],
    });
    expect(r.status).toBe(200);
    expect(emails(r.body.group)).toEqual(['alice@example.com', 'carol@example.com']);
    const st = itwinState();
    expect(emails(st.groups.find((g) => g.id === G1)!)).toEqual(['alice@example.com', 'carol@example.com']);
    expect(emails(st.groups.find((g) => g.id === G2)!)).toEqual(['alice@example.com']);
    const name = await send('PATCH', `/${A}/groups/${G1}`, { name: 'Renamed' });
    expect(name.body.group).toMatchObject({ name: 'Renamed' });
    expect(emails(name.body.group)).toEqual(['alice@example.com', 'carol@example.com']);
  });

  it('PATCH: unknown email -> 404 TeamMemberNotFound; external -> group-member invitation; >50 -> 422', async () => {
    const unknown = await send('PATCH', `/${A}/groups/${G1}`, {
      members: ['alice@example.com', 'ghost@nowhere.example'],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'TeamMemberNotFound', target: 'members[1]' });
    expect(emails(itwinState().groups.find((g) => g.id === G1)!)).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    const ext = await send('PATCH', `/${A}/groups/${G1}`, {
      members: ['alice@example.com', 'bob@example.com', 'ext@partner.example'],
    });
    expect(ext.status).toBe(200);
    expect(emails(ext.body.group)).toEqual(['alice@example.com', 'bob@example.com']);
    const invs = await get(`/${A}/groups/${G1}/invitations`);
    expect(invs.body.invitations.map((i: { email: string }) => i.email).sort()).toEqual([
      'ext@partner.example',
      'frank@partner.example',
    ]);
    expect(invs.body.invitations[0].roles).toBeUndefined();
    const list = Array.from({ length: 51 }, (_, i) => `big${i}@example.com`);
    const over = await send('PATCH', `/${A}/groups/${G1}`, { members: list });
    expect(over.status).toBe(422);
    expect(over.body.error).toMatchObject({
      code: 'InvalidiTwinsGroupRequest',
      details: [{ code: 'InvalidValue', target: 'members' }],
    });
    h.control('set-group-patch-max', { max: 100 });
    for (const e of list) h.control('add-user', { email: e });
    expect((await send('PATCH', `/${A}/groups/${G1}`, { members: list })).status).toBe(200);
  });

  it('PATCH permissions: manage_groups to change, invite_member to add, remove_member to remove', async () => {
    expect(
      (await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com'] }, 'reader')).status,
    ).toBe(403);
    const add = await send(
      'PATCH',
      `/${A}/groups/${G1}`,
      { members: ['alice@example.com', 'bob@example.com', 'carol@example.com'] },
      'gm',
    );
    expect(add.status).toBe(200);
    const remove = await send(
      'PATCH',
      `/${A}/groups/${G1}`,
      { members: ['alice@example.com', 'carol@example.com'] },
      'gm',
    );
    expect(remove.status).toBe(403);
    expect(emails(itwinState().groups.find((g) => g.id === G1)!)).toContain('bob@example.com');
    expect(
      (
        await send(
          'PATCH',
          `/${A}/groups/${G1}`,
          { members: ['alice@example.com', 'carol@example.com'] },
          'admin',
        )
      ).status,
    ).toBe(200);
  });

  it('records every member change: PATCH removals and additions by caller, outside additions as control', async () => {
    await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com', 'carol@example.com'] });
    await send('PATCH', `/${A}/groups/${G1}`, { name: 'No member change' });
    h.control('add-group-member', { itwinId: A, groupId: G1, email: 'bob@example.com' });
    h.control('add-group-member', { itwinId: A, groupId: G1, email: 'bob@example.com' }); // already in
    const { changes } = h.control('group-changes', { groupId: G1 }) as {
      changes: Array<Record<string, unknown>>;
    };
    expect(changes).toEqual([
      expect.objectContaining({
        seq: 1,
        itwinId: A,
        groupId: G1,
        source: 'patch',
        by: 'client:owner-app',
        removed: ['bob@example.com'],
        added: ['carol@example.com'],
      }),
      expect.objectContaining({ seq: 2, source: 'control', removed: [], added: ['bob@example.com'] }),
    ]);
    expect((h.control('group-changes', { groupId: G2 }) as { changes: unknown[] }).changes).toEqual([]);
    h.reset();
    expect((h.control('group-changes', {}) as { changes: unknown[] }).changes).toEqual([]);
  });

  it('PATCH faults: ignore answers 200 and changes nothing; readd applies, then puts the removed back', async () => {
    h.control('set-group-patch-fault', { mode: 'ignore', groupId: G1 });
    const ignored = await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com'] });
    expect(ignored.status).toBe(200);
    expect(emails(ignored.body.group)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(emails(itwinState().groups.find((g) => g.id === G1)!)).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    // Spent after one PATCH: the next one applies.
    expect((await send('PATCH', `/${A}/groups/${G2}`, { members: [] })).status).toBe(200);
    h.control('set-group-patch-fault', { mode: 'readd', times: 2 });
    const undone = await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com'] });
    expect(emails(undone.body.group)).toEqual(['alice@example.com']);
    expect(emails(itwinState().groups.find((g) => g.id === G1)!)).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    const { changes } = h.control('group-changes', { groupId: G1 }) as {
      changes: Array<{ source: string; removed: string[]; added: string[] }>;
    };
    expect(changes.map((c) => [c.source, c.removed, c.added])).toEqual([
      ['patch', ['bob@example.com'], []],
      ['control', [], ['bob@example.com']],
    ]);
    expect(h.control('set-group-patch-fault', { clear: true })).toEqual({ faults: [] });
    await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com'] });
    expect(emails(itwinState().groups.find((g) => g.id === G1)!)).toEqual(['alice@example.com']);
    expect(() => h.control('set-group-patch-fault', { mode: 'drop' })).toThrow(/mode/);
  });

  it('group-member invitations: list, delete 204, repeat 404, unknown group 404', async () => {
    const list = await get(`/${A}/groups/${G1}/invitations`);
    expect(list.body.invitations).toEqual([
      expect.objectContaining({
        id: GINV,
        email: 'frank@partner.example',
        status: 'Pending',
        invitedByEmail: app('owner-app'),
      }),
    ]);
    expect(list.body._links.self.href).toContain(`/groups/${G1}/invitations`);
    expect((await get(`/${A}/groups/${G1}/invitations`, 'admin')).body.invitations).toEqual([]);
    expect((await del(`/${A}/groups/${G1}/invitations/${GINV}`, 'reader')).status).toBe(403);
    expect((await del(`/${A}/groups/${G2}/invitations/${GINV}`)).status).toBe(404);
    expect((await del(`/${A}/groups/${G1}/invitations/${GINV}`)).status).toBe(204);
    const again = await del(`/${A}/groups/${G1}/invitations/${GINV}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('InvitationNotFound');
    const noGroup = await get(`/${A}/groups/${randomUUID()}/invitations`);
    expect(noGroup.body.error.code).toBe('GroupNotFound');
  });

  it('group-member invitations expire after 7 days; accept-group-invitation adds the user', async () => {
    const r = h.control('accept-group-invitation', { itwinId: A, invitationId: GINV }) as { groupId: string };
    expect(r.groupId).toBe(G1);
    expect(emails(itwinState().groups.find((g) => g.id === G1)!)).toContain('frank@partner.example');
    h.control('add-group-invitation', { itwinId: A, groupId: G2, email: 'gina@partner.example' });
    expect((await get(`/${A}/groups/${G2}/invitations`)).body.invitations).toHaveLength(1);
    h.advance(7 * DAY);
    await refreshTokens();
    expect((await get(`/${A}/groups/${G2}/invitations`)).body.invitations).toEqual([]);
  });
});

describe('users deleted from IMS (docs/vendors.md#itwin-schemas)', () => {
  const userId = (email: string) => h.state().users.find((u) => u.email === email)!.id;
  const NULLS = { email: null, givenName: null, surname: null, organization: null };

  it('members, owners and group members come back with null profile fields; roles and ids stay', async () => {
    const bob = userId('bob@example.com');
    const carol = userId('carol@example.com');
    expect(h.control('delete-user', { email: 'bob@example.com' })).toEqual({ userId: bob });
    h.control('delete-user', { email: 'carol@example.com' });
    const members = (await get(`/${A}/members/users`)).body.members;
    expect(members.find((m: { id: string }) => m.id === bob)).toEqual({
      id: bob,
      ...NULLS,
      roles: [expect.objectContaining({ id: READ, displayName: 'Read Access' })],
    });
    expect(members.find((m: { id: string }) => m.id !== bob).email).toBe('alice@example.com');
    expect((await get(`/${A}/members/users/${bob}`)).body.member).toMatchObject({ id: bob, ...NULLS });
    const owners = (await get(`/${A}/members/owners`)).body.members;
    expect(owners.find((m: { id: string }) => m.id === carol)).toEqual({ id: carol, ...NULLS });
    const group = (await get(`/${A}/groups/${G1}`)).body.group;
    expect(group.members).toEqual([
      expect.objectContaining({ email: 'alice@example.com' }),
      { userId: bob, ...NULLS },
    ]);
    // "you can also delete them by memberId"
    expect((await del(`/${A}/members/users/${bob}`)).status).toBe(204);
    expect((await get(`/${A}/members/users/${bob}`)).status).toBe(404);
  });

  it('group PATCH: the list without them drops them (full replacement, needs remove_member); their old email is unknown', async () => {
    const bob = userId('bob@example.com');
    h.control('delete-user', { email: 'bob@example.com' });
    // Naming the deleted user by its old email: IMS no longer knows it -> 404, nothing changes.
    const old = await send('PATCH', `/${A}/groups/${G1}`, {
      members: ['alice@example.com', 'bob@example.com'],
    });
    expect(old.status).toBe(404);
    expect(old.body.error).toMatchObject({ code: 'TeamMemberNotFound', target: 'members[1]' });
    // A PATCH without `members` keeps the set, the null member included.
    const renamed = await send('PATCH', `/${A}/groups/${G1}`, { name: 'Engineers 2' });
    expect(renamed.body.group.members.map((m: { userId: string }) => m.userId)).toContain(bob);
    // Dropping them is a removal: Group Manager (no administration_remove_member) may not.
    const gm = await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com'] }, 'gm');
    expect(gm.status).toBe(403);
    const r = await send('PATCH', `/${A}/groups/${G1}`, { members: ['alice@example.com'] }, 'admin');
    expect(r.status).toBe(200);
    expect(r.body.group.members).toEqual([expect.objectContaining({ email: 'alice@example.com' })]);
    const g1 = itwinState().groups.find((g) => g.id === G1)!;
    expect(g1.members.map((m) => m.email)).toEqual(['alice@example.com']);
    // The iTwin membership is a separate grant: still there (with null fields) until deleted by id.
    expect((await get(`/${A}/members/users/${bob}`)).body.member).toMatchObject({ id: bob, ...NULLS });
  });
});

describe('roles and permissions', () => {
  it('lists and gets roles; unknown role 404 RoleNotFound', async () => {
    const list = await get(`/${A}/roles`, 'reader');
    expect(list.body.roles.map((r: { displayName: string }) => r.displayName)).toEqual([
      'Administrator',
      'Contributor',
      'Read Access',
      'Group Manager',
    ]);
    const one = await get(`/${A}/roles/${GM}`);
    expect(one.body.role).toEqual({
      id: GM,
      displayName: 'Group Manager',
      description: 'Group Manager',
      permissions: ['administration_manage_groups', 'administration_invite_member'],
      type: 'Custom',
    });
    const none = await get(`/${A}/roles/${randomUUID()}`);
    expect(none.body.error).toEqual({ code: 'RoleNotFound', message: 'Requested role is not available.' });
  });

  it('permissions: the caller’s on an iTwin, all of them at /itwins/permissions', async () => {
    expect((await get(`/${A}/permissions`, 'reader')).body.permissions).toEqual(['itwins_read']);
    const owner = (await get(`/${A}/permissions`)).body.permissions;
    expect(owner).toContain('administration_remove_member');
    expect(owner.length).toBeGreaterThan(5);
    const all = (await get('/permissions', 'outsider')).body.permissions;
    expect(all).toEqual(expect.arrayContaining(owner));
    expect(all).toHaveLength(owner.length);
    expect((await get(`/${randomUUID()}/permissions`)).body.error.code).toBe('ItwinNotFound');
  });
});

describe('iTwins list', () => {
  it('lists only the caller’s iTwins with paging links', async () => {
    const mine = await call(`${h.root}/itwins`, { token: tokens.owner });
    expect(mine.body.iTwins).toEqual([expect.objectContaining({ id: A, displayName: 'Alpha' })]);
    expect(mine.body._links.self.href).toBe(`${h.root}/itwins?$skip=0&$top=100`);
    expect((await call(`${h.root}/itwins`, { token: tokens.outsider })).body.iTwins).toEqual([]);
    const v1 = await call(`${h.root}/itwins`, {
      token: tokens.owner,
      headers: { accept: 'application/vnd.bentley.itwin-platform.v1+json' },
    });
    expect(v1.status).toBe(200);
    h.control('add-owner', { itwinId: B, email: app('owner-app') });
    const paged = await call(`${h.root}/itwins?$top=1`, { token: tokens.owner });
    expect(paged.body.iTwins).toHaveLength(1);
    expect(paged.body._links.next.href).toBe(`${h.root}/itwins?$skip=1&$top=1`);
  });
});

describe('rate limits', () => {
  it('429 RateLimitExceeded with retry-after per client; other clients unaffected; refills on the clock', async () => {
    h.control('set-rate-limit', { clientId: 'reader-app', perMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await get(`/${A}/roles`, 'reader')).status).toBe(200);
    const r = await get(`/${A}/roles`, 'reader');
    expect(r.status).toBe(429);
    expect(r.body.error).toEqual({
      code: 'RateLimitExceeded',
      message: 'The client sent more requests than allowed by this API for the current tier of the client.',
    });
    expect(r.headers.get('retry-after')).toBe('20');
    expect(r.headers.get('itwinplatform-ratelimit-retry-after-seconds')).toBe('20');
    expect(r.headers.get('itwinplatform-ratelimited-tier')).toBe('Trial');
    expect((await get(`/${A}/roles`, 'owner')).status).toBe(200);
    h.advance(20_000);
    expect((await get(`/${A}/roles`, 'reader')).status).toBe(200);
  });

  it('the emulator-wide limit applies to every client; setRateLimit(null) disables it', async () => {
    h.control('set-rate-limit', { capacity: 5, refillPerSecond: 0, tier: 'Trial' });
    for (const who of ['admin', 'gm'] as const) {
      for (let i = 0; i < 5; i++) expect((await get(`/${A}/roles`, who)).status).toBe(200);
      const r = await get(`/${A}/roles`, who);
      expect(r.status).toBe(429);
      expect(r.headers.get('itwinplatform-ratelimited-tier')).toBe('Trial');
    }
    h.sandbox.control.setRateLimit('itwin', null);
    expect((await get(`/${A}/roles`, 'admin')).status).toBe(200);
    const put = await call(`${h.sandbox.urls.control}/rate-limits/itwin`, {
      method: 'PUT',
      body: { capacity: 1, refillPerSecond: 0 },
    });
    expect(put.status).toBe(200);
    expect((await get(`/${A}/roles`, 'admin')).status).toBe(200);
    expect((await get(`/${A}/roles`, 'admin')).status).toBe(429);
  });
});

describe('sandbox framework integration', () => {
  it('injected faults answer in the iTwin error body', async () => {
    h.sandbox.control.addFault({
      vendor: 'itwin',
      type: 'rate-limit',
      retryAfterSeconds: 7,
      pathPattern: '/roles$',
    });
    const r = await get(`/${A}/roles`);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.body.error.code).toBe('RateLimitExceeded');
    h.sandbox.control.clearFaults();
    h.sandbox.control.addFault({ vendor: 'itwin', type: 'error', status: 503 });
    const e = await get(`/${A}/roles`);
    expect(e.status).toBe(503);
    expect(e.body.error.code).toBe('ServiceUnavailable');
  });

  it('the request log records the caller identity, never an email or token', async () => {
    h.sandbox.control.clearRequests();
    await get(`/${A}/roles`);
    await call(ac(`/${A}/members/invitations/${INV_DAVE_1}/accept`), {
      method: 'POST',
      token: userToken('dave@partner.example'),
    });
    const log = h.sandbox.control.requests({ vendor: 'itwin' });
    const dave = h.state().users.find((u) => u.email === 'dave@partner.example')!;
    expect(log.map((e) => e.identity)).toEqual(['client:owner-app', `user:${dave.id}`]);
    const text = JSON.stringify(log);
    expect(text).not.toContain('@');
    expect(text).not.toContain(tokens.owner);
  });

  it('control actions work over the HTTP control plane; errors answer 400', async () => {
    const ok = await call(`${h.sandbox.urls.control}/itwin/accept-invitation`, {
      method: 'POST',
      body: { itwinId: A, invitationId: INV_ERIN },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.result).toMatchObject({ email: 'erin@partner.example', consumed: [INV_ERIN] });
    const bad = await call(`${h.sandbox.urls.control}/itwin/nope`, { method: 'POST', body: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/unknown iTwin control action/);
    const state = await call(`${h.sandbox.urls.control}/state/itwin`);
    expect(state.body.itwins[0].members.map((m: { email: string }) => m.email)).toContain(
      'erin@partner.example',
    );
  });

  it('unknown control actions and bad payloads throw; a bad seed throws; reset empties the state', () => {
    expect(() => h.control('nope', {})).toThrow(/unknown iTwin control action/);
    expect(() => h.control('add-member', { itwinId: A })).toThrow(/email/);
    expect(() =>
      h.control('add-member', { itwinId: A, email: 'x@example.com', roleIds: ['No Such Role'] }),
    ).toThrow(/unknown role/);
    expect(() => h.seed({ itwins: [{ id: 'not-a-guid', displayName: 'x' }] })).toThrow(/GUID/);
    const e = createItwinEmulator({ clock: new ControllableClock() });
    e.seed(SEED);
    expect(e.state().itwins).toHaveLength(2);
    e.reset();
    expect(e.state()).toMatchObject({ users: [], itwins: [], clients: [], activeTokens: 0 });
  });

  it('state() is a JSON copy', () => {
    const s = h.state();
    s.itwins[0]!.members.length = 0;
    expect(itwinState().members.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(h.state()))).toEqual(h.state());
  });
});

describe('demo seed', () => {
  it('has the ids, credentials and grants sandbox/itwin/demo.ts documents (the demo story)', async () => {
    h.seed(itwinDemoSeed);
    const t = await clientToken(h.root, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    const q = (path: string) => call(ac(path), { token: t });
    const list = await call(`${h.root}/itwins`, { token: t });
    expect(list.body.iTwins.map((x: { id: string; displayName: string }) => [x.id, x.displayName])).toEqual([
      [DEMO_ITWIN_1, 'Bridge Retrofit'],
      [DEMO_ITWIN_2, 'Tunnel Survey'],
    ]);
    const dana = 'dana.leaver@example.com';
    const members1 = (await q(`/${DEMO_ITWIN_1}/members/users`)).body.members.map(
      (m: { email: string }) => m.email,
    );
    expect(members1).toEqual(
      expect.arrayContaining([dana, 'sam.stays@example.com', 'breakglass-admin@example.com']),
    );
    const owners1 = (await q(`/${DEMO_ITWIN_1}/members/owners`)).body.members.map(
      (m: { email: string }) => m.email,
    );
    expect(owners1.sort()).toEqual([dana, 'service-leaver-demo@apps.imsoidc.bentley.com']);
    const owners2 = (await q(`/${DEMO_ITWIN_2}/members/owners`)).body.members.map(
      (m: { email: string }) => m.email,
    );
    expect(owners2).toEqual([dana]);
    const capped = (await q(`/${DEMO_ITWIN_1}/groups`)).body.groups.find(
      (g: { id: string }) => g.id === DEMO_GROUP_ENGINEERS,
    );
    expect(capped.members).toHaveLength(50);
    const full = (await q(`/${DEMO_ITWIN_1}/groups?$top=100`)).body.groups.find(
      (g: { id: string }) => g.id === DEMO_GROUP_ENGINEERS,
    );
    const emails = full.members.map((m: { email: string }) => m.email);
    expect(emails).toHaveLength(51);
    expect(emails).toEqual(expect.arrayContaining([dana, 'sam.stays@example.com']));
    expect(capped.members.map((m: { email: string }) => m.email)).not.toContain(dana);
    const inv1 = (await q(`/${DEMO_ITWIN_1}/members/invitations`)).body.invitations.map(
      (i: { email: string }) => i.email,
    );
    expect(inv1).toContain(dana);
    const inv2 = (await q(`/${DEMO_ITWIN_2}/members/invitations`)).body.invitations.map(
      (i: { email: string }) => i.email,
    );
    expect(inv2).toEqual([dana]);
    const groups2 = (await q(`/${DEMO_ITWIN_2}/groups`)).body.groups;
    const ginv = await q(`/${DEMO_ITWIN_2}/groups/${groups2[0].id}/invitations`);
    expect(ginv.body.invitations.map((i: { email: string }) => i.email)).toEqual([dana]);
    const members2 = (await q(`/${DEMO_ITWIN_2}/members/users`)).body.members.map(
      (m: { email: string }) => m.email,
    );
    expect(members2).toContain('breakglass-admin@example.com');
    // the service app cannot remove the last owner of iTwin 2 (it is not an owner there)
    const danaId = h.state().users.find((u) => u.email === dana)!.id;
    expect(
      (await call(ac(`/${DEMO_ITWIN_2}/members/owners/${danaId}`), { method: 'DELETE', token: t })).status,
    ).toBe(403);
  });
});
