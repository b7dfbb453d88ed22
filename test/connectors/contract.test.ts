/**
 * The connector contract suite, run for each vendor against the real sandbox over HTTP.
 * Assertions read the sandbox's request log and state, not the connector's own report.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import type { TenantConfig } from '../../lambdas/core/config.ts';
import { asGrant, type Grant, grantPhase, type Subject } from '../../lambdas/core/model.ts';
import type { Connector, RevokeResult } from '../../lambdas/core/ports.ts';
import { ATLAS_DEMO } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, type Driver, SAM } from './support/drivers.ts';
import { MemorySecrets } from './support/memory-secrets.ts';

const dana: Subject = { email: 'Dana.Leaver@Example.com', aliases: [] };

/** The worker's order: invitations first, then memberships, each by Grant.order; last owners skipped. */
function workerOrder(grants: Grant[]): Grant[] {
  const phase = (g: Grant) => (grantPhase(g) === 'invitation' ? 0 : 1);
  return grants
    .filter((g) => !g.lastOwner)
    .sort((a, b) => phase(a) - phase(b) || (a.order ?? 0) - (b.order ?? 0));
}

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 'empty' });
});
afterAll(async () => {
  await sb.close();
});

describe.each(DRIVERS)('$vendor connector contract', (driver: Driver) => {
  let secrets: MemorySecrets;
  let connector: Connector;
  let tenant: TenantConfig;

  const fresh = (opts: { timeoutMs?: number; maxAttempts?: number } = {}) => {
    secrets = new MemorySecrets({ [driver.secretName]: driver.secret });
    connector = createConnectors({
      secrets,
      retry: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: opts.maxAttempts ?? 5 },
    })[driver.vendor];
    tenant = driver.tenant(sb, opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {});
  };
  const apiRequests = (method?: string) =>
    sb.control.requests({ vendor: driver.vendor, path: driver.apiPath, ...(method ? { method } : {}) });

  async function revokeAll(
    grants: Grant[],
  ): Promise<Array<{ grant: Grant; result?: RevokeResult; error?: unknown }>> {
    const out: Array<{ grant: Grant; result?: RevokeResult; error?: unknown }> = [];
    for (const grant of workerOrder(grants)) {
      try {
        out.push({ grant, result: await connector.revoke(grant, tenant, testCtx()) });
      } catch (error) {
        out.push({ grant, error });
      }
    }
    return out;
  }

  beforeEach(() => {
    sb.control.seed(driver.seed());
    sb.control.reset();
    fresh();
  });

  it('finds every grant kind of the leaver (case-insensitively) and none of the colleague', async () => {
    const grants = await connector.discover([dana], tenant, testCtx());
    const kinds = new Set(grants.map((g) => g.kind));
    for (const k of driver.demoKinds) expect(kinds).toContain(k);
    expect(
      grants.every((g) => g.email === DANA && g.vendor === driver.vendor && g.tenantId === tenant.id),
    ).toBe(true);
    // One listing per scope for all subjects. A per-person (`username`) query is only ever made by
    // Atlas when a listing has more pages left than the batch has addresses (see the Atlas listing
    // tests below); the demo's lists are one page each, so never here.
    expect(apiRequests().every((r) => !r.query.toLowerCase().includes('dana'))).toBe(true);
    const samGrants = await connector.discover([{ email: SAM, aliases: [] }], tenant, testCtx());
    expect(samGrants.every((g) => g.email === SAM)).toBe(true);
  });

  it('reports how many distinct people the listing saw (the blast-radius denominator)', async () => {
    const seen: Array<{ vendor: string; tenantId: string; people: number }> = [];
    await connector.discover([dana], tenant, { ...testCtx(), onPeopleSeen: (info) => seen.push(info) });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ vendor: driver.vendor, tenantId: tenant.id });
    // At least the leaver, the colleague and the protected admin are in every demo tenant.
    expect(seen[0]!.people).toBeGreaterThanOrEqual(3);
  });

  it('lists each scope once for a batch of subjects', async () => {
    await connector.discover([dana], tenant, testCtx());
    const answered = () => apiRequests('GET').filter((r) => r.status === 200).length;
    const one = answered();
    sb.control.clearRequests();
    const both = await connector.discover([dana, { email: SAM, aliases: [] }], tenant, testCtx());
    expect(answered()).toBe(one);
    expect(new Set(both.map((g) => g.email))).toEqual(new Set([DANA, SAM]));
  });

  it('revokes every grant; the sandbox holds nothing of the leaver; a second revoke is already_absent', async () => {
    const before = driver.holdings(sb, DANA);
    expect(before.length).toBeGreaterThan(0);
    const grants = await connector.discover([dana], tenant, testCtx());
    const results = await revokeAll(grants);
    const failures = results.filter((r) => r.error);
    const left = driver.holdings(sb, DANA);
    if (driver.vendor === 'itwin') {
      // The last owner is left for the worker to skip and alert; everything else is gone, including
      // the membership of a group listed beyond its first 50 members.
      expect(failures).toEqual([]);
      expect(left).toEqual(['owner_member@2']);
    } else {
      expect(failures).toEqual([]);
      expect(left).toEqual([]);
    }
    sb.control.clearRequests();
    const again = await revokeAll(grants.filter((g) => !results.find((r) => r.grant === g && r.error)));
    expect(again.every((r) => r.result?.outcome === 'already_absent')).toBe(true);
    // The vendor said 404 (or, for a group membership, the leaver is no longer listed): nothing removed twice.
    expect(apiRequests().filter((r) => r.status !== null && r.status < 400 && r.method !== 'GET')).toEqual(
      [],
    );
    // Verification pass: nothing left to find but what was deliberately kept.
    const verify = await connector.discover([dana], tenant, testCtx());
    expect(verify.map((g) => g.kind)).toEqual(driver.vendor === 'itwin' ? ['itwin_owner_member'] : []);
  });

  it('leaves the colleague and protected accounts untouched', async () => {
    const samBefore = driver.holdings(sb, SAM);
    const glassBefore = driver.holdings(sb, 'breakglass-admin@example.com');
    expect(samBefore.length).toBeGreaterThan(0);
    await revokeAll(await connector.discover([dana], tenant, testCtx()));
    expect(driver.holdings(sb, SAM)).toEqual(samBefore);
    expect(driver.holdings(sb, 'breakglass-admin@example.com')).toEqual(glassBefore);
  });

  it('rides out a 429 storm (Retry-After honoured) and still finds everything', async () => {
    const expected = (await connector.discover([dana], tenant, testCtx())).length;
    sb.control.clearRequests();
    sb.control.addFault({ vendor: driver.vendor, type: 'storm', requests: 6, retryAfterSeconds: 1 });
    const grants = await connector.discover([dana], tenant, testCtx());
    expect(grants.length).toBe(expected);
    const log = sb.control.requests({ vendor: driver.vendor });
    expect(log.filter((r) => r.status === 429)).toHaveLength(6);
    expect(log.at(-1)?.status).toBe(200);
  });

  it('retries 5xx answers and reset connections', async () => {
    const ctx = testCtx();
    const errorFault = sb.control.addFault({
      vendor: driver.vendor,
      type: 'error',
      status: 503,
      pathPattern: 'invit',
    });
    const resetFault = sb.control.addFault({
      vendor: driver.vendor,
      type: 'reset',
      pathPattern: 'users|members',
    });
    let removed = 0;
    ctx.onVendorCall = (i) => {
      // Each fault hits once, then the vendor recovers.
      if (i.status === 503 && sb.control.removeFault(errorFault)) removed++;
      if (i.status === 'network' && sb.control.removeFault(resetFault)) removed++;
    };
    const grants = await connector.discover([dana], tenant, ctx);
    expect(removed).toBe(2);
    expect(new Set(grants.map((g) => g.kind))).toEqual(
      new Set(driver.demoKinds.filter((k) => grants.some((g) => g.kind === k))),
    );
    expect(grants.length).toBeGreaterThanOrEqual(driver.demoKinds.length);
    const log = sb.control.requests({ vendor: driver.vendor });
    expect(log.some((r) => r.status === 503)).toBe(true);
    expect(log.some((r) => r.status === null)).toBe(true);
  });

  it('times out a hung request (vendor_timeout) instead of waiting forever', async () => {
    fresh({ timeoutMs: 300, maxAttempts: 2 });
    await connector.discover([dana], tenant, testCtx()); // warm auth
    sb.control.clearRequests();
    sb.control.addFault({ vendor: driver.vendor, type: 'hang', pathPattern: 'invit', method: 'GET' });
    const err = await connector.discover([dana], tenant, testCtx()).catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_timeout', retryable: true });
    sb.control.clearFaults();
    const hung = sb.control.requests({ vendor: driver.vendor, path: 'invit' });
    expect(hung.length).toBeGreaterThanOrEqual(2);
  });

  it('credential rotation: one 401, the secret is re-read once, then success', async () => {
    await connector.discover([dana], tenant, testCtx()); // caches the old secret (and token/nonce)
    sb.control.seed(driver.seed({ rotated: true })); // the vendor now only accepts the new secret
    sb.control.clearRequests();
    secrets.set(driver.secretName, driver.rotatedSecret);
    const grants = await connector.discover([dana], tenant, testCtx());
    expect(grants.length).toBeGreaterThan(0);
    expect(secrets.invalidations).toEqual([driver.secretName]);
    const log = sb.control.requests({ vendor: driver.vendor });
    expect(log.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(log.at(-1)?.status).toBe(200);
  });

  it('refuses a malformed id before any vendor call', async () => {
    const grants = await connector.discover([dana], tenant, testCtx());
    const g = grants.find((x) => grantPhase(x) === 'invitation')!;
    sb.control.clearRequests();
    for (const bad of ['../../orgs', 'not-an-id', '', `${Object.values(g.ids)[0]}/x`]) {
      const key = Object.keys(g.ids).at(-1)!;
      const err = await connector
        .revoke(asGrant({ ...g, ids: { ...g.ids, [key]: bad } }), tenant, testCtx())
        .catch((e) => e);
      expect(err).toMatchObject({ code: 'invalid_vendor_id' });
    }
    const extra = await connector
      .revoke(asGrant({ ...g, ids: { ...g.ids, extra: 'x' } }), tenant, testCtx())
      .catch((e) => e);
    expect(extra).toMatchObject({ code: 'invalid_vendor_id' });
    expect(sb.control.requests({ vendor: driver.vendor })).toEqual([]);
  });

  it('follows paging to the end (more than one page of members)', async () => {
    const n = driver.pageSize === 500 ? 520 : 250;
    driver.addMany(sb, n, 'zed.last@example.com');
    sb.control.clearRequests();
    const grants = await connector.discover(
      [{ email: 'ZED.LAST@example.com', aliases: [] }],
      tenant,
      testCtx(),
    );
    expect(grants.map((g) => g.kind)).toContain(driver.acceptedKind);
    const pages = apiRequests('GET').filter((r) => /members\/users|\/orgs\/[0-9a-f]{24}\/users/.test(r.path));
    expect(pages.length).toBeGreaterThanOrEqual(2);
  });

  it('the accept race: invitation accepted between discover and revoke -> already_absent -> membership found and removed', async () => {
    const rae = 'rae.race@example.com';
    driver.invite(sb, rae);
    const first = await connector.discover([{ email: rae, aliases: [] }], tenant, testCtx());
    const invitation = first.find((g) => g.kind === driver.invitationKind)!;
    expect(invitation).toBeDefined();
    expect(first.some((g) => g.kind === driver.acceptedKind)).toBe(false);
    driver.accept(sb, Object.values(invitation.ids).at(-1)!);
    sb.control.clearRequests();
    const r1 = await connector.revoke(invitation, tenant, testCtx());
    expect(r1.outcome).toBe('already_absent');
    expect(apiRequests('DELETE').map((r) => r.status)).toEqual([404]);
    const second = await connector.discover([{ email: rae, aliases: [] }], tenant, testCtx());
    const membership = second.find((g) => g.kind === driver.acceptedKind)!;
    expect(membership).toBeDefined();
    expect((await connector.revoke(membership, tenant, testCtx())).outcome).toBe('revoked');
    expect(driver.holdings(sb, rae)).toEqual([]);
  });
});

