/** iTwin group specifics against the sandbox: PATCH keeps everyone else; targeted group-member removal. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import type { Grant } from '../../lambdas/core/model.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { DEMO_GROUP_ENGINEERS, DEMO_GROUP_REVIEWERS, DEMO_ITWIN_1 } from '../../sandbox/itwin/demo.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, itwinState, SAM } from './support/drivers.ts';
import { MemorySecrets } from './support/memory-secrets.ts';

const driver = DRIVERS.find((d) => d.vendor === 'itwin')!;
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 'empty' });
});
afterAll(async () => sb.close());

const group = (id: string) =>
  itwinState(sb)
    .itwins.find((t) => t.id === DEMO_ITWIN_1)!
    .groups.find((g) => g.id === id)!;

describe('iTwin groups', () => {
  let connector: ReturnType<typeof createConnectors>['itwin'];
  beforeEach(() => {
    sb.control.seed(driver.seed());
    sb.control.reset();
    connector = createConnectors({
      secrets: new MemorySecrets({ [driver.secretName]: driver.secret }),
    }).itwin;
  });

  it('removes the leaver from a group by PATCH, keeping every other member', async () => {
    const tenant = driver.tenant(sb);
    const grants = await connector.discover([{ email: DANA, aliases: [] }], tenant, testCtx());
    const g = grants.find(
      (x) => x.kind === 'itwin_group_membership' && x.ids.groupId === DEMO_GROUP_REVIEWERS,
    )!;
    const others = group(DEMO_GROUP_REVIEWERS)
      .members.map((m) => m.email)
      .filter((e) => e !== DANA);
    expect(others).toContain(SAM);
    sb.control.clearRequests();
    expect((await connector.revoke(g, tenant, testCtx())).outcome).toBe('revoked');
    expect(
      group(DEMO_GROUP_REVIEWERS)
        .members.map((m) => m.email)
        .sort(),
    ).toEqual(others.sort());
    // Read fresh (the paged group list, whose member lists are not capped), one PATCH, then the
    // read that verifies it; the token from discovery is reused.
    expect(sb.control.requests({ vendor: 'itwin' }).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'PATCH 200',
      'GET 200',
    ]);
    expect((await connector.revoke(g, tenant, testCtx())).outcome).toBe('already_absent');
    expect(sb.control.requests({ vendor: 'itwin', method: 'PATCH' })).toHaveLength(1);
  });

  it('refuses to PATCH a group whose remaining members exceed the vendor limit of 50 (nobody dropped)', async () => {
    const tenant = driver.tenant(sb);
    const crowd = Array.from({ length: 60 }, (_, i) => `crowd${i}@example.com`);
    const big = sb.control.vendorAction('itwin', 'add-group', {
      itwinId: DEMO_ITWIN_1,
      name: 'Everyone',
      members: [...crowd, DANA],
    }) as { id: string };
    const before = group(big.id).members.length;
    const g: Grant = {
      vendor: 'itwin',
      tenantId: tenant.id,
      kind: 'itwin_group_membership',
      email: DANA,
      ids: { itwinId: DEMO_ITWIN_1, groupId: big.id },
    };
    const err = await connector.revoke(g, tenant, testCtx()).catch((e) => e);
    expect(err).toMatchObject({
      code: 'vendor_bad_request',
      details: { reason: 'group_patch_limit', limit: 50 },
    });
    expect(before).toBe(61);
    expect(group(big.id).members.length).toBe(before);
    expect(sb.control.requests({ vendor: 'itwin', method: 'PATCH' })).toEqual([]);
  });

  it('removes a group from an iTwin (targeted itwin_group_member), then already_absent', async () => {
    const tenant = driver.tenant(sb);
    expect(group(DEMO_GROUP_ENGINEERS).memberRoleIds).not.toBeNull();
    const g: Grant = {
      vendor: 'itwin',
      tenantId: tenant.id,
      kind: 'itwin_group_member',
      email: DANA,
      ids: { itwinId: DEMO_ITWIN_1, groupId: DEMO_GROUP_ENGINEERS },
    };
    expect((await connector.revoke(g, tenant, testCtx())).outcome).toBe('revoked');
    expect(group(DEMO_GROUP_ENGINEERS).memberRoleIds).toBeNull();
    expect((await connector.revoke(g, tenant, testCtx())).outcome).toBe('already_absent');
    const deletes = sb.control.requests({ vendor: 'itwin', method: 'DELETE' });
    expect(deletes.map((d) => [d.path.replace(/[0-9a-f-]{36}/g, '{id}'), d.status])).toEqual([
      ['/accesscontrol/itwins/{id}/members/groups/{id}', 204],
      ['/accesscontrol/itwins/{id}/members/groups/{id}', 404],
    ]);
  });

  it('marks the only owner as lastOwner, and not an owner with a co-owner', async () => {
    const grants = await connector.discover([{ email: DANA, aliases: [] }], driver.tenant(sb), testCtx());
    const owners = grants.filter((g) => g.kind === 'itwin_owner_member');
    expect(owners.map((g) => [g.ids.itwinId!.slice(-1), g.lastOwner === true]).sort()).toEqual([
      ['1', false],
      ['2', true],
    ]);
  });
});
