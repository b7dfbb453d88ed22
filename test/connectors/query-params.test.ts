/**
 * The connectors send only the query parameters each operation defines. Atlas: every call of a
 * discovery (listings read whole and by `username`) and of every kind of revocation (including the
 * pending-user lookup) is matched to its operation in MongoDB's OpenAPI document, and its query
 * parameters must be ones that operation lists (or `envelope`/`pretty`, defined on every operation).
 * Cloud Manager: the parameters its API docs list for each listing. The sandbox's request log is
 * the witness, not the connector's report.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import type { TenantConfig } from '../../lambdas/core/config.ts';
import { type Grant, grantPhase, type Subject } from '../../lambdas/core/model.ts';
import type { Connector } from '../../lambdas/core/ports.ts';
import { atlasDemoSeed } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { loadAtlasSpec, V2_PREFIX } from '../sandbox/atlas-spec.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, type Driver } from './support/drivers.ts';
import { MemorySecrets } from './support/memory-secrets.ts';
import { startProxy } from './support/proxy.ts';
import type { TestServer } from './support/test-server.ts';

const spec = loadAtlasSpec();
const COMMON = ['envelope', 'pretty'];
const dana: Subject = { email: DANA, aliases: [] };

let sb: Sandbox;
let proxy: TestServer | undefined;
beforeAll(async () => {
  sb = await startSandbox({ seed: 'empty' });
});
afterAll(async () => {
  await sb.close();
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

function setup(
  driver: Driver,
  extra: Record<string, unknown> = {},
): { connector: Connector; tenant: TenantConfig } {
  const secrets = new MemorySecrets({ [driver.secretName]: driver.secret });
  const connector = createConnectors({ secrets, retry: { baseDelayMs: 5, maxDelayMs: 20 } })[driver.vendor];
  return { connector, tenant: driver.tenant(sb, extra) };
}

/** Revokes in the worker's order (invitations first, memberships by Grant.order), last owners left. */
async function revokeAll(connector: Connector, tenant: TenantConfig, grants: Grant[]): Promise<void> {
  const phase = (g: Grant) => (grantPhase(g) === 'invitation' ? 0 : 1);
  const ordered = grants
    .filter((g) => !g.lastOwner)
    .sort((a, b) => phase(a) - phase(b) || (a.order ?? 0) - (b.order ?? 0));
  for (const g of ordered) await connector.revoke(g, tenant, testCtx());
}

/** The spec's operations as path matchers, with the query parameters each defines. */
const OPERATIONS = spec.operations.map((op) => ({
  id: op.operationId,
  method: op.method,
  regex: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/:]+')}$`),
  query: op.query,
}));

interface Checked {
  operationId: string;
  query: string[];
}

/** Every Atlas API call in the sandbox's log, matched to its operation; the undefined parameters of each. */
function atlasCalls(): { checked: Checked[]; undefinedParams: string[]; unknownCalls: string[] } {
  const checked: Checked[] = [];
  const undefinedParams: string[] = [];
  const unknownCalls: string[] = [];
  for (const r of sb.control.requests({ vendor: 'atlas', path: `^${V2_PREFIX}/` })) {
    const op = OPERATIONS.find((o) => o.method === r.method && o.regex.test(r.path));
    if (!op) {
      unknownCalls.push(`${r.method} ${r.path}`);
      continue;
    }
    const query = [...new Set(new URLSearchParams(r.query).keys())];
    checked.push({ operationId: op.id, query });
    for (const q of query)
      if (!op.query.includes(q) && !COMMON.includes(q)) undefinedParams.push(`${op.id}: ${q}`);
  }
  return { checked, undefinedParams, unknownCalls };
}