describe('atlas with an API key (HTTP Digest)', () => {
  it('discovers and revokes over Digest: one challenge, then the nonce is reused', async () => {
    const driver = DRIVERS.find((d) => d.vendor === 'atlas')!;
    sb.control.seed(driver.seed());
    sb.control.reset();
    const secrets = new MemorySecrets({
      'leaver/atlas-key': { publicKey: 'atlasdemopub', privateKey: 'atlas-demo-private-key-0001' },
    });
    const connector = createConnectors({ secrets }).atlas;
    const tenant = driver.tenant(sb, {
      auth: 'api_key',
      secretName: 'leaver/atlas-key',
      tokenUrl: undefined,
    });
    const grants = await connector.discover([dana], tenant, testCtx());
    expect(new Set(grants.map((g) => g.kind))).toEqual(new Set(driver.demoKinds));
    for (const g of workerOrder(grants)) await connector.revoke(g, tenant, testCtx());
    expect(driver.holdings(sb, DANA)).toEqual([]);
    const log = sb.control.requests({ vendor: 'atlas' });
    expect(log.filter((r) => r.status === 401)).toHaveLength(1);
    expect(log.some((r) => r.path.includes('oauth'))).toBe(false);
  });
});

describe('atlas Cloud Users listings: the rest of the pages or one username query per address', () => {
  const driver = DRIVERS.find((d) => d.vendor === 'atlas')!;
  const { orgId, projectId } = ATLAS_DEMO;
  const zed = 'zed.last@example.com';
  let connector: Connector;
  let tenant: TenantConfig;

  /** The demo org with 1,100 more members (3 pages of 500); `zed` joins last, on page 3. */
  function bigOrg(zedRoles: string[] = ['ORG_MEMBER'], opts: { project?: boolean } = {}) {
    sb.control.seed(driver.seed());
    sb.control.reset();
    for (let i = 0; i < 1100; i++)
      sb.control.vendorAction('atlas', 'add-user', {
        username: `bulk${i}@example.com`,
        orgRoles: [{ orgId, roles: ['ORG_MEMBER'] }],
        ...(opts.project ? { projectRoles: [{ groupId: projectId, roles: ['GROUP_READ_ONLY'] }] } : {}),
      });
    sb.control.vendorAction('atlas', 'add-user', {
      username: zed,
      orgRoles: [{ orgId, roles: zedRoles }],
      ...(opts.project ? { projectRoles: [{ groupId: projectId, roles: ['GROUP_READ_ONLY'] }] } : {}),
    });
    const secrets = new MemorySecrets({ [driver.secretName]: driver.secret });
    connector = createConnectors({ secrets }).atlas;
    tenant = driver.tenant(sb);
    sb.control.clearRequests();
  }
  const reads = (path: string) =>
    sb.control.requests({ vendor: 'atlas', method: 'GET', path: `${path}$` }).map((r) => {
      const q = new URLSearchParams(r.query);
      return (
        q.get('username') ?? `page ${q.get('pageNum')}${q.get('includeCount') === 'true' ? ' +count' : ''}`
      );
    });

  it('more pages left than addresses: the first page, then one username query per address not on it', async () => {
    bigOrg();
    const seen: number[] = [];
    const grants = await connector.discover([{ email: 'Zed.Last@Example.com', aliases: [] }], tenant, {
      ...testCtx(),
      onPeopleSeen: (i) => seen.push(i.people),
    });
    expect(grants.find((g) => g.kind === 'atlas_org_user')).toMatchObject({ email: zed });
    // 2 pages left > 1 address: 1 query instead of 2 pages.
    expect(reads(`/orgs/${orgId}/users`)).toEqual(['page 1 +count', zed]);
    // The blast-radius denominator still counts the whole org (totalCount), not the pages read.
    expect(seen[0]).toBeGreaterThanOrEqual(1100);
  });

  it('as many addresses (aliases count) as pages left: the listing is paged to the end, no username query', async () => {
    bigOrg();
    const grants = await connector.discover(
      [{ email: zed, aliases: ['zed.alias@example.com'] }],
      tenant,
      testCtx(),
    );
    expect(grants.find((g) => g.kind === 'atlas_org_user')).toMatchObject({ email: zed });
    expect(reads(`/orgs/${orgId}/users`)).toEqual(['page 1 +count', 'page 2 +count', 'page 3 +count']);
  });

  it('project users follow the same rule', async () => {
    bigOrg(['ORG_MEMBER'], { project: true });
    const grants = await connector.discover([{ email: zed, aliases: [] }], tenant, testCtx());
    expect(grants.map((g) => g.kind).sort()).toEqual(['atlas_org_user', 'atlas_project_user']);
    expect(reads(`/groups/${projectId}/users`)).toEqual(['page 1 +count', zed]);
    const removed = await connector.revoke(
      grants.find((g) => g.kind === 'atlas_project_user')!,
      tenant,
      testCtx(),
    );
    expect(removed.outcome).toBe('revoked');
  });

  it('an owner found by username query with no other owner on page 1: the rest is read to settle the last owner', async () => {
    bigOrg(['ORG_OWNER']);
    // Page 1 holds the demo's owner (breakglass): another owner stays, no more pages needed.
    let grants = await connector.discover([{ email: zed, aliases: [] }], tenant, testCtx());
    expect(grants.find((g) => g.kind === 'atlas_org_user')!.lastOwner).toBeUndefined();
    expect(reads(`/orgs/${orgId}/users`)).toEqual(['page 1 +count', zed]);
    // The demo's owner leaves in the same batch: only the whole list can tell.
    sb.control.clearRequests();
    grants = await connector.discover(
      [
        { email: zed, aliases: [] },
        { email: 'breakglass-admin@example.com', aliases: [] },
      ],
      tenant,
      testCtx(),
    );
    expect(
      grants
        .filter((g) => g.lastOwner)
        .map((g) => g.email)
        .sort(),
    ).toEqual(['breakglass-admin@example.com', zed]);
    expect(reads(`/orgs/${orgId}/users`)).toEqual(['page 1 +count', zed, 'page 2 +count', 'page 3 +count']);
  });
});
