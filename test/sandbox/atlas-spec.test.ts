/**
 * The Atlas emulator against MongoDB's own OpenAPI subset (test/sandbox/atlas-spec.ts loads it).
 * Every operation of the subset the sandbox serves is called over HTTP (seeded state, service-account
 * tokens), for its success answer and for the errors the spec lists for it (400, 401, 403, 404, 429,
 * 500): the status must be one the operation lists, the Content-Type one of its media types, the
 * body valid against its schema, and the headers it declares present and integers. When the
 * sandbox and the spec disagree, the sandbox is fixed: the vendor is right.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AtlasSeed } from '../../sandbox/atlas/index.ts';
import { ATLAS_QUERY_PARAMS } from '../../sandbox/atlas/query-params.ts';
import { ATLAS_ROUTES } from '../../sandbox/atlas/routes.ts';
import { atlasDemoSeed, ATLAS_DEMO as D } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { DigestClient } from '../support/digest-test-client.ts';
import { loadAtlasSpec, SPEC_URL, type SpecOperation, V2_PREFIX } from './atlas-spec.ts';

const spec = loadAtlasSpec();

const ORG = D.orgId;
const PROJECT = D.projectId;
const TEAM = D.teamId;
const id = (tail: string) => `6a1b0000000000000000${tail}`;
const DANA = 'dana.leaver@example.com';
const DANA_USER = id('d003');
const SAM_USER = id('d002');
const MO_USER = id('d201');
const DANA_ORG_INVITE = id('e001');
const DANA_PROJECT_INVITE = id('e101');
const PENDING = id('e003');
const EXPIRED = id('e004');
const REJECTED = id('e005');
const UNKNOWN = id('ffff');
const NOROLE = { clientId: 'mdb_sa_id_norole', clientSecret: 'norole-secret' };
const ALL_STATUSES = ['ACTIVE', 'PENDING', 'INVITATION_EXPIRED', 'INVITATION_REJECTED']
  .map((s) => `orgMembershipStatuses=${s}`)
  .join('&');

/**
 * The demo seed plus one user of every kind the schemas tell apart: a pending user with project
 * roles and a team, an expired and a rejected one (rejected in beforeEach), an ACTIVE user with
 * every optional field, and a service account without roles (403s).
 */
const SEED: AtlasSeed = {
  ...atlasDemoSeed,
  users: [
    ...(atlasDemoSeed.users ?? []),
    {
      id: MO_USER,
      username: 'mo.mobile@example.com',
      mobileNumber: '2025550123',
      lastAuth: '2026-02-01T10:00:00Z',
      createdAt: '2026-01-05T09:00:00Z',
      orgRoles: [{ orgId: ORG, roles: ['ORG_MEMBER'] }],
      projectRoles: [{ groupId: PROJECT, roles: ['GROUP_READ_ONLY'] }],
      teamIds: [TEAM],
    },
  ],
  orgInvitations: [
    ...(atlasDemoSeed.orgInvitations ?? []),
    ...[
      [PENDING, 'pending.pat@example.com', undefined],
      [EXPIRED, 'expired.eve@example.com', '2025-01-01T00:00:00Z'],
      [REJECTED, 'rejected.rex@example.com', undefined],
    ].map(([inv, username, createdAt]) => ({
      id: inv!,
      orgId: ORG,
      username: username!,
      roles: ['ORG_MEMBER'],
      teamIds: [TEAM],
      groupRoleAssignments: [{ groupId: PROJECT, groupRole: 'GROUP_READ_ONLY' }],
      ...(createdAt ? { createdAt } : {}),
    })),
  ],
  serviceAccounts: [...(atlasDemoSeed.serviceAccounts ?? []), { ...NOROLE, roles: [] }],
};

type Who = 'sa' | 'digest' | 'none' | 'norole';

interface Call {
  method: string;
  path: string;
  body?: unknown;
  query?: string;
}

interface OpPlan {
  /** Success calls (path below /api/atlas/v2). */
  ok: Call[];
  /** A call naming an id that does not exist. */
  notFound: Call;
  /** A malformed request (for operations that list 400). */
  bad?: Call[];
  /** False where the operation needs no role (so no 403 is possible). */
  forbiddable?: boolean;
}

const get = (path: string, query?: string): Call => ({ method: 'GET', path, ...(query ? { query } : {}) });
const del = (path: string): Call => ({ method: 'DELETE', path });