describe('Atlas: only the parameters MongoDB’s spec defines for each operation', () => {
  const driver = DRIVERS.find((d) => d.vendor === 'atlas')!;
  beforeEach(() => {
    sb.control.seed(driver.seed());
    sb.control.reset();
  });

  it('the table the sandbox enforces is the spec’s: listTeamUsers has no includeCount, listOrgUsers has', () => {
    expect(spec.queryParameters('listTeamUsers')).not.toContain('includeCount');
    expect(spec.queryParameters('listOrgUsers')).toContain('includeCount');
    expect(spec.queryParameters('listGroupUsers')).toContain('includeCount');
  });

  it('discovery (whole listings) and every kind of revocation', async () => {
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana], tenant, testCtx());
    await revokeAll(connector, tenant, grants);
    const { checked, undefinedParams, unknownCalls } = atlasCalls();
    expect(unknownCalls).toEqual([]);
    expect(undefinedParams).toEqual([]);
    const ops = new Set(checked.map((c) => c.operationId));
    for (const id of [
      'listOrgInvites',
      'listGroupInvites',
      'listOrgUsers',
      'listGroupUsers',
      'listTeamUsers',
      'deleteOrgInvite',
      'deleteGroupInvite',
      'removeOrgUser',
      'removeGroupUser',
      'removeOrgTeamUser',
    ]) {
      expect(ops, id).toContain(id);
    }
    // Paged: listOrgUsers and listGroupUsers ask for the count, listTeamUsers may not.
    expect(checked.find((c) => c.operationId === 'listOrgUsers')!.query).toContain('includeCount');
    expect(checked.find((c) => c.operationId === 'listTeamUsers')!.query).toEqual([
      'itemsPerPage',
      'pageNum',
    ]);
  });

  it('listings read by `username` instead of their later pages', async () => {
    driver.addMany(sb, 1100, 'bulk.last@example.com');
    const { connector, tenant } = setup(driver);
    await connector.discover([dana, { email: 'bulk.last@example.com', aliases: [] }], tenant, testCtx());
    const { checked, undefinedParams } = atlasCalls();
    expect(undefinedParams).toEqual([]);
    expect(checked.some((c) => c.operationId === 'listOrgUsers' && c.query.includes('username'))).toBe(true);
  });

  it('the pending-user lookup after the invitations endpoint lost an invitation', async () => {
    const invitationId = atlasDemoSeed.orgInvitations!.find((i) => i.username === DANA)!.id!;
    proxy = await startProxy({
      target: sb.url,
      intercept: (req) =>
        req.method === 'DELETE' && req.url.includes(`/invites/${invitationId}`)
          ? { status: 404, body: { error: 404, errorCode: 'RESOURCE_NOT_FOUND', reason: 'Not Found' } }
          : undefined,
    });
    const { connector, tenant } = setup(driver, { baseUrl: sb.urls.atlas.base.replace(sb.url, proxy.url) });
    const invitation = (await connector.discover([dana], tenant, testCtx())).find(
      (g) => g.kind === 'atlas_org_invitation',
    )!;
    sb.control.clearRequests();
    expect((await connector.revoke(invitation, tenant, testCtx())).outcome).toBe('revoked');
    const { checked, undefinedParams } = atlasCalls();
    expect(undefinedParams).toEqual([]);
    expect(checked.map((c) => c.operationId)).toEqual(['getOrgUser', 'removeOrgUser']);
  });

  it('the sandbox refuses a parameter the operation does not define, as the ApiError the spec lists', async () => {
    const { connector, tenant } = setup(driver);
    await connector.discover([dana], tenant, testCtx());
    const team = sb.control.requests({ vendor: 'atlas', method: 'GET', path: '/teams/[^/]+/users$' })[0]!;
    const token = await fetch(sb.urls.atlas.token, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${driver.secret.clientId}:${driver.secret.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    const res = await fetch(`${sb.urls.atlas.base}${team.path}?includeCount=true`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.atlas.2025-02-19+json' },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ error: 400, errorCode: 'INVALID_QUERY_PARAMETER' });
    const validate = spec.validator(spec.component('ApiError'));
    expect(validate(body)).toBe(true);
  });
});

describe('Cloud Manager: only the parameters its API docs list for each listing', () => {
  const driver = DRIVERS.find((d) => d.vendor === 'cloudmanager')!;
  /** Per the Cloud Manager API reference pages (besides `pretty` and `envelope`, on every resource). */
  const DOCUMENTED: Array<[string, RegExp, string[]]> = [
    ['GET', /^\/api\/public\/v1\.0\/(orgs|groups)\/[^/]+\/invites$/, ['username']],
    ['GET', /^\/api\/public\/v1\.0\/orgs\/[^/]+\/users$/, ['pageNum', 'itemsPerPage']],
    [
      'GET',
      /^\/api\/public\/v1\.0\/groups\/[^/]+\/users$/,
      ['pageNum', 'itemsPerPage', 'flattenTeams', 'includeOrgUsers'],
    ],
    ['GET', /^\/api\/public\/v1\.0\/orgs\/[^/]+\/teams\/[^/]+\/users$/, ['pageNum', 'itemsPerPage']],
    ['DELETE', /^\/api\/public\/v1\.0\/.+$/, []],
  ];

  it('discovery and every kind of revocation', async () => {
    sb.control.seed(driver.seed());
    sb.control.reset();
    const { connector, tenant } = setup(driver);
    await revokeAll(connector, tenant, await connector.discover([dana], tenant, testCtx()));
    const calls = sb.control.requests({ vendor: 'cloudmanager', path: '^/api/public/v1.0/' });
    expect(calls.length).toBeGreaterThan(5);
    const wrong: string[] = [];
    for (const r of calls) {
      const doc = DOCUMENTED.find(([m, re]) => m === r.method && re.test(r.path));
      if (!doc) {
        wrong.push(`undocumented call ${r.method} ${r.path}`);
        continue;
      }
      for (const q of new URLSearchParams(r.query).keys())
        if (!doc[2].includes(q) && !COMMON.includes(q)) wrong.push(`${r.method} ${r.path}: ${q}`);
    }
    expect(wrong).toEqual([]);
  });
});
