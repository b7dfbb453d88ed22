import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { atlasDemoSeed, ATLAS_DEMO as D } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { DigestClient, parseChallenge } from '../support/digest-test-client.ts';

let sb: Sandbox;
let token: string;
const ORG = D.orgId;
const PROJECT = D.projectId;
const SECOND_PROJECT = '6a1b0000000000000000a102';
const TEAM = D.teamId;
const DANA_USER = '6a1b0000000000000000d003';
const SAM_USER = '6a1b0000000000000000d002';
const DANA_ORG_INVITE = '6a1b0000000000000000e001';
const DANA_PROJECT_INVITE = '6a1b0000000000000000e101';
const V2023 = 'application/vnd.atlas.2023-01-01+json';
const V2025 = 'application/vnd.atlas.2025-02-19+json';
const DANA = 'dana.leaver@example.com';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function tokenRequest(
  auth = basic(D.clientId, D.clientSecret),
  body = 'grant_type=client_credentials',
) {
  const res = await fetch(sb.urls.atlas.token, {
    method: 'POST',
    headers: {
      authorization: auth,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

interface Res {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience over JSON answers
  json: any;
}

async function api(
  method: string,
  path: string,
  opts: { accept?: string | null; body?: unknown; auth?: string; digest?: DigestClient } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  const accept = opts.accept === undefined ? V2025 : opts.accept;
  if (accept !== null) headers.accept = accept;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const init = {
    method,
    headers,
    body:
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body),
  };
  const full = `${sb.urls.atlas.base}/api/atlas/v2${path}`;
  let res: Response;
  if (opts.digest) res = await opts.digest.fetch(full, init);
  else {
    headers.authorization = opts.auth ?? `Bearer ${token}`;
    res = await fetch(full, init);
  }
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

// biome-ignore lint/suspicious/noExplicitAny: test convenience
const ids = (r: Res) => (r.json.results as any[]).map((u) => u.id);
const state = () =>
  sb.control.state('atlas') as {
    users: {
      id: string;
      username: string;
      orgRoles: unknown[];
      projectRoles: unknown[];
      teamIds: string[];
    }[];
    orgInvitations: { id: string; username: string; status: string }[];
    groupInvitations: { id: string; username: string }[];
    teams: { id: string; usernames: string[] }[];
  };

beforeAll(async () => {
  sb = await startSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(async () => {
  sb.control.seed('demo');
  sb.control.clearFaults();
  token = (await tokenRequest()).json.access_token as string;
});

describe('service-account tokens', () => {
  it('issues a Bearer token for 3600 s', async () => {
    const r = await tokenRequest();
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' });
    expect((await api('GET', `/orgs/${ORG}/invites`, { accept: V2023 })).status).toBe(200);
  });

  it('refuses a wrong secret, a missing Basic header and another grant type', async () => {
    expect((await tokenRequest(basic(D.clientId, 'nope'))).status).toBe(401);
    expect((await tokenRequest('Bearer x')).status).toBe(401);
    const grant = await tokenRequest(undefined, 'grant_type=password');
    expect(grant.status).toBe(400);
    expect(grant.json.errorCode).toBe('UNSUPPORTED_GRANT_TYPE');
  });

  it('expires tokens on the sandbox clock', async () => {
    sb.control.advanceClock(3599_000);
    expect((await api('GET', `/orgs/${ORG}/teams`, { accept: V2023 })).status).toBe(200);
    sb.control.advanceClock(1_000);
    const r = await api('GET', `/orgs/${ORG}/teams`, { accept: V2023 });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Digest realm="MMS Public API"/);
    expect(r.json).toMatchObject({ error: 401, detail: 'You are not authorized for this resource.' });
  });

  it('refuses unknown tokens and revoked ones', async () => {
    expect((await api('GET', `/orgs/${ORG}/teams`, { accept: V2023, auth: 'Bearer made-up' })).status).toBe(
      401,
    );
    const rev = await fetch(`${sb.urls.atlas.base}/api/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: basic(D.clientId, D.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
    });
    expect(rev.status).toBe(200);
    expect((await api('GET', `/orgs/${ORG}/teams`, { accept: V2023 })).status).toBe(401);
  });

  it('limits the token endpoint to 50 requests per minute per client', async () => {
    sb.control.reset();
    // The bucket also refills on real time (50 per 60 s): on a busy machine the burst itself can
    // earn a token or two, so only the tokens that elapsed time explains may pass after the 50.
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 50 }, () => tokenRequest()));
    expect(burst.map((r) => r.status)).toEqual(Array(50).fill(200));
    let limited = await tokenRequest();
    let extra = 0;
    while (limited.status === 200 && extra < 10) {
      extra++;
      limited = await tokenRequest();
    }
    expect(extra).toBeLessThanOrEqual(Math.floor((((Date.now() - started) / 1000) * 50) / 60));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.json).toEqual({
      detail: 'Resource /api/oauth/token is limited to 50 requests every 1 minutes.',
      error: 429,
      errorCode: 'RATE_LIMITED',
      parameters: ['/api/oauth/token', 50, 1],
      reason: 'Too Many Requests',
    });
    sb.control.advanceClock(60_000);
    expect((await tokenRequest()).status).toBe(200);
  });
});

describe('Digest API keys and versions', () => {
  it('accepts Digest with an API key; wrong password and stale nonces answer 401', async () => {
    const key = new DigestClient(D.publicKey, D.privateKey);
    const ok = await api('GET', `/orgs/${ORG}/users`, { digest: key });
    expect(ok.status).toBe(200);
    expect(sb.control.requests({ vendor: 'atlas', path: '/users$' }).at(-1)?.identity).toBe(
      `apiKey:${D.publicKey}`,
    );
    const bad = await api('GET', `/orgs/${ORG}/users`, { digest: new DigestClient(D.publicKey, 'wrong') });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('stale=false');
    const probe = await fetch(`${sb.urls.atlas.base}/api/atlas/v2/orgs/${ORG}/users`);
    expect(parseChallenge(probe.headers.get('www-authenticate')).qop).toBe('auth');
    sb.control.advanceClock(300_000);
    const again = await api('GET', `/orgs/${ORG}/users`, { digest: key });
    expect(again.status).toBe(200);
    expect(sb.control.requests({ vendor: 'atlas' }).some((e) => e.status === 401)).toBe(true);
  });

  it('answers 406 INVALID_VERSION_DATE for a missing, plain or unknown version', async () => {
    for (const accept of [null, 'application/json', 'application/vnd.atlas.2024-01-01+json', '*/*']) {
      const r = await api('GET', `/orgs/${ORG}/users`, { accept });
      expect(r.status, String(accept)).toBe(406);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(r.json).toEqual({
        detail: 'Invalid accept header or version date.',
        error: 406,
        errorCode: 'INVALID_VERSION_DATE',
        parameters: [],
        reason: 'Not Acceptable',
      });
    }
  });

  it('needs a version the endpoint has, and answers in the version it used', async () => {
    expect(
      (await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { accept: V2023, body: { id: DANA_USER } }))
        .status,
    ).toBe(406);
    const inv = await api('GET', `/orgs/${ORG}/invites`, { accept: 'application/vnd.atlas.2025-03-12+json' });
    expect(inv.status).toBe(200);
    expect(inv.headers.get('content-type')).toBe(V2023);
    const users = await api('GET', `/orgs/${ORG}/users`, { accept: 'application/vnd.atlas.2025-03-12+json' });
    expect(users.headers.get('content-type')).toBe(V2025);
  });
});

describe('invitations', () => {
  it('lists org invitations as a bare array with the spec fields', async () => {
    const r = await api('GET', `/orgs/${ORG}/invites?username=${DANA}`, { accept: V2023 });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      {
        createdAt: expect.stringMatching(/Z$/),
        expiresAt: expect.stringMatching(/Z$/),
        groupRoleAssignments: [],
        id: DANA_ORG_INVITE,
        inviterUsername: 'breakglass-admin@example.com',
        links: [
          { href: `${sb.urls.atlas.base}/api/atlas/v2/orgs/${ORG}/invites/${DANA_ORG_INVITE}`, rel: 'self' },
        ],
        orgId: ORG,
        orgName: 'Example Corp',
        roles: ['ORG_MEMBER'],
        teamIds: [],
        username: DANA,
      },
    ]);
    expect((await api('GET', `/orgs/${ORG}/invites`, { accept: V2023 })).json).toHaveLength(2);
  });

  it('deletes an org invitation once; the second delete is 404 ApiError', async () => {
    expect((await api('GET', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`, { accept: V2023 })).json.id).toBe(
      DANA_ORG_INVITE,
    );
    const del = await api('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`, { accept: V2023 });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const again = await api('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`, { accept: V2023 });
    expect(again.status).toBe(404);
    expect(again.json).toMatchObject({ error: 404, reason: 'Not Found', parameters: [DANA_ORG_INVITE] });
    expect(again.json.errorCode).toEqual(expect.any(String));
  });

  it('keeps project invitations separate from org invitations and out of the users lists', async () => {
    const r = await api('GET', `/groups/${PROJECT}/invites?username=${DANA}`, { accept: V2023 });
    expect(r.json).toEqual([
      expect.objectContaining({ id: DANA_PROJECT_INVITE, groupId: PROJECT, groupName: 'Production' }),
    ]);
    expect(r.json[0]).not.toHaveProperty('orgId');
    expect(r.json[0]).not.toHaveProperty('teamIds');
    expect(ids(await api('GET', `/groups/${PROJECT}/users`))).not.toContain(DANA_PROJECT_INVITE);
    expect(
      (await api('DELETE', `/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`, { accept: V2023 })).status,
    ).toBe(204);
    expect(
      (await api('DELETE', `/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`, { accept: V2023 })).status,
    ).toBe(404);
    expect((await api('GET', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`, { accept: V2023 })).status).toBe(200);
  });

  it('expires invitations after 30 days: gone from invites, INVITATION_EXPIRED in users', async () => {
    sb.control.advanceClock(30 * 86_400_000);
    token = (await tokenRequest()).json.access_token as string;
    expect((await api('GET', `/orgs/${ORG}/invites`, { accept: V2023 })).json).toEqual([]);
    expect((await api('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`, { accept: V2023 })).status).toBe(
      404,
    );
    expect((await api('GET', `/groups/${PROJECT}/invites`, { accept: V2023 })).json).toEqual([]);
    expect(ids(await api('GET', `/orgs/${ORG}/users?username=${DANA}`))).toEqual([DANA_USER]);
    const expired = await api('GET', `/orgs/${ORG}/users?orgMembershipStatuses=INVITATION_EXPIRED`);
    expect(
      expired.json.results.map((u: { id: string; orgMembershipStatus: string }) => [
        u.id,
        u.orgMembershipStatus,
      ]),
    ).toEqual([
      [DANA_ORG_INVITE, 'INVITATION_EXPIRED'],
      ['6a1b0000000000000000e002', 'INVITATION_EXPIRED'],
    ]);
  });
});

describe('MongoDB Cloud Users', () => {
  it('lists ACTIVE and PENDING org users; the pending user is the org invitation', async () => {
    const r = await api('GET', `/orgs/${ORG}/users?username=${DANA}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(V2025);
    expect(r.json.totalCount).toBe(2);
    const [active, pending] = r.json.results;
    expect(active).toEqual({
      country: 'US',
      createdAt: '2026-01-05T09:00:00Z',
      firstName: 'Dana',
      id: DANA_USER,
      lastName: 'Leaver',
      orgMembershipStatus: 'ACTIVE',
      roles: {
        groupRoleAssignments: [{ groupId: PROJECT, groupRoles: ['GROUP_OWNER'] }],
        orgRoles: ['ORG_MEMBER'],
      },
      teamIds: [TEAM],
      username: DANA,
    });
    expect(pending).toEqual({
      id: DANA_ORG_INVITE,
      invitationCreatedAt: expect.stringMatching(/Z$/),
      invitationExpiresAt: expect.stringMatching(/Z$/),
      inviterUsername: 'breakglass-admin@example.com',
      orgMembershipStatus: 'PENDING',
      roles: { groupRoleAssignments: [], orgRoles: ['ORG_MEMBER'] },
      teamIds: [],
      username: DANA,
    });
    const only = await api('GET', `/orgs/${ORG}/users?orgMembershipStatuses=PENDING`);
    expect(ids(only).sort()).toEqual([DANA_ORG_INVITE, '6a1b0000000000000000e002']);
    expect((await api('GET', `/orgs/${ORG}/users?orgMembershipStatuses=NOPE`)).status).toBe(400);
    expect(
      (await api('GET', `/orgs/${ORG}/users?orgMembershipStatus=ACTIVE&orgMembershipStatuses=PENDING`))
        .status,
    ).toBe(400);
    expect((await api('GET', `/orgs/${ORG}/users/${DANA_ORG_INVITE}`)).json.orgMembershipStatus).toBe(
      'PENDING',
    );
  });

  it('2023-01-01 lists only ACTIVE users (CloudAppUser) and cannot remove pending ones', async () => {
    const r = await api('GET', `/orgs/${ORG}/users?username=${DANA}`, { accept: V2023 });
    expect(r.headers.get('content-type')).toBe(V2023);
    expect(r.json.results.every((u: { roles: unknown[] }) => Array.isArray(u.roles))).toBe(true);
    expect(ids(r)).not.toContain(DANA_ORG_INVITE);
    expect(ids(r)).toContain(SAM_USER);
    expect((await api('DELETE', `/orgs/${ORG}/users/${DANA_ORG_INVITE}`, { accept: V2023 })).status).toBe(
      404,
    );
    expect((await api('DELETE', `/orgs/${ORG}/users/${DANA_ORG_INVITE}`)).status).toBe(204);
  });

  it('keeps the invite list and the users list in agreement', async () => {
    const created = await api('POST', `/orgs/${ORG}/users`, {
      body: {
        username: 'jo@example.com',
        roles: {
          orgRoles: ['ORG_MEMBER'],
          groupRoleAssignments: [{ groupId: PROJECT, groupRoles: ['GROUP_READ_ONLY'] }],
        },
        teamIds: [TEAM],
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      orgMembershipStatus: 'PENDING',
      username: 'jo@example.com',
      teamIds: [TEAM],
    });
    const id = created.json.id as string;
    const invites = await api('GET', `/orgs/${ORG}/invites?username=jo@example.com`, { accept: V2023 });
    expect(invites.json.map((i: { id: string }) => i.id)).toEqual([id]);
    expect(invites.json[0].groupRoleAssignments).toEqual([
      { groupId: PROJECT, groupRole: 'GROUP_READ_ONLY' },
    ]);
    expect(ids(await api('GET', `/groups/${PROJECT}/users?username=jo@example.com`))).toEqual([id]);
    expect(ids(await api('GET', `/orgs/${ORG}/teams/${TEAM}/users?username=jo@example.com`))).toEqual([id]);
    const dup = await api('POST', `/orgs/${ORG}/users`, {
      body: { username: 'jo@example.com', roles: { orgRoles: ['ORG_MEMBER'] } },
    });
    expect(dup.status).toBe(409);
    expect((await api('DELETE', `/orgs/${ORG}/invites/${id}`, { accept: V2023 })).status).toBe(204);
    expect(ids(await api('GET', `/orgs/${ORG}/users?username=jo@example.com`))).toEqual([]);
    const again = await api('POST', `/orgs/${ORG}/users`, {
      body: { username: 'jo@example.com', roles: { orgRoles: ['ORG_MEMBER'] } },
    });
    expect((await api('DELETE', `/orgs/${ORG}/users/${again.json.id}`)).status).toBe(204);
    expect(
      (await api('GET', `/orgs/${ORG}/invites?username=jo@example.com`, { accept: V2023 })).json,
    ).toEqual([]);
    const unknown = await api('POST', `/orgs/${ORG}/users`, {
      body: { username: 'x@example.com', roles: { orgRoles: ['ORG_MEMBER'] }, extra: 1 },
    });
    expect(unknown.json.errorCode).toBe('INVALID_ATTRIBUTE');
  });

  it('removes a PENDING user from a project and a team by the invitation id', async () => {
    const created = await api('POST', `/orgs/${ORG}/users`, {
      body: {
        username: 'pat@example.com',
        roles: {
          orgRoles: ['ORG_MEMBER'],
          groupRoleAssignments: [{ groupId: PROJECT, groupRoles: ['GROUP_READ_ONLY'] }],
        },
        teamIds: [TEAM],
      },
    });
    const id = created.json.id as string;
    expect((await api('GET', `/groups/${PROJECT}/users/${id}`)).json).toMatchObject({
      orgMembershipStatus: 'PENDING',
      roles: ['GROUP_READ_ONLY'],
    });
    expect((await api('DELETE', `/groups/${PROJECT}/users/${id}`)).status).toBe(204);
    expect((await api('DELETE', `/groups/${PROJECT}/users/${id}`)).status).toBe(404);
    const removed = await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: { id } });
    expect(removed.status).toBe(200);
    expect(removed.json).toMatchObject({
      id,
      orgMembershipStatus: 'PENDING',
      teamIds: [],
      roles: { groupRoleAssignments: [] },
    });
    const inv = await api('GET', `/orgs/${ORG}/invites/${id}`, { accept: V2023 });
    expect(inv.json).toMatchObject({ groupRoleAssignments: [], teamIds: [] });
  });

  it('removing an ACTIVE org user removes its project roles and team memberships', async () => {
    expect((await api('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(204);
    expect((await api('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(404);
    expect(ids(await api('GET', `/groups/${PROJECT}/users`))).not.toContain(DANA_USER);
    // The team also lists new.hire's pending invitation (it names the team).
    expect(ids(await api('GET', `/orgs/${ORG}/teams/${TEAM}/users`))).toEqual([
      SAM_USER,
      '6a1b0000000000000000e002',
    ]);
    expect(ids(await api('GET', `/orgs/${ORG}/teams/${TEAM}/users?orgMembershipStatuses=ACTIVE`))).toEqual([
      SAM_USER,
    ]);
    expect(ids(await api('GET', `/orgs/${ORG}/users?username=${DANA}`))).toEqual([DANA_ORG_INVITE]);
  });

  it('lists and removes project users (PaginatedGroupUser)', async () => {
    const r = await api('GET', `/groups/${PROJECT}/users`);
    const dana = r.json.results.find((u: { id: string }) => u.id === DANA_USER);
    expect(dana).toMatchObject({ orgMembershipStatus: 'ACTIVE', roles: ['GROUP_OWNER'], username: DANA });
    expect((await api('GET', `/groups/${PROJECT}/users/${DANA_USER}`)).json.roles).toEqual(['GROUP_OWNER']);
    expect((await api('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(204);
    expect((await api('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(404);
    expect((await api('GET', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(404);
    const flat = await api('GET', `/groups/${PROJECT}/users?flattenTeams=true`);
    expect(flat.json.results.find((u: { id: string }) => u.id === DANA_USER)?.roles).toEqual([
      'GROUP_DATA_ACCESS_READ_WRITE',
    ]);
  });

  it('removes a user from a team with :removeUser (200 OrgUserResponse) and the old DELETE', async () => {
    const r = await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: { id: DANA_USER } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(V2025);
    expect(r.json).toMatchObject({ id: DANA_USER, orgMembershipStatus: 'ACTIVE', teamIds: [] });
    expect(
      (await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: { id: DANA_USER } })).status,
    ).toBe(404);
    expect(
      (await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: { userId: DANA_USER } })).json
        .errorCode,
    ).toBe('INVALID_ATTRIBUTE');
    expect((await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: {} })).json.errorCode).toBe(
      'MISSING_ATTRIBUTE',
    );
    expect(
      (await api('DELETE', `/orgs/${ORG}/teams/${TEAM}/users/${SAM_USER}`, { accept: V2023 })).status,
    ).toBe(204);
    expect(
      (await api('DELETE', `/orgs/${ORG}/teams/${TEAM}/users/${SAM_USER}`, { accept: V2023 })).status,
    ).toBe(404);
  });

  it('lists teams, project teams, and looks users up by name', async () => {
    const teams = await api('GET', `/orgs/${ORG}/teams`, { accept: V2023 });
    expect(teams.json.results).toEqual([expect.objectContaining({ id: TEAM, name: 'Platform Team' })]);
    const pt = await api('GET', `/groups/${PROJECT}/teams`, { accept: V2023 });
    expect(pt.json.results).toEqual([
      expect.objectContaining({ teamId: TEAM, roleNames: ['GROUP_DATA_ACCESS_READ_WRITE'] }),
    ]);
    expect((await api('DELETE', `/groups/${PROJECT}/teams/${TEAM}`, { accept: V2023 })).status).toBe(204);
    expect((await api('DELETE', `/groups/${PROJECT}/teams/${TEAM}`, { accept: V2023 })).status).toBe(404);
    expect((await api('GET', `/groups/${PROJECT}/teams`, { accept: V2023 })).json.results).toEqual([]);
    const withOrg = await api('GET', `/groups/${PROJECT}/users?includeOrgUsers=true`);
    expect(ids(withOrg)).toContain('6a1b0000000000000000d001');
    expect(ids(await api('GET', `/groups/${PROJECT}/users`))).not.toContain('6a1b0000000000000000d001');
    const byName = await api('GET', `/users/byName/${DANA}`, { accept: V2023 });
    expect(byName.json).toMatchObject({ id: DANA_USER, emailAddress: DANA, teamIds: [TEAM] });
    expect(byName.json.roles).toEqual([
      { orgId: ORG, roleName: 'ORG_MEMBER' },
      { groupId: PROJECT, roleName: 'GROUP_OWNER' },
    ]);
    expect((await api('GET', '/users/byName/ghost@example.com', { accept: V2023 })).status).toBe(404);
  });

  it('pages over several pages with itemsPerPage/pageNum/includeCount and links', async () => {
    const users = Array.from({ length: 250 }, (_, i) => ({
      username: `u${String(i).padStart(3, '0')}@example.com`,
      orgRoles: [{ orgId: ORG, roles: ['ORG_MEMBER'] }],
    }));
    sb.control.seed({ atlas: { ...atlasDemoSeed, users, orgInvitations: [], groupInvitations: [] } });
    token = (await tokenRequest()).json.access_token as string;
    const seen = new Set<string>();
    for (let page = 1; page <= 3; page++) {
      const r = await api('GET', `/orgs/${ORG}/users?itemsPerPage=100&pageNum=${page}`);
      expect(r.json.totalCount).toBe(250);
      for (const id of ids(r)) seen.add(id);
      const rels = r.json.links.map((l: { rel: string }) => l.rel);
      expect(rels.includes('next')).toBe(page < 3);
      expect(rels.includes('previous')).toBe(page > 1);
    }
    expect(seen.size).toBe(250);
    const nc = await api('GET', `/orgs/${ORG}/users?includeCount=false&itemsPerPage=5`);
    expect(nc.json).not.toHaveProperty('totalCount');
    expect(nc.json.results).toHaveLength(5);
    expect((await api('GET', `/orgs/${ORG}/users?itemsPerPage=501`)).status).toBe(400);
  });

  it('supports envelope and pretty', async () => {
    const env = await api('GET', `/orgs/${ORG}/users?envelope=true`);
    expect(env.json.status).toBe(200);
    expect(env.json.results.length).toBeGreaterThan(0);
    const inv = await api('GET', `/orgs/${ORG}/invites?envelope=true`, { accept: V2023 });
    expect(inv.json).toMatchObject({ status: 200, content: expect.any(Array) });
    const pretty = await api('GET', `/orgs/${ORG}/users/${DANA_USER}?pretty=true`);
    expect(pretty.text.startsWith('{\n  "country"')).toBe(true);
  });
});

describe(':removeRole (docs/vendors.md#atlas-endpoints row 17)', () => {
  const TWO = '6a1b0000000000000000d301';
  const orgRole = (user: string, body: unknown, opts: { accept?: string; digest?: DigestClient } = {}) =>
    api('POST', `/orgs/${ORG}/users/${user}:removeRole`, { body, ...opts });
  const groupRole = (user: string, body: unknown, opts: { digest?: DigestClient } = {}) =>
    api('POST', `/groups/${PROJECT}/users/${user}:removeRole`, { body, ...opts });

  beforeEach(() => {
    sb.control.vendorAction('atlas', 'add-user', {
      id: TWO,
      username: 'two.roles@example.com',
      orgRoles: [{ orgId: ORG, roles: ['ORG_MEMBER', 'ORG_BILLING_ADMIN'] }],
      projectRoles: [{ groupId: PROJECT, roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'] }],
    });
  });

  it('removes one org role of an ACTIVE user (200 OrgUserResponse) but never the last one', async () => {
    const r = await orgRole(TWO, { orgRole: 'ORG_BILLING_ADMIN' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(V2025);
    expect(r.json).toMatchObject({
      id: TWO,
      orgMembershipStatus: 'ACTIVE',
      roles: { orgRoles: ['ORG_MEMBER'], groupRoleAssignments: [{ groupId: PROJECT }] },
    });
    // A role the user does not hold (e.g. a retry after a lost answer): unchanged, 200.
    const again = await orgRole(TWO, { orgRole: 'ORG_BILLING_ADMIN' });
    expect(again.status).toBe(200);
    expect(again.json.roles.orgRoles).toEqual(['ORG_MEMBER']);
    const last = await orgRole(TWO, { orgRole: 'ORG_MEMBER' });
    expect(last.status).toBe(400);
    expect(last.json).toMatchObject({
      error: 400,
      errorCode: 'CANNOT_REMOVE_LAST_ROLE',
      reason: 'Bad Request',
    });
    expect((await api('GET', `/orgs/${ORG}/users/${TWO}`)).json.roles.orgRoles).toEqual(['ORG_MEMBER']);
    // The project roles are another scope: untouched.
    expect((await api('GET', `/groups/${PROJECT}/users/${TWO}`)).json.roles).toEqual([
      'GROUP_OWNER',
      'GROUP_READ_ONLY',
    ]);
  });

  it('removes one project role (200 GroupUserResponse) but never the last one in the project', async () => {
    const r = await groupRole(TWO, { groupRole: 'GROUP_OWNER' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(V2025);
    expect(r.json).toMatchObject({ id: TWO, orgMembershipStatus: 'ACTIVE', roles: ['GROUP_READ_ONLY'] });
    expect((await groupRole(TWO, { groupRole: 'GROUP_READ_ONLY' })).json.errorCode).toBe(
      'CANNOT_REMOVE_LAST_ROLE',
    );
    const s = state().users.find((u) => u.id === TWO)!;
    expect(s.projectRoles).toEqual([{ groupId: PROJECT, roles: ['GROUP_READ_ONLY'] }]);
    expect(s.orgRoles).toEqual([{ orgId: ORG, roles: ['ORG_MEMBER', 'ORG_BILLING_ADMIN'] }]);
  });

  it('works on a pending user (the org invitation) and shows in the invite list', async () => {
    const created = await api('POST', `/orgs/${ORG}/users`, {
      body: {
        username: 'jo@example.com',
        roles: {
          orgRoles: ['ORG_MEMBER', 'ORG_READ_ONLY'],
          groupRoleAssignments: [{ groupId: PROJECT, groupRoles: ['GROUP_READ_ONLY', 'GROUP_OWNER'] }],
        },
      },
    });
    const id = created.json.id as string;
    const org = await orgRole(id, { orgRole: 'ORG_READ_ONLY' });
    expect(org.status).toBe(200);
    expect(org.json).toMatchObject({
      id,
      orgMembershipStatus: 'PENDING',
      roles: { orgRoles: ['ORG_MEMBER'] },
    });
    const grp = await groupRole(id, { groupRole: 'GROUP_OWNER' });
    expect(grp.json).toMatchObject({ id, orgMembershipStatus: 'PENDING', roles: ['GROUP_READ_ONLY'] });
    expect((await groupRole(id, { groupRole: 'GROUP_READ_ONLY' })).status).toBe(400);
    const inv = await api('GET', `/orgs/${ORG}/invites/${id}`, { accept: V2023 });
    expect(inv.json).toMatchObject({
      roles: ['ORG_MEMBER'],
      groupRoleAssignments: [{ groupId: PROJECT, groupRole: 'GROUP_READ_ONLY' }],
    });
  });

  it('404 for users it cannot reach, 400 for bad bodies, 406 before 2025-02-19, 403 without the role', async () => {
    // Users invited through the deprecated project-invite endpoint are not users here.
    expect((await groupRole(DANA_PROJECT_INVITE, { groupRole: 'GROUP_READ_ONLY' })).json).toMatchObject({
      error: 404,
      errorCode: 'USER_NOT_FOUND',
    });
    expect((await orgRole('6a1b0000000000000000ffff', { orgRole: 'ORG_MEMBER' })).status).toBe(404);
    // breakglass is an org owner without a role in the project.
    expect((await groupRole('6a1b0000000000000000d001', { groupRole: 'GROUP_OWNER' })).status).toBe(404);
    expect((await orgRole(TWO, {})).json.errorCode).toBe('MISSING_ATTRIBUTE');
    expect((await orgRole(TWO, { role: 'ORG_MEMBER' })).json.errorCode).toBe('INVALID_ATTRIBUTE');
    expect((await orgRole(TWO, { orgRole: 5 })).json.errorCode).toBe('INVALID_ATTRIBUTE');
    expect((await groupRole(TWO, { orgRole: 'GROUP_OWNER' })).json.errorCode).toBe('INVALID_ATTRIBUTE');
    expect((await orgRole('zz', { orgRole: 'ORG_MEMBER' })).json.errorCode).toBe('INVALID_USER_ID');
    expect((await orgRole(TWO, { orgRole: 'ORG_BILLING_ADMIN' }, { accept: V2023 })).status).toBe(406);
    sb.control.seed({
      atlas: {
        ...atlasDemoSeed,
        users: [
          ...(atlasDemoSeed.users ?? []),
          {
            id: TWO,
            username: 'two.roles@example.com',
            orgRoles: [{ orgId: ORG, roles: ['ORG_MEMBER', 'ORG_BILLING_ADMIN'] }],
            projectRoles: [{ groupId: PROJECT, roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'] }],
          },
        ],
        apiKeys: [
          {
            publicKey: 'ro',
            privateKey: 'ro-secret',
            roles: [
              { orgId: ORG, roleName: 'ORG_MEMBER' },
              { groupId: PROJECT, roleName: 'GROUP_READ_ONLY' },
            ],
          },
          {
            publicKey: 'ua',
            privateKey: 'ua-secret',
            roles: [{ groupId: PROJECT, roleName: 'GROUP_USER_ADMIN' }],
          },
        ],
      },
    });
    // An org member who reads the project, and a Project Access Manager.
    const ro = new DigestClient('ro', 'ro-secret');
    expect((await orgRole(TWO, { orgRole: 'ORG_BILLING_ADMIN' }, { digest: ro })).status).toBe(403);
    expect((await groupRole(TWO, { groupRole: 'GROUP_OWNER' }, { digest: ro })).status).toBe(403);
    const ua = new DigestClient('ua', 'ua-secret');
    expect((await groupRole(TWO, { groupRole: 'GROUP_OWNER' }, { digest: ua })).status).toBe(200);
  });
});

describe('ids, roles and rate limits', () => {
  it('answers 400 for malformed ids and 404 for unknown ones', async () => {
    const bad = await api('GET', '/orgs/abc/users');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 400, errorCode: 'INVALID_ORG_ID', reason: 'Bad Request' });
    expect((await api('DELETE', `/groups/${PROJECT}/users/zz`)).json.errorCode).toBe('INVALID_USER_ID');
    expect(
      (await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: { id: 'zz' } })).json.errorCode,
    ).toBe('INVALID_USER_ID');
    expect((await api('GET', '/orgs/6a1b00000000000000000000/users')).status).toBe(404);
    expect((await api('GET', `/orgs/${ORG}/nothing`)).json.errorCode).toBe('RESOURCE_NOT_FOUND');
  });

  it('answers 403 when the service account or key lacks the role', async () => {
    sb.control.seed({
      atlas: {
        ...atlasDemoSeed,
        serviceAccounts: [
          ...(atlasDemoSeed.serviceAccounts ?? []),
          {
            clientId: 'mdb_sa_id_member',
            clientSecret: 'm-secret',
            roles: [{ orgId: ORG, roleName: 'ORG_MEMBER' }],
          },
        ],
        apiKeys: [
          {
            publicKey: 'ro',
            privateKey: 'ro-secret',
            roles: [{ groupId: PROJECT, roleName: 'GROUP_READ_ONLY' }],
          },
        ],
      },
    });
    token = (await tokenRequest(basic('mdb_sa_id_member', 'm-secret'))).json.access_token as string;
    const denied = await api('GET', `/orgs/${ORG}/invites`, { accept: V2023 });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ error: 403, reason: 'Forbidden', errorCode: 'USER_UNAUTHORIZED' });
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(200);
    expect((await api('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(403);
    const ro = new DigestClient('ro', 'ro-secret');
    expect((await api('GET', `/groups/${PROJECT}/users`, { digest: ro })).status).toBe(200);
    expect((await api('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`, { digest: ro })).status).toBe(403);
  });

  it('rate-limits per endpoint set and org with RateLimit-* headers and 429 RATE_LIMITED_TOKEN_BUCKET', async () => {
    const first = await api('GET', `/orgs/${ORG}/users`);
    expect(first.headers.get('ratelimit-limit')).toBe('100');
    expect(first.headers.get('ratelimit-remaining')).toBe('99');
    sb.control.setRateLimit('atlas', { capacity: 2, refillPerSecond: 5 / 60, scope: 'users' });
    expect((await api('GET', `/orgs/${ORG}/users`)).headers.get('ratelimit-remaining')).toBe('1');
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(200);
    const limited = await api('GET', `/orgs/${ORG}/users`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('12');
    expect(limited.json).toEqual({
      detail:
        'Rate limit exceeded for api/atlas/v2/orgs. Please retry after 12 seconds. Request capacity: 2. Refill rate: 5 per 60 seconds.',
      error: 429,
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      parameters: ['api/atlas/v2/orgs', 12, 2, 5, 60],
      reason: 'Too Many Requests',
    });
    // The invitations endpoint set has its own bucket.
    expect((await api('GET', `/orgs/${ORG}/invites`, { accept: V2023 })).status).toBe(200);
    sb.control.advanceClock(12_000);
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(200);
    sb.control.setRateLimit('atlas', null);
    const unlimited = await api('GET', `/orgs/${ORG}/users`);
    expect(unlimited.status).toBe(200);
    expect(unlimited.headers.get('ratelimit-limit')).toBeNull();
  });

  it('counts buckets per organisation', async () => {
    const other = '6a1b0000000000000000a002';
    sb.control.seed({
      atlas: {
        ...atlasDemoSeed,
        orgs: [...(atlasDemoSeed.orgs ?? []), { id: other, name: 'Other Corp' }],
        serviceAccounts: [
          {
            clientId: D.clientId,
            clientSecret: D.clientSecret,
            roles: [
              { orgId: ORG, roleName: 'ORG_OWNER' },
              { orgId: other, roleName: 'ORG_OWNER' },
            ],
          },
        ],
      },
    });
    token = (await tokenRequest()).json.access_token as string;
    sb.control.setRateLimit('atlas', { capacity: 1, refillPerSecond: 0 });
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(200);
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(429);
    expect((await api('GET', `/orgs/${other}/users`)).status).toBe(200);
  });
});

describe('rate-limit scopes and injected 429s', () => {
  it('keys each endpoint set by the scope the path names: org, project, user (docs/vendors.md#atlas-rate-limits)', async () => {
    sb.control.setRateLimit('atlas', { capacity: 1, refillPerSecond: 0, scope: 'users' });
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(200);
    const org = await api('GET', `/orgs/${ORG}/users`);
    expect(org.status).toBe(429);
    expect(org.json.parameters[0]).toBe('api/atlas/v2/orgs');
    // The org's bucket is empty, but a project endpoint of the same set is counted per project.
    expect((await api('GET', `/groups/${PROJECT}/users`)).status).toBe(200);
    const project = await api('GET', `/groups/${PROJECT}/users/${DANA_USER}`);
    expect(project.status).toBe(429);
    expect(project.json).toMatchObject({ errorCode: 'RATE_LIMITED_TOKEN_BUCKET', error: 429 });
    expect(project.json.detail).toMatch(/^Rate limit exceeded for api\/atlas\/v2\/groups\. /);
    expect(project.json.parameters).toEqual(['api/atlas/v2/groups', 3600, 1, 0, 60]);
    expect(project.headers.get('ratelimit-remaining')).toBe('0');
    // Each project has its own bucket.
    expect((await api('GET', `/groups/${SECOND_PROJECT}/users`)).status).toBe(200);
    // User endpoints count per caller: another credential is another bucket.
    expect((await api('GET', `/users/byName/${DANA}`, { accept: V2023 })).status).toBe(200);
    expect((await api('GET', `/users/byName/${DANA}`, { accept: V2023 })).status).toBe(429);
    const key = new DigestClient(D.publicKey, D.privateKey);
    expect((await api('GET', `/users/byName/${DANA}`, { accept: V2023, digest: key })).status).toBe(200);
  });

  it('an injected 429 carries the code, detail and headers of the bucket 429 it stands for', async () => {
    const headers = (r: Res) =>
      Object.fromEntries(
        ['content-type', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining'].map((h) => [
          h,
          r.headers.get(h),
        ]),
      );
    // A real one: the teams set emptied.
    sb.control.setRateLimit('atlas', { capacity: 1, refillPerSecond: 5 / 60, scope: 'teams' });
    await api('GET', `/groups/${PROJECT}/teams`, { accept: V2023 });
    const real = await api('GET', `/groups/${PROJECT}/teams`, { accept: V2023 });
    expect(real.status).toBe(429);
    // The same endpoint answered by a fault rule instead of the bucket.
    sb.control.setRateLimit('atlas', { capacity: 1, refillPerSecond: 5 / 60, scope: 'teams' });
    sb.control.addFault({
      type: 'rate-limit',
      vendor: 'atlas',
      pathPattern: '/teams$',
      retryAfterSeconds: 12,
    });
    const injected = await api('GET', `/groups/${PROJECT}/teams`, { accept: V2023 });
    expect(injected.status).toBe(429);
    expect(headers(injected)).toEqual(headers(real));
    expect(headers(injected)).toEqual({
      'content-type': 'application/json',
      'retry-after': '12',
      'ratelimit-limit': '1',
      'ratelimit-remaining': '0',
    });
    expect(injected.json).toEqual(real.json);
    expect(injected.json).toEqual({
      detail:
        'Rate limit exceeded for api/atlas/v2/groups. Please retry after 12 seconds. Request capacity: 1. Refill rate: 5 per 60 seconds.',
      error: 429,
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      parameters: ['api/atlas/v2/groups', 12, 1, 5, 60],
      reason: 'Too Many Requests',
    });
  });

  it('storms answer the same 429, with the default limit when none is configured', async () => {
    sb.control.addFault({ type: 'storm', vendor: 'atlas', requests: 1, pathPattern: '/orgs/' });
    const storm = await api('GET', `/orgs/${ORG}/users`);
    expect(storm.status).toBe(429);
    expect(storm.headers.get('retry-after')).toBe('1');
    expect(storm.headers.get('ratelimit-limit')).toBe('100');
    expect(storm.headers.get('ratelimit-remaining')).toBe('0');
    expect(storm.json).toMatchObject({
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      parameters: ['api/atlas/v2/orgs', 1, 100, 600, 60],
    });
    expect((await api('GET', `/orgs/${ORG}/users`)).status).toBe(200);
  });

  it('an injected 429 on the token endpoint is the token endpoint’s own 429', async () => {
    sb.control.addFault({ type: 'rate-limit', vendor: 'atlas', pathPattern: '^/api/oauth/token$' });
    const r = await tokenRequest();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('ratelimit-limit')).toBeNull();
    expect(r.json).toEqual({
      detail: 'Resource /api/oauth/token is limited to 50 requests every 1 minutes.',
      error: 429,
      errorCode: 'RATE_LIMITED',
      parameters: ['/api/oauth/token', 50, 1],
      reason: 'Too Many Requests',
    });
  });
});

