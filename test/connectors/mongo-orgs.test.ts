/**
 * Atlas and Cloud Manager organisation rules, against the sandbox over HTTP: the last owner of an
 * organisation is never removed, the organisation user goes last, listings without `next` links are
 * read to the end, and (Atlas) a PENDING org user is revoked through the users endpoint when its
 * invitation cannot be. Assertions read the sandbox's request log and state.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATLAS_ORDER } from '../../lambdas/connectors/atlas/index.ts';
import { CLOUDMANAGER_ORDER } from '../../lambdas/connectors/cloudmanager/index.ts';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import type { TenantConfig } from '../../lambdas/core/config.ts';
import { type Grant, idsOf, type Subject } from '../../lambdas/core/model.ts';
import { type PlannedAction, planGrants, revocationWaves } from '../../lambdas/core/plan.ts';
import type { Connector } from '../../lambdas/core/ports.ts';
import { ATLAS_DEMO, atlasDemoSeed, CLOUD_MANAGER_DEMO, cloudManagerDemoSeed } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, type Driver, SAM } from './support/drivers.ts';
import { MemorySecrets } from './support/memory-secrets.ts';
import { startProxy } from './support/proxy.ts';
import type { TestServer } from './support/test-server.ts';

type MongoVendor = 'atlas' | 'cloudmanager';
const BREAKGLASS = 'breakglass-admin@example.com';
const dana: Subject = { email: DANA, aliases: [] };
const sam: Subject = { email: SAM, aliases: [] };

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

const MONGO = DRIVERS.filter((d) => d.vendor !== 'itwin');
const demoOf = (v: MongoVendor) => (v === 'atlas' ? ATLAS_DEMO : CLOUD_MANAGER_DEMO);

function setup(
  driver: Driver,
  extra: Record<string, unknown> = {},
): { connector: Connector; tenant: TenantConfig } {
  const secrets = new MemorySecrets({ [driver.secretName]: driver.secret });
  const connector = createConnectors({ secrets, retry: { baseDelayMs: 20, maxDelayMs: 200 } })[driver.vendor];
  return { connector, tenant: driver.tenant(sb, extra) };
}

/** The demo seed with each listed user's org roles replaced. */
function seedWithOrgRoles(vendor: MongoVendor, roles: Record<string, string[]>): void {
  const base = vendor === 'atlas' ? atlasDemoSeed : cloudManagerDemoSeed;
  const orgId = demoOf(vendor).orgId;
  const users = base.users!.map((u) =>
    roles[u.username] ? { ...u, orgRoles: [{ orgId, roles: roles[u.username]! }] } : u,
  );
  sb.control.seed({ [vendor]: { ...base, users } });
  sb.control.reset();
}

/** The worker's plan and waves (core/plan.ts), run wave after wave; skipped actions make no call. */
async function runPlan(
  connector: Connector,
  tenant: TenantConfig,
  grants: Grant[],
): Promise<PlannedAction[]> {
  const plan = planGrants(grants, { safety: { protectedEmails: [], protectedDomains: [] } });
  for (const wave of revocationWaves(plan)) {
    await Promise.all(
      wave.filter((a) => a.decision === 'revoke').map((a) => connector.revoke(a.grant, tenant, testCtx())),
    );
  }
  return plan;
}

const orgUserDeletes = (vendor: MongoVendor) =>
  sb.control.requests({ vendor, method: 'DELETE', path: `/orgs/${demoOf(vendor).orgId}/users/` });

describe.each(MONGO)('$vendor: the last owner of the organisation', (driver) => {
  const vendor = driver.vendor as MongoVendor;

  it('marks the leaver who is the only ORG_OWNER; the worker skips it and removes everything else', async () => {
    // The leaver is the only owner; a pending invitation with ORG_OWNER is no owner yet.
    seedWithOrgRoles(vendor, { [DANA]: ['ORG_OWNER'], [BREAKGLASS]: ['ORG_MEMBER'] });
    sb.control.vendorAction(vendor, 'add-org-invitation', {
      orgId: demoOf(vendor).orgId,
      username: 'owner.to.be@example.com',
      roles: ['ORG_OWNER'],
    });
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana], tenant, testCtx());
    const orgUser = grants.find((g) => g.kind === `${vendor}_org_user` && g.lastOwner);
    expect(orgUser).toBeDefined();
    expect(grants.filter((g) => g.lastOwner)).toEqual([orgUser]);
    const plan = await runPlan(connector, tenant, grants);
    expect(plan.find((a) => a.grant === orgUser)).toMatchObject({
      decision: 'skip',
      skipReason: 'last_owner',
    });
    expect(orgUserDeletes(vendor)).toEqual([]);
    expect(driver.holdings(sb, DANA)).toEqual(['org_user']);
  });

  it('does not mark an owner when another ACTIVE user of the org is an owner too', async () => {
    seedWithOrgRoles(vendor, { [DANA]: ['ORG_OWNER'], [BREAKGLASS]: ['ORG_OWNER'] });
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana], tenant, testCtx());
    expect(grants.some((g) => g.kind === `${vendor}_org_user`)).toBe(true);
    expect(grants.filter((g) => g.lastOwner)).toEqual([]);
    await runPlan(connector, tenant, grants);
    expect(orgUserDeletes(vendor).map((r) => r.status)).toEqual([204]);
    expect(driver.holdings(sb, DANA)).toEqual([]);
    expect(driver.holdings(sb, BREAKGLASS)).toEqual(['org_user']);
  });

  it('owners leaving together in one batch are all last owners when nobody else owns the org', async () => {
    seedWithOrgRoles(vendor, { [DANA]: ['ORG_OWNER'], [SAM]: ['ORG_OWNER'], [BREAKGLASS]: ['ORG_MEMBER'] });
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana, sam], tenant, testCtx());
    const last = grants.filter((g) => g.lastOwner);
    expect(last.map((g) => [g.kind, g.email]).sort()).toEqual([
      [`${vendor}_org_user`, DANA],
      [`${vendor}_org_user`, SAM],
    ]);
    await runPlan(connector, tenant, grants);
    expect(orgUserDeletes(vendor)).toEqual([]);
  });

  it('an ordinary member is never marked, whoever owns the org', async () => {
    seedWithOrgRoles(vendor, { [BREAKGLASS]: ['ORG_MEMBER'] }); // nobody owns it; dana is a member
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana], tenant, testCtx());
    expect(grants.filter((g) => g.lastOwner)).toEqual([]);
  });
});

