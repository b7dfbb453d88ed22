/**
 * GET /v1/access against the local runtime (dynalite inventory, the sandbox's demo data): before
 * any sync the tenants show as not covered; after a sync every grant the demo leaver holds is
 * listed with its vendor, tenant and freshness; bad input is a 400 that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../lambdas/api/openapi.ts';
import { ROUTES } from '../../lambdas/api/routes.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { call, DANA, SAM, startRuntime } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

describe('GET /v1/access', () => {
  it('before the first sync: no grants known, and every tenant says it is not covered yet', async () => {
    const res = await call('GET', `/v1/access?email=${encodeURIComponent(DANA)}`);
    expect(res.status).toBe(200);
    expect(res.body.grants).toEqual([]);
    expect(res.body.tenants.map((t: { tenantId: string }) => t.tenantId).sort()).toEqual(
      rt.config.tenants.map((t) => t.id).sort(),
    );
    for (const t of res.body.tenants) expect(t.lastSyncAt).toBeUndefined();
  });

  it('after a sync: every grant the person holds, vendor and tenant, with when its scope was listed', async () => {
    const before = new Date().toISOString();
    await rt.runSchedule('inventory-sync');
    const res = await call('GET', `/v1/access?email=${encodeURIComponent(DANA.toUpperCase())}`);
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(DANA);
    const vendors = new Set(res.body.grants.map((g: { vendor: string }) => g.vendor));
    expect(vendors).toEqual(new Set(['itwin', 'atlas', 'cloudmanager']));
    expect(res.body.counts.grants).toBe(res.body.grants.length);
    expect(res.body.counts.invitations).toBeGreaterThan(0);
    for (const g of res.body.grants) {
      expect(g.email).toBe(DANA);
      expect(g.syncedAt >= before).toBe(true);
    }
    for (const t of res.body.tenants) expect(t.lastSyncAt >= before).toBe(true);
    // What the inventory knows matches what a discovery of the vendors finds.
    const plan = await call('POST', '/v1/preview', { body: { email: DANA } });
    expect(res.body.grants.map((g: { grantKey: string }) => g.grantKey).sort()).toEqual(
      plan.body.items.map((i: { grantKey: string }) => i.grantKey).sort(),
    );
    // A colleague's access is not in Dana's answer.
    const sam = await call('GET', `/v1/access?email=${encodeURIComponent(SAM)}`);
    expect(sam.body.grants.length).toBeGreaterThan(0);
    expect(sam.body.grants.every((g: { email: string }) => g.email === SAM)).toBe(true);
  });

  it('refuses a malformed email, a missing one and unknown parameters with 400', async () => {
    for (const q of ['?email=not-an-email', '', '?email=dana%40example.com&x=1', '?email=']) {
      const res = await call('GET', `/v1/access${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.code).toBe('invalid_request');
    }
  });

  it('needs credentials like every other /v1 route', async () => {
    expect((await call('GET', `/v1/access?email=${DANA}`, { token: null })).status).toBe(401);
  });

  it('is in the OpenAPI document', () => {
    const doc = buildOpenApi(ROUTES, { version: 'test' }) as {
      paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ name: string }> }>>;
    };
    expect(doc.paths['/v1/access']?.get?.operationId).toBe('getAccess');
    expect(doc.paths['/v1/access']?.get?.parameters?.map((p) => p.name)).toEqual(['email']);
  });
});