/** What to call for each operation of the subset, by operationId. */
const PLANS: Record<string, OpPlan> = {
  listGroupInvites: {
    ok: [get(`/groups/${PROJECT}/invites`), get(`/groups/${PROJECT}/invites`, `username=${DANA}`)],
    notFound: get(`/groups/${UNKNOWN}/invites`),
  },
  getGroupInvite: {
    ok: [get(`/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`)],
    notFound: get(`/groups/${PROJECT}/invites/${UNKNOWN}`),
  },
  deleteGroupInvite: {
    ok: [del(`/groups/${PROJECT}/invites/${DANA_PROJECT_INVITE}`)],
    notFound: del(`/groups/${PROJECT}/invites/${UNKNOWN}`),
  },
  listGroupUsers: {
    ok: [
      get(`/groups/${PROJECT}/users`),
      get(`/groups/${PROJECT}/users`, `${ALL_STATUSES}&flattenTeams=true&includeOrgUsers=true`),
      get(`/groups/${PROJECT}/users`, `itemsPerPage=2&pageNum=2&includeCount=false`),
    ],
    notFound: get(`/groups/${UNKNOWN}/users`),
  },
  getGroupUser: {
    ok: [
      get(`/groups/${PROJECT}/users/${DANA_USER}`),
      get(`/groups/${PROJECT}/users/${MO_USER}`),
      get(`/groups/${PROJECT}/users/${PENDING}`),
      get(`/groups/${PROJECT}/users/${EXPIRED}`),
      get(`/groups/${PROJECT}/users/${REJECTED}`),
    ],
    notFound: get(`/groups/${PROJECT}/users/${UNKNOWN}`),
    bad: [get(`/groups/${PROJECT}/users/not-an-id`)],
  },
  removeGroupUser: {
    ok: [del(`/groups/${PROJECT}/users/${DANA_USER}`), del(`/groups/${PROJECT}/users/${PENDING}`)],
    notFound: del(`/groups/${PROJECT}/users/${UNKNOWN}`),
    bad: [del(`/groups/${PROJECT}/users/not-an-id`)],
  },
  listOrgInvites: {
    ok: [get(`/orgs/${ORG}/invites`), get(`/orgs/${ORG}/invites`, `username=${DANA}`)],
    notFound: get(`/orgs/${UNKNOWN}/invites`),
    bad: [get('/orgs/not-an-org/invites')],
  },
  getOrgInvite: {
    ok: [get(`/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)],
    notFound: get(`/orgs/${ORG}/invites/${UNKNOWN}`),
    bad: [get(`/orgs/${ORG}/invites/not-an-id`)],
  },
  deleteOrgInvite: {
    ok: [del(`/orgs/${ORG}/invites/${DANA_ORG_INVITE}`)],
    notFound: del(`/orgs/${ORG}/invites/${UNKNOWN}`),
    bad: [del(`/orgs/${ORG}/invites/not-an-id`)],
  },
  listTeamUsers: {
    ok: [get(`/orgs/${ORG}/teams/${TEAM}/users`), get(`/orgs/${ORG}/teams/${TEAM}/users`, ALL_STATUSES)],
    notFound: get(`/orgs/${ORG}/teams/${UNKNOWN}/users`),
    bad: [get(`/orgs/${ORG}/teams/not-a-team/users`)],
  },
  removeUserFromTeam: {
    ok: [del(`/orgs/${ORG}/teams/${TEAM}/users/${SAM_USER}`)],
    notFound: del(`/orgs/${ORG}/teams/${TEAM}/users/${UNKNOWN}`),
    bad: [del(`/orgs/${ORG}/teams/${TEAM}/users/not-an-id`)],
  },
  removeOrgTeamUser: {
    ok: [
      { method: 'POST', path: `/orgs/${ORG}/teams/${TEAM}:removeUser`, body: { id: DANA_USER } },
      { method: 'POST', path: `/orgs/${ORG}/teams/${TEAM}:removeUser`, body: { id: PENDING } },
    ],
    notFound: { method: 'POST', path: `/orgs/${ORG}/teams/${TEAM}:removeUser`, body: { id: UNKNOWN } },
    bad: [
      { method: 'POST', path: `/orgs/${ORG}/teams/${TEAM}:removeUser`, body: {} },
      { method: 'POST', path: `/orgs/${ORG}/teams/${TEAM}:removeUser`, body: { id: 'not-an-id' } },
    ],
  },
  listOrgUsers: {
    ok: [
      get(`/orgs/${ORG}/users`),
      get(`/orgs/${ORG}/users`, ALL_STATUSES),
      get(`/orgs/${ORG}/users`, `itemsPerPage=3&pageNum=2&includeCount=false`),
    ],
    notFound: get(`/orgs/${UNKNOWN}/users`),
    bad: [get('/orgs/not-an-org/users'), get(`/orgs/${ORG}/users`, 'itemsPerPage=501')],
  },
  getOrgUser: {
    ok: [
      get(`/orgs/${ORG}/users/${DANA_USER}`),
      get(`/orgs/${ORG}/users/${MO_USER}`),
      get(`/orgs/${ORG}/users/${DANA_ORG_INVITE}`),
      get(`/orgs/${ORG}/users/${EXPIRED}`),
      get(`/orgs/${ORG}/users/${REJECTED}`),
    ],
    notFound: get(`/orgs/${ORG}/users/${UNKNOWN}`),
    bad: [get(`/orgs/${ORG}/users/not-an-id`)],
  },
  removeOrgUser: {
    ok: [del(`/orgs/${ORG}/users/${DANA_USER}`), del(`/orgs/${ORG}/users/${DANA_ORG_INVITE}`)],
    notFound: del(`/orgs/${ORG}/users/${UNKNOWN}`),
    bad: [del(`/orgs/${ORG}/users/not-an-id`)],
  },
  getUserByName: {
    ok: [get(`/users/byName/${DANA}`), get('/users/byName/mo.mobile@example.com')],
    notFound: get('/users/byName/ghost@example.com'),
    // Any authenticated caller may look a user up: there is no role to lack.
    forbiddable: false,
  },
  listOrgTeams: {
    ok: [get(`/orgs/${ORG}/teams`)],
    notFound: get(`/orgs/${UNKNOWN}/teams`),
    bad: [get('/orgs/not-an-org/teams')],
  },
  listGroupTeams: {
    ok: [get(`/groups/${PROJECT}/teams`)],
    notFound: get(`/groups/${UNKNOWN}/teams`),
    bad: [get('/groups/not-a-group/teams')],
  },
};

let sb: Sandbox;
let token: string;

async function tokenFor(c: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(sb.urls.atlas.token, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** The media type the operation's success answer is documented in (its version). */
function successType(op: SpecOperation): string {
  const ok = Object.entries(op.responses).find(([s]) => s.startsWith('2'))!;
  return Object.keys(ok[1].content ?? {})[0]!;
}

async function send(op: SpecOperation, c: Call, who: Who = 'sa', accept = successType(op)): Promise<Answer> {
  const url = `${sb.urls.atlas.base}${V2_PREFIX}${c.path}${c.query ? `?${c.query}` : ''}`;
  const headers: Record<string, string> = { accept };
  let body: string | undefined;
  if (c.body !== undefined) {
    headers['content-type'] = Object.keys(op.requestBody?.content ?? {})[0] ?? 'application/json';
    body = JSON.stringify(c.body);
  }
  let res: Response;
  if (who === 'digest') {
    res = await new DigestClient(D.publicKey, D.privateKey).fetch(url, { method: c.method, headers, body });
  } else {
    if (who === 'sa') headers.authorization = `Bearer ${token}`;
    if (who === 'norole') headers.authorization = `Bearer ${await tokenFor(NOROLE)}`;
    res = await fetch(url, { method: c.method, headers, body });
  }
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** The answer is one the operation documents: status, media type, body schema and headers. */
function conforms(op: SpecOperation, a: Answer): void {
  const where = `${op.operationId} ${a.status} ${a.text.slice(0, 300)}`;
  expect(Object.keys(op.responses), where).toContain(String(a.status));
  const r = op.responses[String(a.status)]!;
  const contentType = a.headers.get('content-type') ?? '';
  if (r.content) expect(Object.keys(r.content), where).toContain(contentType);
  const schema = r.content?.[contentType]?.schema;
  if (schema) {
    const validate = spec.validator(schema);
    expect(validate(a.json), `${where}\n${JSON.stringify(validate.errors, null, 2)}`).toBe(true);
  } else {
    expect(a.text, `${where}: no schema, so no body`).toBe('');
  }
  for (const [name, h] of Object.entries(r.headers ?? {})) {
    const value = a.headers.get(name);
    expect(value, `${where}: header ${name}`).not.toBeNull();
    expect(spec.header(h).schema.type).toBe('integer');
    expect(value, `${where}: header ${name}`).toMatch(/^\d+$/);
  }
}

interface Case {
  name: string;
  op: SpecOperation;
  call: Call;
  who?: Who;
  status: number;
  before?: (op: SpecOperation, c: Call) => unknown;
}

function casesOf(opId: string, plan: OpPlan): Case[] {
  const op = spec.byId(opId);
  const listed = (s: number) => String(s) in op.responses;
  const [first] = plan.ok;
  const ok = Object.keys(op.responses).find((s) => s.startsWith('2'))!;
  const out: Case[] = plan.ok.map((call, i) => ({
    name: `success ${i + 1}: ${call.method} ${call.path}${call.query ? `?${call.query}` : ''}`,
    op,
    call,
    status: Number(ok),
  }));
  out.push({
    name: 'success with an API key (HTTP Digest)',
    op,
    call: first!,
    who: 'digest',
    status: Number(ok),
  });
  if (listed(401)) out.push({ name: 'no credentials', op, call: first!, who: 'none', status: 401 });
  if (listed(403) && plan.forbiddable !== false)
    out.push({ name: 'a service account without roles', op, call: first!, who: 'norole', status: 403 });
  if (listed(404))
    out.push({ name: `unknown id: ${plan.notFound.path}`, op, call: plan.notFound, status: 404 });
  if (listed(400)) {
    // The sandbox refuses what the operation does not define, e.g. `includeCount` on listTeamUsers.
    const undefinedParam = op.query.includes('includeCount') ? 'notAParameter' : 'includeCount';
    out.push({
      name: `a query parameter the operation does not define (${undefinedParam})`,
      op,
      call: { ...first!, query: [first!.query, `${undefinedParam}=true`].filter(Boolean).join('&') },
      status: 400,
    });
  }
  if (listed(400))
    for (const bad of plan.bad ?? [])
      out.push({
        name: `malformed: ${bad.path} ${JSON.stringify(bad.body ?? bad.query ?? '')}`,
        op,
        call: bad,
        status: 400,
      });
  if (listed(429)) {
    out.push({
      name: 'an empty token bucket',
      op,
      call: first!,
      status: 429,
      before: async (o, c) => {
        sb.control.setRateLimit('atlas', { capacity: 1, refillPerSecond: 0 });
        expect((await send(o, c)).status).toBe(Number(ok));
      },
    });
    out.push({
      name: 'an injected 429 (fault rule)',
      op,
      call: first!,
      status: 429,
      before: () => sb.control.addFault({ type: 'rate-limit', vendor: 'atlas', retryAfterSeconds: 9 }),
    });
  }
  if (listed(500)) {
    out.push({
      name: 'an injected 500 (fault rule)',
      op,
      call: first!,
      status: 500,
      before: () => sb.control.addFault({ type: 'error', vendor: 'atlas' }),
    });
  }
  return out;
}

const CASES = Object.entries(PLANS).flatMap(([opId, plan]) => casesOf(opId, plan));

beforeAll(async () => {
  sb = await startSandbox({ seed: { atlas: SEED } });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(async () => {
  sb.control.reset();
  sb.control.vendorAction('atlas', 'reject-invitation', { invitationId: REJECTED });
  token = await tokenFor(D);
});

describe('the subset and the sandbox', () => {
  it('is the file PROVENANCE.md describes (same SHA-256, same operations)', () => {
    const provenance = readFileSync(new URL('PROVENANCE.md', SPEC_URL), 'utf8');
    const sha = createHash('sha256').update(readFileSync(SPEC_URL)).digest('hex');
    expect(provenance).toContain(`\`${sha}\``);
    for (const op of spec.operations) expect(provenance).toContain(`\`${op.operationId}\``);
  });

  it('the sandbox serves every operation of the subset, and each has a plan here', () => {
    const served = new Set(ATLAS_ROUTES.map((r) => `${r.method} ${V2_PREFIX}${r.pattern}`));
    const missing = spec.operations.filter((o) => !served.has(`${o.method} ${o.path}`));
    expect(missing.map((o) => o.operationId)).toEqual([]);
    expect(Object.keys(PLANS).sort()).toEqual(spec.operations.map((o) => o.operationId).sort());
  });

  it('the query parameters the sandbox admits for each operation are the ones the spec defines', () => {
    const served = new Set(ATLAS_ROUTES.map((r) => `${r.method} ${r.pattern}`));
    for (const op of spec.operations) {
      const key = `${op.method} ${op.path.slice(V2_PREFIX.length)}`;
      expect(served, key).toContain(key);
      // `envelope` and `pretty` are admitted everywhere (defined on every operation of the API).
      const specParams = op.query.filter((q) => q !== 'envelope' && q !== 'pretty').sort();
      expect([...(ATLAS_QUERY_PARAMS[key] ?? [])].sort(), op.operationId).toEqual(specParams);
    }
    for (const key of Object.keys(ATLAS_QUERY_PARAMS)) expect(served, key).toContain(key);
  });

  it('the plans send the request bodies the spec documents', () => {
    for (const [opId, plan] of Object.entries(PLANS)) {
      const op = spec.byId(opId);
      for (const c of plan.ok.filter((x) => x.body !== undefined)) {
        const media = Object.values(op.requestBody?.content ?? {})[0];
        expect(media?.schema, opId).toBeDefined();
        expect(spec.validator(media!.schema!)(c.body), opId).toBe(true);
      }
    }
  });
});