describe.each(MONGO)('$vendor: the organisation user is removed last', (driver) => {
  const vendor = driver.vendor as MongoVendor;
  const { orgId, projectId, teamId } = demoOf(vendor);

  it('the worker plan puts the ACTIVE org user alone in the last wave', async () => {
    sb.control.seed(driver.seed());
    sb.control.reset();
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana], tenant, testCtx());
    const waves = revocationWaves(
      planGrants(grants, { safety: { protectedEmails: [], protectedDomains: [] } }),
    );
    const last = waves.at(-1)!;
    expect(last.map((a) => a.grant.kind)).toEqual([`${vendor}_org_user`]);
    expect(last[0]!.grant.order).toBe(
      vendor === 'atlas' ? ATLAS_ORDER.activeOrgUser : CLOUDMANAGER_ORDER.orgUser,
    );
    const before = waves
      .slice(0, -1)
      .flat()
      .map((a) => a.grant.kind);
    expect(before).toEqual(expect.arrayContaining([`${vendor}_project_user`, `${vendor}_team_user`]));
  });

  it('run wave by wave, the org user DELETE reaches the vendor after the project and team removals, all of them effective', async () => {
    sb.control.seed(driver.seed());
    sb.control.reset();
    const { connector, tenant } = setup(driver);
    const grants = await connector.discover([dana], tenant, testCtx());
    sb.control.clearRequests();
    await runPlan(connector, tenant, grants);
    const log = sb.control.requests({ vendor }).filter((r) => r.method !== 'GET');
    const activeOrgUser = idsOf(grants.find((g) => g.kind === `${vendor}_org_user`)!).userId!;
    const at = (re: RegExp) => log.findIndex((r) => re.test(r.path));
    const orgUser = at(new RegExp(`/orgs/${orgId}/users/${activeOrgUser}$`));
    const project = at(new RegExp(`/groups/${projectId}/users/`));
    const team = at(new RegExp(`/orgs/${orgId}/teams/${teamId}(:removeUser|/users/)`));
    expect(Math.min(orgUser, project, team)).toBeGreaterThanOrEqual(0);
    expect(orgUser).toBeGreaterThan(project);
    expect(orgUser).toBeGreaterThan(team);
    // Removing the org user first would have turned the other removals into 404s.
    const teamOk = vendor === 'atlas' ? 200 : 204; // Atlas :removeUser answers 200 with the user
    expect([log[project]!.status, log[team]!.status, log[orgUser]!.status]).toEqual([204, teamOk, 204]);
    expect(driver.holdings(sb, DANA)).toEqual([]);
  });
});

describe.each(MONGO)('$vendor: user listings without next links', (driver) => {
  const vendor = driver.vendor as MongoVendor;
  const zed = 'zed.last@example.com';

  it.each([
    ['with totalCount', true],
    ['without totalCount', false],
  ])(
    'reads past a full page that has no next link (%s) and finds the person on page 2',
    async (_n, count) => {
      sb.control.seed(driver.seed());
      sb.control.reset();
      driver.addMany(sb, 520, zed);
      // The vendor's `next` link is only inferred: a proxy strips it (and optionally totalCount).
      proxy = await startProxy({
        target: sb.url,
        rewrite: (_req, _status, body) => {
          if (!body || typeof body !== 'object' || !('results' in body)) return body;
          const b = { ...(body as Record<string, unknown>) };
          b.links = ((b.links as Array<{ rel: string }>) ?? []).filter((l) => l.rel !== 'next');
          if (!count) delete b.totalCount;
          return b;
        },
      });
      const base = vendor === 'atlas' ? sb.urls.atlas.base : sb.urls.cloudmanager.base;
      const { connector, tenant } = setup(driver, { baseUrl: base.replace(sb.url, proxy.url) });
      sb.control.clearRequests();
      const grants = await connector.discover([{ email: zed, aliases: [] }], tenant, testCtx());
      expect(grants.map((g) => g.kind)).toContain(`${vendor}_org_user`);
      const orgPages = sb.control
        .requests({ vendor, method: 'GET', path: `/orgs/${demoOf(vendor).orgId}/users$` })
        .map((r) => new URLSearchParams(r.query).get('pageNum'));
      expect(orgPages).toEqual(['1', '2']);
    },
  );
});

