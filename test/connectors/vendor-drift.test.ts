/**
 * Vendor drift at the connector level, against the sandbox over HTTP: every listing a discovery
 * decides on, answered with a renamed field, a missing array, a wrong type or a 200 HTML page
 * (the sandbox's `mangle` fault), fails the discovery with vendor_unexpected_response instead of
 * finding nothing; no email reaches the error. Fields the vendor adds are accepted. The inventory
 * listing (every person's grants, scope by scope) reads the same answers through the same schemas
 * and fails the same way: an unreadable listing never becomes "nobody holds anything here".
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import type { TenantConfig } from '../../lambdas/core/config.ts';
import { LeaverError } from '../../lambdas/core/errors.ts';
import { type Grant, grantKey, grantPhase, type Subject } from '../../lambdas/core/model.ts';
import type { Connector } from '../../lambdas/core/ports.ts';
import type { MangleShape } from '../../sandbox/core/mangle.ts';
import { ATLAS_DEMO, atlasDemoSeed } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, type Driver } from './support/drivers.ts';
import { MemorySecrets } from './support/memory-secrets.ts';
import { startProxy } from './support/proxy.ts';
import type { TestServer } from './support/test-server.ts';

const dana: Subject = { email: DANA, aliases: [] };

/** One listing a discovery reads: the sandbox path (regex below the vendor root) and a field it decides on. */
interface Listing {
  name: string;
  path: string;
  field: string;
}

const LISTINGS: Record<Driver['vendor'], Listing[]> = {
  itwin: [
    { name: 'iTwins', path: '^/itwins$', field: 'id' },
    { name: 'member invitations', path: '/members/invitations$', field: 'email' },
    { name: 'user members', path: '/members/users$', field: 'email' },
    { name: 'owner members', path: '/members/owners$', field: 'email' },
    { name: 'groups', path: '/groups$', field: 'members' },
    { name: 'group invitations', path: '/groups/[^/]+/invitations$', field: 'status' },
  ],
  atlas: [
    { name: 'org invitations', path: '/orgs/[^/]+/invites$', field: 'username' },
    { name: 'project invitations', path: '/groups/[^/]+/invites$', field: 'username' },
    { name: 'org users', path: '/orgs/[^/]+/users$', field: 'username' },
    { name: 'project users', path: '/groups/[^/]+/users$', field: 'orgMembershipStatus' },
    { name: 'team users', path: '/teams/[^/]+/users$', field: 'id' },
  ],
  cloudmanager: [
    { name: 'org invitations', path: '/orgs/[^/]+/invites$', field: 'username' },
    { name: 'project invitations', path: '/groups/[^/]+/invites$', field: 'id' },
    { name: 'org users', path: '/orgs/[^/]+/users$', field: 'username' },
    { name: 'project users', path: '/groups/[^/]+/users$', field: 'username' },
    { name: 'team users', path: '/teams/[^/]+/users$', field: 'username' },
  ],
};

/** The fields the last-owner check reads: renamed, the org user listing must fail too. */
const OWNER_FIELDS: Partial<Record<Driver['vendor'], Listing>> = {
  atlas: { name: 'org users', path: '/orgs/[^/]+/users$', field: 'orgRoles' },
  cloudmanager: { name: 'org users', path: '/orgs/[^/]+/users$', field: 'roles' },
};

const SHAPES: MangleShape[] = ['rename-field', 'drop-array', 'wrong-type', 'html'];

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