describe.each(Object.keys(PLANS))('%s', (opId) => {
  it.each(CASES.filter((c) => c.op.operationId === opId).map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      await c.before?.(c.op, c.call);
      const a = await send(c.op, c.call, c.who);
      expect(a.status, a.text).toBe(c.status);
      conforms(c.op, a);
    },
  );

  it('answers the version the spec documents when asked with the curl samples’ Accept (2025-03-12)', async () => {
    const op = spec.byId(opId);
    const a = await send(op, PLANS[opId]!.ok[0]!, 'sa', 'application/vnd.atlas.2025-03-12+json');
    conforms(op, a);
  });

  it('406 for an unversioned Accept is an ApiError too (not in the spec: seen in practice, docs/vendors.md#atlas-versions)', async () => {
    const op = spec.byId(opId);
    const a = await send(op, PLANS[opId]!.ok[0]!, 'sa', 'application/json');
    expect(a.status).toBe(406);
    expect(a.headers.get('content-type')).toBe('application/json');
    const validate = spec.validator(spec.component('ApiError'));
    expect(validate(a.json), JSON.stringify(validate.errors)).toBe(true);
    expect(a.json).toMatchObject({ error: 406, errorCode: 'INVALID_VERSION_DATE' });
  });
});

describe('operations outside the subset, against the schemas the SDK names for them', () => {
  const post = (path: string, body: unknown, who: Who = 'sa') =>
    send(
      { operationId: 'removeRole', method: 'POST', path, responses: {}, query: [] },
      { method: 'POST', path, body },
      who,
      'application/vnd.atlas.2025-02-19+json',
    );
  const valid = (schema: string, body: unknown) => {
    const v = spec.validator(spec.component(schema));
    expect(v(body), JSON.stringify(v.errors)).toBe(true);
  };

  it(':removeRole answers OrgUserResponse / GroupUserResponse, and ApiError when refused', async () => {
    sb.control.vendorAction('atlas', 'add-user', {
      id: id('d301'),
      username: 'two.roles@example.com',
      orgRoles: [{ orgId: ORG, roles: ['ORG_MEMBER', 'ORG_BILLING_ADMIN'] }],
      projectRoles: [{ groupId: PROJECT, roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'] }],
    });
    const org = await post(`/orgs/${ORG}/users/${id('d301')}:removeRole`, { orgRole: 'ORG_BILLING_ADMIN' });
    expect(org.status).toBe(200);
    valid('OrgUserResponse', org.json);
    const grp = await post(`/groups/${PROJECT}/users/${id('d301')}:removeRole`, { groupRole: 'GROUP_OWNER' });
    expect(grp.status).toBe(200);
    valid('GroupUserResponse', grp.json);
    const pending = await post(`/groups/${PROJECT}/users/${PENDING}:removeRole`, {
      groupRole: 'GROUP_OWNER',
    });
    expect(pending.status).toBe(200);
    valid('GroupUserResponse', pending.json);
    for (const refused of [
      await post(`/orgs/${ORG}/users/${DANA_USER}:removeRole`, { orgRole: 'ORG_MEMBER' }),
      await post(`/orgs/${ORG}/users/${UNKNOWN}:removeRole`, { orgRole: 'ORG_MEMBER' }),
      await post(`/orgs/${ORG}/users/${DANA_USER}:removeRole`, {}),
      await post(`/orgs/${ORG}/users/${DANA_USER}:removeRole`, { orgRole: 'ORG_MEMBER' }, 'norole'),
    ]) {
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.headers.get('content-type')).toBe('application/json');
      valid('ApiError', refused.json);
    }
  });
});