describe('atlas: a PENDING org user is revoked through the users endpoint when its invitation cannot be', () => {
  const driver = DRIVERS.find((d) => d.vendor === 'atlas')!;
  const { orgId } = ATLAS_DEMO;
  const invitationId = atlasDemoSeed.orgInvitations!.find((i) => i.username === DANA)!.id!;
  const pendingInvite = () =>
    (
      sb.control.state('atlas') as { orgInvitations: Array<{ id: string; status: string }> }
    ).orgInvitations.find((i) => i.id === invitationId && i.status === 'PENDING');

  async function viaProxy(intercept: Parameters<typeof startProxy>[0]['intercept']) {
    sb.control.seed(driver.seed());
    sb.control.reset();
    proxy = await startProxy({ target: sb.url, intercept });
    return setup(driver, { baseUrl: sb.urls.atlas.base.replace(sb.url, proxy.url) });
  }

  it('not in the invitation list: found as a PENDING org user (order 0) and removed with DELETE /orgs/{id}/users/{id}', async () => {
    const { connector, tenant } = await viaProxy((req) =>
      req.method === 'GET' && new URL(req.url, 'http://x').pathname.endsWith(`/orgs/${orgId}/invites`)
        ? { status: 200, body: [] }
        : undefined,
    );
    const grants = await connector.discover([dana], tenant, testCtx());
    const pending = grants.find((g) => g.kind === 'atlas_org_user' && g.ids.userId === invitationId);
    expect(pending).toMatchObject({ order: ATLAS_ORDER.pendingOrgUser });
    expect(grants.some((g) => g.kind === 'atlas_org_invitation')).toBe(false);
    sb.control.clearRequests();
    await runPlan(connector, tenant, grants);
    const deletes = sb.control.requests({ vendor: 'atlas', method: 'DELETE', path: `/orgs/${orgId}/users/` });
    expect(deletes.map((r) => [r.path.split('/').at(-1), r.status])).toEqual([
      [invitationId, 204],
      [idsOf(grants.find((g) => g.order === ATLAS_ORDER.activeOrgUser)!).userId, 204],
    ]);
    expect(pendingInvite()).toBeUndefined();
    expect(driver.holdings(sb, DANA)).toEqual([]);
  });

  it('the invitations endpoint answers 404 to the DELETE: the still-PENDING user is removed through the users endpoint', async () => {
    const { connector, tenant } = await viaProxy((req) =>
      req.method === 'DELETE' && req.url.includes(`/invites/${invitationId}`)
        ? { status: 404, body: { error: 404, errorCode: 'RESOURCE_NOT_FOUND', reason: 'Not Found' } }
        : undefined,
    );
    const grants = await connector.discover([dana], tenant, testCtx());
    const invitation = grants.find((g) => g.kind === 'atlas_org_invitation')!;
    expect(invitation.ids.invitationId).toBe(invitationId);
    sb.control.clearRequests();
    const result = await connector.revoke(invitation, tenant, testCtx());
    expect(result.outcome).toBe('revoked');
    const log = sb.control.requests({ vendor: 'atlas', path: `/orgs/${orgId}/users/${invitationId}$` });
    expect(log.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['DELETE', 204],
    ]);
    expect(pendingInvite()).toBeUndefined();
    // Again: the pending user is gone now, so the invitation is already absent (no second DELETE).
    sb.control.clearRequests();
    expect((await connector.revoke(invitation, tenant, testCtx())).outcome).toBe('already_absent');
    expect(sb.control.requests({ vendor: 'atlas', method: 'DELETE' })).toEqual([]);
  });

  it('an invitation accepted meanwhile is already_absent and the new ACTIVE user is not removed out of order', async () => {
    const { connector, tenant } = await viaProxy(() => undefined);
    const grants = await connector.discover(
      [{ email: 'new.hire@example.com', aliases: [] }],
      tenant,
      testCtx(),
    );
    const invitation = grants.find((g) => g.kind === 'atlas_org_invitation')!;
    sb.control.vendorAction('atlas', 'accept-invitation', { invitationId: invitation.ids.invitationId });
    sb.control.clearRequests();
    expect((await connector.revoke(invitation, tenant, testCtx())).outcome).toBe('already_absent');
    expect(sb.control.requests({ vendor: 'atlas', method: 'DELETE' }).map((r) => r.status)).toEqual([404]);
    expect(driver.holdings(sb, 'new.hire@example.com')).toContain('org_user');
  });
});
