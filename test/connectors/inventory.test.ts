/**
 * The connectors' inventory listing against the sandbox over HTTP: every person's grants of a
 * tenant, matched afterwards, equal what `discover` finds for the leaver (same listings, the same
 * last-owner verdict); a listing that does not parse throws; and the inventory sync spends at most
 * its share of the tenant's rate (measured on a clock that moves only when the code sleeps).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import { syncInventory } from '../../lambdas/core/inventory-sync.ts';
import { grantsFor, listTenant } from '../../lambdas/core/listings.ts';
import { grantKey, type Subject } from '../../lambdas/core/model.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { MemoryInventory } from '../support/memory-inventory.ts';
import { memoryDeps } from '../support/memory-ports.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, type Driver } from './support/drivers.ts';
import { fakeTiming } from './support/http.ts';
import { MemorySecrets } from './support/memory-secrets.ts';

const dana: Subject = { email: DANA, aliases: [] };
const keys = (gs: Array<Parameters<typeof grantKey>[0] & { lastOwner?: boolean }>) =>
  gs.map((g) => `${grantKey(g)}${g.lastOwner ? ' last-owner' : ''}`).sort();

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 'empty' });
});
afterAll(async () => {
  await sb.close();
});

describe.each(DRIVERS)('$vendor inventory listing', (driver: Driver) => {
  beforeEach(() => {
    sb.control.seed(driver.seed());
    sb.control.reset();
  });

  it('holds exactly what discovery finds for the leaver, last-owner verdicts included', async () => {
    const connector = createConnectors({
      secrets: new MemorySecrets({ [driver.secretName]: driver.secret }),
    })[driver.vendor];
    const tenant = driver.tenant(sb);
    const discovered = await connector.discover([dana], tenant, testCtx());
    const listing = await listTenant(connector, tenant, testCtx(), Date.now);
    expect(keys(grantsFor(listing.grants, [dana]))).toEqual(keys(discovered));
    // Everyone's grants: more people than the leaver.
    expect(listing.people).toBeGreaterThan(1);
  });

  it('throws when a listing cannot be read (never an empty inventory)', async () => {
    const connector = createConnectors({
      secrets: new MemorySecrets({ [driver.secretName]: driver.secret }),
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    })[driver.vendor];
    sb.control.addFault({
      vendor: driver.vendor,
      type: 'error',
      status: 500,
      method: 'GET',
      pathPattern: 'users|members',
    });
    await expect(listTenant(connector, driver.tenant(sb), testCtx(), Date.now)).rejects.toMatchObject({
      code: 'vendor_unavailable',
    });
  });
});

describe('the inventory sync within its rate share', () => {
  it('lists a tenant at no more than inventory.rateShare of its rate and burst', async () => {
    const driver = DRIVERS.find((d) => d.vendor === 'cloudmanager')!;
    const seed = driver.seed() as {
      cloudmanager: { projects?: Array<{ id: string; orgId: string; name: string }> };
    };
    const org = (driver.tenant(sb) as { orgId: string }).orgId;
    // 30 projects: 2 + 2 x 30 listing calls at least.
    const projects = Array.from({ length: 30 }, (_, i) => ({
      id: `5f1a${String(i).padStart(20, '0')}`,
      orgId: org,
      name: `P${i}`,
    }));
    seed.cloudmanager.projects = [...(seed.cloudmanager.projects ?? []), ...projects];
    sb.control.seed(seed);
    sb.control.reset();
    const timing = fakeTiming();
    const tenant = driver.tenant(sb, {
      projectIds: projects.map((p) => p.id),
      rateLimit: { perSecond: 10, burst: 10 },
    });
    const deps = memoryDeps({ config: { tenants: [tenant], inventory: { rateShare: 0.5 } } });
    const full = Object.assign(deps, {
      inventory: new MemoryInventory(),
      connectors: createConnectors({
        secrets: new MemorySecrets({ [driver.secretName]: driver.secret }),
        timing,
      }),
    });
    const start = timing.now();
    const at: number[] = [];
    const ctx = {
      deadline: Date.now() + 3_600_000,
      log: deps.log,
      onVendorCall: () => at.push(timing.now() - start),
    };
    const r = await syncInventory(full, ctx, { owner: 'p', force: true });
    expect(r.tenants[0]).toMatchObject({ status: 'synced' });
    const calls = sb.control
      .requests({ vendor: 'cloudmanager', path: driver.apiPath })
      .filter((e) => e.status !== 401);
    expect(calls.length).toBeGreaterThanOrEqual(62);
    // Half the burst (5) at once, then half the rate (5/s): never more by any moment of the run.
    const api = at.slice(at.length - calls.length);
    api.forEach((t, i) => {
      expect(i + 1, `call ${i + 1} at ${t} ms`).toBeLessThanOrEqual(5 + (5 * t) / 1000 + 1);
    });
    // And it used that share: the run took about (calls - 5) / 5 seconds, not twice that.
    expect(timing.now() - start).toBeLessThanOrEqual(((calls.length - 5) / 5) * 1000 + 1000);
  });
});
