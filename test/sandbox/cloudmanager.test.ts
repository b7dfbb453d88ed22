import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cloudManagerDemoSeed, CLOUD_MANAGER_DEMO as D } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { DigestClient, digestHeader, parseChallenge } from '../support/digest-test-client.ts';

let sb: Sandbox;
let cm: DigestClient;
const ORG = D.orgId;
const PROJECT = D.projectId;
const TEAM = D.teamId;
const DANA_USER = '5f1a0000000000000000d003';
const SAM_USER = '5f1a0000000000000000d002';
const DANA_ORG_INVITE = '5f1a0000000000000000e001';
const DANA_PROJECT_INVITE = '5f1a0000000000000000e101';
const url = (path: string) => `${sb.urls.cloudmanager.base}${path}`;

async function call(method: string, path: string, body?: unknown, client = cm) {
  const res = await client.fetch(url(path), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

interface CmState {
  users: { id: string; username: string; orgRoles: unknown[]; projectRoles: unknown[]; teamIds: string[] }[];
  orgInvitations: { id: string; username: string }[];
  groupInvitations: { id: string; username: string }[];
  teams: { id: string; usernames: string[] }[];
}
const state = () => sb.control.state('cloudmanager') as CmState;

beforeAll(async () => {
  sb = await startSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(() => {
  sb.control.seed('demo');
  sb.control.reset();
  cm = new DigestClient(D.publicKey, D.privateKey);
});

describe('HTTP Digest', () => {
  it('challenges with the MongoDB header and an ApiError body', async () => {
    const res = await fetch(url(`/orgs/${ORG}/invites`));
    expect(res.status).toBe(401);
    const h = res.headers.get('www-authenticate')!;
    expect(h).toMatch(
      /^Digest realm="MMS Public API", domain="", nonce="[^"]+", algorithm=MD5, qop="auth", stale=false$/,
    );
    expect(await res.json()).toMatchObject({ error: 401, reason: 'Unauthorized', parameters: [] });
  });

  it('accepts a correct response and counts nonce uses', async () => {
    const first = await call('GET', `/orgs/${ORG}/invites`);
    expect(first.status).toBe(200);
    const second = await call('GET', `/orgs/${ORG}/invites`);
    expect(second.status).toBe(200);
    // Two requests on one nonce: one challenge + two authenticated requests.
    expect(sb.control.requests({ vendor: 'cloudmanager' }).map((e) => e.status)).toEqual([401, 200, 200]);
    expect(sb.control.requests({ vendor: 'cloudmanager' })[1]!.identity).toBe('apiKey:cmdemopub');
  });

  it('refuses a replayed nonce count', async () => {
    const c = parseChallenge((await fetch(url('/orgs'))).headers.get('www-authenticate'));
    const auth = digestHeader({
      username: D.publicKey,
      password: D.privateKey,
      method: 'GET',
      uri: `/cloudmanager/api/public/v1.0/orgs/${ORG}/teams`,
      challenge: c,
      nc: 1,
      cnonce: 'abc',
    });
    expect((await fetch(url(`/orgs/${ORG}/teams`), { headers: { authorization: auth } })).status).toBe(200);
    const replay = await fetch(url(`/orgs/${ORG}/teams`), { headers: { authorization: auth } });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('stale=false');
  });

  it('refuses a wrong password and an unknown key with stale=false', async () => {
    for (const client of [new DigestClient(D.publicKey, 'wrong'), new DigestClient('nobody', D.privateKey)]) {
      const r = await call('GET', `/orgs/${ORG}/invites`, undefined, client);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('stale=false');
      expect(r.json.errorCode).toBe('UNAUTHORIZED');
    }
  });

  it('refuses a response computed for another URI', async () => {
    const c = parseChallenge((await fetch(url('/orgs'))).headers.get('www-authenticate'));
    const auth = digestHeader({
      username: D.publicKey,
      password: D.privateKey,
      method: 'GET',
      uri: `/cloudmanager/api/public/v1.0/orgs/${ORG}/users`,
      challenge: c,
    });
    expect((await fetch(url(`/orgs/${ORG}/invites`), { headers: { authorization: auth } })).status).toBe(401);
  });

  it('answers stale=true once the nonce is older than 300 s, and a fresh nonce works', async () => {
    expect((await call('GET', `/orgs/${ORG}/invites`)).status).toBe(200);
    sb.control.advanceClock(301_000);
    const c = parseChallenge((await fetch(url('/orgs'))).headers.get('www-authenticate'));
    // Reuse an old nonce by hand: get one, age it, then answer it correctly.
    sb.control.advanceClock(301_000);
    const auth = digestHeader({
      username: D.publicKey,
      password: D.privateKey,
      method: 'GET',
      uri: `/cloudmanager/api/public/v1.0/orgs/${ORG}/invites`,
      challenge: c,
    });
    const stale = await fetch(url(`/orgs/${ORG}/invites`), { headers: { authorization: auth } });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toContain('stale=true');
    // The client re-challenges on stale=true without failing.
    expect((await call('GET', `/orgs/${ORG}/invites`)).status).toBe(200);
  });

  it('stale needs the right password: a wrong one on an old nonce is stale=false', async () => {
    const c = parseChallenge((await fetch(url('/orgs'))).headers.get('www-authenticate'));
    sb.control.advanceClock(400_000);
    const auth = digestHeader({
      username: D.publicKey,
      password: 'wrong',
      method: 'GET',
      uri: `/cloudmanager/api/public/v1.0/orgs/${ORG}/invites`,
      challenge: c,
    });
    const r = await fetch(url(`/orgs/${ORG}/invites`), { headers: { authorization: auth } });
    expect(r.headers.get('www-authenticate')).toContain('stale=false');
  });

  it('has a configurable nonce lifetime', async () => {
    sb.control.vendorAction('cloudmanager', 'set-nonce-ttl', { seconds: 10 });
    const c = parseChallenge((await fetch(url('/orgs'))).headers.get('www-authenticate'));
    sb.control.advanceClock(11_000);
    const auth = digestHeader({
      username: D.publicKey,
      password: D.privateKey,
      method: 'GET',
      uri: `/cloudmanager/api/public/v1.0/orgs/${ORG}/teams`,
      challenge: c,
    });
    const r = await fetch(url(`/orgs/${ORG}/teams`), { headers: { authorization: auth } });
    expect(r.headers.get('www-authenticate')).toContain('stale=true');
  });
});

describe('invitations', () => {
  it('lists pending org invitations as a bare array, filtered by username', async () => {
    const all = await call('GET', `/orgs/${ORG}/invites`);
    expect(Array.isArray(all.json)).toBe(true);
    expect(all.json).toHaveLength(2);
    const dana = await call('GET', `/orgs/${ORG}/invites?username=dana.leaver@example.com`);
    expect(dana.json).toEqual([
      {
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        expiresAt: expect.stringMatching(/Z$/),
        id: DANA_ORG_INVITE,
        inviterUsername: 'breakglass-admin@example.com',
        orgId: ORG,
        orgName: 'Example Corp',
        roles: ['ORG_MEMBER'],
        teamIds: [],
        username: 'dana.leaver@example.com',
      },
    ]);
    const [inv] = dana.json as { createdAt: string; expiresAt: string }[];
    expect(Date.parse(inv!.expiresAt) - Date.parse(inv!.createdAt)).toBe(30 * 86_400_000);
  });

  it('gets and deletes one invitation; deleting it again is 404 with the error body', async () => {
    expect((await call('GET', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)).json.id).toBe(DANA_ORG_INVITE);
    const del = await call('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const again = await call('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`);
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toContain('application/json');
    expect(Object.keys(again.json).sort()).toEqual(['detail', 'error', 'errorCode', 'parameters', 'reason']);
    expect(again.json).toMatchObject({ error: 404, reason: 'Not Found' });
    expect((await call('GET', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)).status).toBe(404);
  });

  it('answers 404 on the /invitations doc typo', async () => {
    const r = await call('GET', `/orgs/${ORG}/invitations`);
    expect(r.status).toBe(404);
    expect(r.json.errorCode).toBe('RESOURCE_NOT_FOUND');
    expect((await call('DELETE', `/orgs/${ORG}/invitations/${DANA_ORG_INVITE}`)).status).toBe(404);
  });

  it('lists and deletes project invitations separately from org invitations', async () => {
    const list = await call('GET', `/groups/${PROJECT}/invites?username=dana.leaver@example.com`);
    expect(list.json).toEqual([
      expect.objectContaining({
        id: DANA_PROJECT_INVITE,
        groupId: PROJECT,
        groupName: 'Production',
        roles: ['GROUP_READ_ONLY'],
      }),
    ]);
    expect(list.json[0]).not.toHaveProperty('orgId');
    expect((await call('GET', `/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`)).status).toBe(200);
    expect((await call('DELETE', `/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`)).status).toBe(204);
    expect((await call('DELETE', `/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`)).status).toBe(404);
    expect((await call('GET', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)).status).toBe(200);
  });

  it('creates org invitations through the API and refuses unknown fields and bad JSON', async () => {
    const created = await call('POST', `/orgs/${ORG}/invites`, {
      username: 'jo@example.com',
      roles: ['ORG_MEMBER'],
      teamIds: [TEAM],
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ username: 'jo@example.com', teamIds: [TEAM], orgId: ORG });
    expect(created.json.id).toMatch(/^[a-f0-9]{24}$/);
    expect((await call('GET', `/orgs/${ORG}/invites?username=jo@example.com`)).json).toHaveLength(1);
    const unknown = await call('POST', `/orgs/${ORG}/invites`, {
      username: 'x@example.com',
      roles: [],
      color: 'red',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ errorCode: 'INVALID_ATTRIBUTE', parameters: ['color'] });
    expect((await call('POST', `/orgs/${ORG}/invites`, '{not json')).json.errorCode).toBe('INVALID_JSON');
    expect((await call('POST', `/orgs/${ORG}/invites`, { roles: ['ORG_MEMBER'] })).json.errorCode).toBe(
      'MISSING_ATTRIBUTE',
    );
  });

  it('expires invitations after 30 days of the sandbox clock', async () => {
    sb.control.advanceClock(29 * 86_400_000);
    expect((await call('GET', `/orgs/${ORG}/invites`)).json).toHaveLength(2);
    sb.control.advanceClock(1 * 86_400_000 + 1000);
    cm = new DigestClient(D.publicKey, D.privateKey);
    expect((await call('GET', `/orgs/${ORG}/invites`)).json).toEqual([]);
    expect((await call('GET', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)).status).toBe(404);
    expect((await call('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)).status).toBe(404);
    expect((await call('GET', `/groups/${PROJECT}/invites`)).json).toEqual([]);
  });

  it('accepting removes the invitation and makes the user an org and team member', async () => {
    const r = sb.control.vendorAction('cloudmanager', 'accept-invitation', {
      invitationId: '5f1a0000000000000000e002',
    }) as {
      userId: string;
    };
    expect((await call('GET', `/orgs/${ORG}/invites/5f1a0000000000000000e002`)).status).toBe(404);
    expect((await call('DELETE', `/orgs/${ORG}/invites/5f1a0000000000000000e002`)).status).toBe(404);
    const users = await call('GET', `/orgs/${ORG}/users`);
    const hire = (users.json.results as { id: string; username: string; roles: unknown[] }[]).find(
      (u) => u.username === 'new.hire@example.com',
    );
    expect(hire?.id).toBe(r.userId);
    expect(hire?.roles).toEqual([{ orgId: ORG, roleName: 'ORG_MEMBER' }]);
    const team = await call('GET', `/orgs/${ORG}/teams/${TEAM}/users`);
    expect((team.json.results as { username: string }[]).map((u) => u.username)).toContain(
      'new.hire@example.com',
    );
  });

  it('accepting a project invitation makes the user a project user and an org member', async () => {
    sb.control.vendorAction('cloudmanager', 'accept-invitation', {
      invitationId: '5f1a0000000000000000e102',
    });
    const analytics = '5f1a0000000000000000c102';
    const users = await call('GET', `/groups/${analytics}/users`);
    const kim = (users.json.results as { username: string; roles: unknown[] }[]).find(
      (u) => u.username === 'contractor.kim@example.com',
    );
    expect(kim?.roles).toEqual([
      { orgId: ORG, roleName: 'ORG_MEMBER' },
      { groupId: analytics, roleName: 'GROUP_READ_ONLY' },
    ]);
  });

  it('cannot accept an expired invitation', () => {
    sb.control.advanceClock(31 * 86_400_000);
    expect(() =>
      sb.control.vendorAction('cloudmanager', 'accept-invitation', { invitationId: DANA_ORG_INVITE }),
    ).toThrow(/no longer pending/);
  });
});

describe('users, projects and teams', () => {
  it('pages org users with links, totalCount and includeCount', async () => {
    const users = Array.from({ length: 250 }, (_, i) => ({
      username: `user${String(i).padStart(3, '0')}@example.com`,
      orgRoles: [{ orgId: ORG, roles: ['ORG_MEMBER'] }],
    }));
    sb.control.seed({ cloudmanager: { ...cloudManagerDemoSeed, users } });
    const seen: string[] = [];
    let next: string | undefined = url(`/orgs/${ORG}/users?itemsPerPage=100`);
    const pages: { totalCount: number; links: { rel: string; href: string }[] }[] = [];
    while (next) {
      const res = await cm.fetch(next);
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        results: { username: string }[];
        totalCount: number;
        links: { rel: string; href: string }[];
      };
      pages.push(page);
      seen.push(...page.results.map((u) => u.username));
      next = page.links.find((l) => l.rel === 'next')?.href;
    }
    expect(pages).toHaveLength(3);
    expect(new Set(seen).size).toBe(250);
    expect(pages.every((p) => p.totalCount === 250)).toBe(true);
    expect(pages[0]!.links.map((l) => l.rel)).toEqual(['self', 'next']);
    expect(pages[1]!.links.map((l) => l.rel)).toEqual(['self', 'next', 'previous']);
    expect(pages[2]!.links.map((l) => l.rel)).toEqual(['self', 'previous']);
    expect(new URL(pages[1]!.links[0]!.href).searchParams.get('pageNum')).toBe('2');
    const noCount = await call('GET', `/orgs/${ORG}/users?includeCount=false&pageNum=9`);
    expect(noCount.json).not.toHaveProperty('totalCount');
    expect(noCount.json.results).toEqual([]);
  });

  it('refuses bad paging values with 400', async () => {
    for (const q of ['itemsPerPage=501', 'itemsPerPage=0', 'pageNum=0', 'itemsPerPage=abc', 'pageNum=1.5']) {
      const r = await call('GET', `/orgs/${ORG}/users?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.errorCode).toBe('INVALID_QUERY_PARAMETER');
    }
    expect((await call('GET', `/orgs/${ORG}/users?itemsPerPage=500`)).status).toBe(200);
  });

  it('wraps answers with envelope=true and indents with pretty=true', async () => {
    const list = await call('GET', `/orgs/${ORG}/users?envelope=true`);
    expect(list.json.status).toBe(200);
    expect(Array.isArray(list.json.results)).toBe(true);
    const invites = await call('GET', `/orgs/${ORG}/invites?envelope=true`);
    expect(invites.json).toMatchObject({ status: 200, content: expect.any(Array) });
    const one = await call('GET', `/users/${SAM_USER}?envelope=true`);
    expect(one.json).toMatchObject({ status: 200, content: { id: SAM_USER } });
    const del = await call('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}?envelope=true`);
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ status: 204, content: {} });
    const missing = await call('DELETE', `/orgs/${ORG}/invites/${DANA_ORG_INVITE}?envelope=true`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: 404, content: { error: 404 } });
    const pretty = await call('GET', `/users/${SAM_USER}?pretty=true`);
    expect(pretty.text).toContain('\n  "country"');
    expect((await call('GET', `/users/${SAM_USER}`)).text).not.toContain('\n');
  });

  it('answers 400 for malformed ids and 404 for unknown ones', async () => {
    const bad = await call('GET', '/orgs/not-an-id/invites');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ errorCode: 'INVALID_ORG_ID', parameters: ['not-an-id'] });
    expect((await call('DELETE', `/orgs/${ORG}/invites/XYZ`)).json.errorCode).toBe('INVALID_INVITATION_ID');
    expect((await call('GET', '/groups/5f1a0000000000000000C101/users')).json.errorCode).toBe(
      'INVALID_GROUP_ID',
    );
    expect((await call('GET', '/orgs/5f1a00000000000000000000/invites')).status).toBe(404);
  });

  it('removes a user from the org with their project roles and team memberships', async () => {
    expect((await call('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(204);
    expect((await call('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(404);
    const dana = state().users.find((u) => u.id === DANA_USER)!;
    expect(dana.orgRoles).toEqual([]);
    expect(dana.projectRoles).toEqual([]);
    expect(dana.teamIds).toEqual([]);
    expect(state().teams.find((t) => t.id === TEAM)!.usernames).toEqual(['sam.stays@example.com']);
  });

  it('lists and removes project users and team users', async () => {
    const pu = await call('GET', `/groups/${PROJECT}/users`);
    expect((pu.json.results as { id: string }[]).map((u) => u.id).sort()).toEqual(
      [SAM_USER, DANA_USER].sort(),
    );
    expect((await call('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(204);
    expect((await call('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(404);
    const teams = await call('GET', `/orgs/${ORG}/teams`);
    expect(teams.json.results).toEqual([
      expect.objectContaining({
        id: TEAM,
        name: 'Platform Team',
        usernames: ['sam.stays@example.com', 'dana.leaver@example.com'],
      }),
    ]);
    expect((await call('DELETE', `/orgs/${ORG}/teams/${TEAM}/users/${DANA_USER}`)).status).toBe(204);
    expect((await call('DELETE', `/orgs/${ORG}/teams/${TEAM}/users/${DANA_USER}`)).status).toBe(404);
    const tu = await call('GET', `/orgs/${ORG}/teams/${TEAM}/users`);
    expect((tu.json.results as { id: string }[]).map((u) => u.id)).toEqual([SAM_USER]);
  });

  it('looks users up by id and by name', async () => {
    const byId = await call('GET', `/users/${DANA_USER}`);
    expect(byId.json).toMatchObject({
      id: DANA_USER,
      username: 'dana.leaver@example.com',
      emailAddress: 'dana.leaver@example.com',
    });
    expect(byId.json.teamIds).toEqual([TEAM]);
    expect((await call('GET', '/users/byName/dana.leaver@example.com')).json.id).toBe(DANA_USER);
    expect((await call('GET', '/users/byName/ghost@example.com')).status).toBe(404);
    expect((await call('GET', '/users/5f1a00000000000000000000')).status).toBe(404);
  });

  it('answers 403 when the key lacks the role', async () => {
    const seed = {
      ...cloudManagerDemoSeed,
      apiKeys: [
        ...(cloudManagerDemoSeed.apiKeys ?? []),
        { publicKey: 'member', privateKey: 'member-secret', roles: [{ orgId: ORG, roleName: 'ORG_MEMBER' }] },
        {
          publicKey: 'projadmin',
          privateKey: 'p-secret',
          roles: [{ groupId: PROJECT, roleName: 'GROUP_USER_ADMIN' }],
        },
      ],
    };
    sb.control.seed({ cloudmanager: seed });
    const member = new DigestClient('member', 'member-secret');
    const denied = await call('GET', `/orgs/${ORG}/invites`, undefined, member);
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ error: 403, errorCode: 'USER_UNAUTHORIZED', reason: 'Forbidden' });
    expect((await call('GET', `/orgs/${ORG}/users`, undefined, member)).status).toBe(200);
    expect((await call('DELETE', `/orgs/${ORG}/users/${DANA_USER}`, undefined, member)).status).toBe(403);
    const proj = new DigestClient('projadmin', 'p-secret');
    expect((await call('GET', `/groups/${PROJECT}/invites`, undefined, proj)).status).toBe(200);
    expect((await call('GET', `/orgs/${ORG}/users`, undefined, proj)).status).toBe(403);
  });

  it('rate-limits per key when configured: 429 RATE_LIMITED with Retry-After', async () => {
    sb.control.setRateLimit('cloudmanager', { capacity: 2, refillPerSecond: 0.5 });
    expect((await call('GET', `/orgs/${ORG}/teams`)).status).toBe(200);
    expect((await call('GET', `/orgs/${ORG}/teams`)).status).toBe(200);
    const limited = await call('GET', `/orgs/${ORG}/teams`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json).toMatchObject({
      error: 429,
      errorCode: 'RATE_LIMITED',
      reason: 'Too Many Requests',
    });
    sb.control.advanceClock(2000);
    expect((await call('GET', `/orgs/${ORG}/teams`)).status).toBe(200);
    sb.control.setRateLimit('cloudmanager', null);
    for (let i = 0; i < 5; i++) expect((await call('GET', `/orgs/${ORG}/teams`)).status).toBe(200);
  });

  it('a full offboarding of Dana leaves nothing of her and Sam untouched', async () => {
    const samBefore = state().users.find((u) => u.id === SAM_USER);
    for (const inv of (await call('GET', `/orgs/${ORG}/invites?username=dana.leaver@example.com`)).json) {
      expect((await call('DELETE', `/orgs/${ORG}/invites/${inv.id}`)).status).toBe(204);
    }
    for (const inv of (await call('GET', `/groups/${PROJECT}/invites?username=dana.leaver@example.com`))
      .json) {
      expect((await call('DELETE', `/groups/${PROJECT}/invites/${inv.id}`)).status).toBe(204);
    }
    expect((await call('DELETE', `/orgs/${ORG}/teams/${TEAM}/users/${DANA_USER}`)).status).toBe(204);
    expect((await call('DELETE', `/groups/${PROJECT}/users/${DANA_USER}`)).status).toBe(204);
    expect((await call('DELETE', `/orgs/${ORG}/users/${DANA_USER}`)).status).toBe(204);
    const s = state();
    expect(s.orgInvitations.filter((i) => i.username === 'dana.leaver@example.com')).toEqual([]);
    expect(s.groupInvitations.filter((i) => i.username === 'dana.leaver@example.com')).toEqual([]);
    const dana = s.users.find((u) => u.id === DANA_USER)!;
    expect([...dana.orgRoles, ...dana.projectRoles, ...dana.teamIds]).toEqual([]);
    expect(s.users.find((u) => u.id === SAM_USER)).toEqual(samBefore);
    expect(s.teams[0]!.usernames).toEqual(['sam.stays@example.com']);
  });
});