/** Lists every inventory scope of the tenant; the error it fails with. */
async function inventoryError(connector: Connector, tenant: TenantConfig): Promise<LeaverError> {
  const listAll = async () => {
    let n = 0;
    for (const scope of await connector.scopes!(tenant, testCtx())) {
      n += (await connector.inventory!(tenant, scope, testCtx())).length;
    }
    return n;
  };
  const err = await listAll().then(
    (n) => new Error(`the inventory listing succeeded with ${n} grants`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LeaverError);
  return err as LeaverError;
}

async function discoveryError(connector: Connector, tenant: TenantConfig): Promise<LeaverError> {
  const err = await connector.discover([dana], tenant, testCtx()).then(
    (grants) => new Error(`discovery succeeded with ${grants.length} grants`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LeaverError);
  return err as LeaverError;
}

/** The worker's order: invitations first, then memberships by Grant.order; last owners left. */
function workerOrder(grants: Grant[]): Grant[] {
  const phase = (g: Grant) => (grantPhase(g) === 'invitation' ? 0 : 1);
  return grants
    .filter((g) => !g.lastOwner)
    .sort((a, b) => phase(a) - phase(b) || (a.order ?? 0) - (b.order ?? 0));
}

describe.each(DRIVERS)('$vendor: a listing that does not match its schema', (driver) => {
  beforeEach(() => {
    sb.control.seed(driver.seed());
    sb.control.reset();
  });

  /** Mangles the vendor's answers to `l` in `shape` (a missing array is the listing's own). */
  const mangle = (l: Listing, shape: MangleShape) =>
    sb.control.addFault({
      type: 'mangle',
      vendor: driver.vendor,
      pathPattern: l.path,
      shape,
      ...(shape === 'drop-array' ? {} : { field: l.field }),
    });

  const cases = [
    ...LISTINGS[driver.vendor].flatMap((l) => SHAPES.map((shape) => [l.name, shape, l] as const)),
    ...(OWNER_FIELDS[driver.vendor]
      ? [
          [
            `${OWNER_FIELDS[driver.vendor]!.field} of org users`,
            'rename-field',
            OWNER_FIELDS[driver.vendor]!,
          ] as const,
        ]
      : []),
  ];

  it.each(cases)(
    '%s, %s: discovery fails with vendor_unexpected_response, naming no email',
    async (_n, shape, l) => {
      const { connector, tenant } = setup(driver);
      // The other shapes touch the field the listing decides on.
      const ruleId = mangle(l, shape);
      const err = await discoveryError(connector, tenant);
      expect(err.code).toBe('vendor_unexpected_response');
      expect(err.retryable).toBe(true);
      expect(err.details).toMatchObject({ vendor: driver.vendor, tenantId: tenant.id, method: 'GET' });
      const text = `${err.message} ${JSON.stringify(err.details)}`;
      expect(text).not.toMatch(/@/);
      if (shape === 'rename-field') expect(err.message).toContain(`${l.field}: missing`);
      if (shape === 'html') expect(err.message).toContain('not JSON');
      // The mangled answer is what failed it (the rule fired, once: nothing was read past it).
      const hit = sb.control.requests({ vendor: driver.vendor }).filter((r) => r.fault === ruleId);
      expect(hit.length).toBeGreaterThanOrEqual(1);
      expect(hit.every((r) => r.status === 200)).toBe(true);
    },
  );

  it.each(LISTINGS[driver.vendor].flatMap((l) => SHAPES.map((shape) => [l.name, shape, l] as const)))(
    'inventory listing, %s, %s: fails with vendor_unexpected_response, naming no email',
    async (_n, shape, l) => {
      const { connector, tenant } = setup(driver);
      const ruleId = mangle(l, shape);
      const err = await inventoryError(connector, tenant);
      expect(err.code).toBe('vendor_unexpected_response');
      expect(`${err.message} ${JSON.stringify(err.details)}`).not.toMatch(/@/);
      expect(sb.control.requests({ vendor: driver.vendor }).some((r) => r.fault === ruleId)).toBe(true);
    },
  );

  it('fields the vendor adds are accepted: the same grants are found, and every one revokes', async () => {
    const { connector, tenant } = setup(driver);
    const plain = await connector.discover([dana], tenant, testCtx());
    expect(plain.length).toBeGreaterThan(0);
    const ruleId = sb.control.addFault({ type: 'mangle', vendor: driver.vendor, shape: 'extra-fields' });
    const extra = await connector.discover([dana], tenant, testCtx());
    expect(extra.map(grantKey).sort()).toEqual(plain.map(grantKey).sort());
    expect(sb.control.requests({ vendor: driver.vendor }).some((r) => r.fault === ruleId)).toBe(true);
    for (const g of workerOrder(extra)) {
      expect((await connector.revoke(g, tenant, testCtx())).outcome, g.kind).toBe('revoked');
    }
  });
});

describe('answers read while revoking', () => {
  it('iTwin: a group listing that does not match fails the removal and sends no PATCH', async () => {
    const driver = DRIVERS.find((d) => d.vendor === 'itwin')!;
    sb.control.seed(driver.seed());
    sb.control.reset();
    const { connector, tenant } = setup(driver);
    const membership = (await connector.discover([dana], tenant, testCtx())).find(
      (g) => g.kind === 'itwin_group_membership',
    )!;
    for (const shape of SHAPES) {
      sb.control.clearFaults();
      sb.control.addFault({
        type: 'mangle',
        vendor: 'itwin',
        method: 'GET',
        pathPattern: '/groups$',
        shape,
        ...(shape === 'drop-array' ? {} : { field: 'email' }),
      });
      const err = await connector.revoke(membership, tenant, testCtx()).catch((e: unknown) => e);
      expect(err, shape).toMatchObject({ code: 'vendor_unexpected_response' });
    }
    expect(sb.control.requests({ vendor: 'itwin', method: 'PATCH' })).toEqual([]);
    expect(driver.holdings(sb, DANA).some((h) => h.startsWith('group_membership@'))).toBe(true);
  });

  it('Atlas: the pending-user lookup after a lost invitation fails when the user answer does not match', async () => {
    const driver = DRIVERS.find((d) => d.vendor === 'atlas')!;
    sb.control.seed(driver.seed());
    sb.control.reset();
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
    sb.control.addFault({
      type: 'mangle',
      vendor: 'atlas',
      method: 'GET',
      pathPattern: `/orgs/${ATLAS_DEMO.orgId}/users/${invitationId}$`,
      shape: 'rename-field',
      field: 'orgMembershipStatus',
    });
    sb.control.clearRequests();
    const err = await connector.revoke(invitation, tenant, testCtx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vendor_unexpected_response' });
    // Not taken for "no longer pending": nothing was reported absent, and the pending user is still there.
    expect(sb.control.requests({ vendor: 'atlas', method: 'DELETE' })).toEqual([]);
    expect(driver.holdings(sb, DANA)).toContain('org_invitation');
  });
});