describe('accept semantics and a full offboarding', () => {
  it('accepting turns the pending user into an ACTIVE member with the invitation roles and teams', async () => {
    const created = await api('POST', `/orgs/${ORG}/users`, {
      body: {
        username: 'jo@example.com',
        roles: {
          orgRoles: ['ORG_MEMBER'],
          groupRoleAssignments: [{ groupId: PROJECT, groupRoles: ['GROUP_READ_ONLY'] }],
        },
        teamIds: [TEAM],
      },
    });
    const r = sb.control.vendorAction('atlas', 'accept-invitation', { invitationId: created.json.id }) as {
      userId: string;
    };
    expect((await api('GET', `/orgs/${ORG}/invites/${created.json.id}`, { accept: V2023 })).status).toBe(404);
    expect((await api('DELETE', `/orgs/${ORG}/invites/${created.json.id}`, { accept: V2023 })).status).toBe(
      404,
    );
    const users = await api('GET', `/orgs/${ORG}/users?username=jo@example.com`);
    expect(users.json.results).toEqual([
      expect.objectContaining({
        id: r.userId,
        orgMembershipStatus: 'ACTIVE',
        roles: {
          groupRoleAssignments: [{ groupId: PROJECT, groupRoles: ['GROUP_READ_ONLY'] }],
          orgRoles: ['ORG_MEMBER'],
        },
        teamIds: [TEAM],
      }),
    ]);
    expect((await api('GET', `/users/byName/jo@example.com`, { accept: V2023 })).json.roles).toContainEqual({
      orgId: ORG,
      roleName: 'ORG_MEMBER',
    });
  });

  it('rejected invitations show as INVITATION_REJECTED and leave the invite list', async () => {
    sb.control.vendorAction('atlas', 'reject-invitation', { invitationId: DANA_ORG_INVITE });
    expect((await api('GET', `/orgs/${ORG}/invites?username=${DANA}`, { accept: V2023 })).json).toEqual([]);
    const r = await api('GET', `/orgs/${ORG}/users?orgMembershipStatuses=INVITATION_REJECTED`);
    expect(r.json.results).toEqual([
      expect.objectContaining({ id: DANA_ORG_INVITE, invitationExpiresAt: null }),
    ]);
  });

  it('a full offboarding of Dana leaves nothing of her and Sam untouched', async () => {
    const samBefore = state().users.find((u) => u.id === SAM_USER);
    for (const inv of (await api('GET', `/orgs/${ORG}/invites?username=${DANA}`, { accept: V2023 })).json) {
      expect((await api('DELETE', `/orgs/${ORG}/invites/${inv.id}`, { accept: V2023 })).status).toBe(204);
    }
    for (const inv of (await api('GET', `/groups/${PROJECT}/invites?username=${DANA}`, { accept: V2023 }))
      .json) {
      expect((await api('DELETE', `/groups/${PROJECT}/invites/${inv.id}`, { accept: V2023 })).status).toBe(
        204,
      );
    }
    expect(
      (await api('POST', `/orgs/${ORG}/teams/${TEAM}:removeUser`, { body: { id: DANA_USER } })).status,
    ).toBe(200);
    expect((await api('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(204);
    expect((await api('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(204);
    expect((await api('GET', `/orgs/${ORG}/users?username=${DANA}`)).json.results).toEqual([]);
    const s = state();
    expect(s.orgInvitations.filter((i) => i.username === DANA)).toEqual([]);
    expect(s.groupInvitations.filter((i) => i.username === DANA)).toEqual([]);
    const dana = s.users.find((u) => u.id === DANA_USER)!;
    expect([...dana.orgRoles, ...dana.projectRoles, ...dana.teamIds]).toEqual([]);
    expect(s.users.find((u) => u.id === SAM_USER)).toEqual(samBefore);
    expect(s.teams[0]!.usernames).toEqual(['sam.stays@example.com']);
  });
});
