/**
 * The scheduled handlers (due sweep, retry sweep, reconciliation, inventory sync) against
 * moto_server fail loudly: when the store cannot be read, when the queue refuses the work they
 * found, or when reconciliation or the inventory sync cannot read a tenant, the handler rejects, so Lambda counts an error (alarmed)
 * instead of reporting success. Failures are provoked over the wire: a table or a queue that does
 * not exist in moto, a tenant whose secret does not exist.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoInventoryStore } from '../../../lambdas/adapters/dynamo-inventory-store.ts';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { resetConfigCache } from '../../../lambdas/handlers/config-loader.ts';
import { handler as dueSweep } from '../../../lambdas/handlers/due-sweep.ts';
import { handler as inventorySync } from '../../../lambdas/handlers/inventory-sync.ts';
import { handler as reconcile } from '../../../lambdas/handlers/reconcile.ts';
import { handler as retrySweep } from '../../../lambdas/handlers/retry-sweep.ts';
import { setDeps } from '../../../lambdas/handlers/wiring.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { offboarding } from '../adapters/support.ts';
import { applyEnv, captureOutput, lambdaContext, type MotoEnv, setupMoto } from './support.ts';

const endpoint = inject('motoEndpoint');
let moto: MotoEnv;
let store: DynamoOffboardingStore;

const TENANT = {
  id: 'cm-unreadable',
  vendor: 'cloudmanager' as const,
  // Never reached: the tenant's secret does not exist, so its discovery fails before any call.
  baseUrl: 'http://127.0.0.1:9/api/public/v1.0',
  orgId: '5e0a1b2c3d4e5f6a7b8c9d0e',
  projectIds: [] as string[],
  teamIds: [] as string[],
};

beforeAll(async () => {
  moto = await setupMoto(endpoint, {}, (prefix) => ({
    tenants: [{ ...TENANT, secretName: `${prefix}/tenants/never-created` }],
  }));
  store = new DynamoOffboardingStore({ client: moto.dynamo, tableName: moto.tables.offboardingsTable });
});

afterAll(() => moto.close());

afterEach(() => {
  applyEnv(moto.env);
  resetConfigCache();
  setDeps(undefined);
});

/** Builds the handlers' dependencies from `env`, as a cold start in AWS does. */
function coldStart(env: Record<string, string>) {
  applyEnv(env);
  resetConfigCache();
  setDeps(undefined);
}

const tick = (name: string): ScheduledEvent => ({
  version: '0',
  id: `test-${name}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [`arn:aws:events:us-east-1:123456789012:rule/${name}`],
  detail: {},
});

const RUNS = {
  'due sweep': () => dueSweep(tick('due'), lambdaContext('leaver-due-sweep')),
  'retry sweep': () => retrySweep(tick('retry'), lambdaContext('leaver-retry-sweep')),
  reconciliation: () => reconcile(tick('reconcile'), lambdaContext('leaver-reconcile', 60_000)),
};

/** Runs `fn` with Powertools' output captured; returns what it wrote. */
async function quietly<T>(fn: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; text: string }> {
  const out = captureOutput();
  try {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, text: out.text() };
  } finally {
    out.restore();
  }
}

describe.each(Object.entries(RUNS))('the %s handler', (_name, run) => {
  it('rejects when the offboardings table cannot be read', async () => {
    coldStart({ ...moto.env, OFFBOARDINGS_TABLE: `${moto.prefix}-no-such-table` });
    const { result } = await quietly(run);
    expect(result.status).toBe('rejected');
  });
});

describe('the due sweep', () => {
  it('succeeds and enqueues when everything works (the control for the failures below)', async () => {
    const due = offboarding({ status: 'scheduled', effectiveAt: '2020-01-01T00:00:00.000Z' });
    await store.create(due);
    coldStart(moto.env);
    const { result } = await quietly(RUNS['due sweep']);
    expect(result.status).toBe('fulfilled');
    expect(await moto.receiveIds()).toContain(due.id);
  });

  it('rejects with schedule_incomplete when the queue refuses what it found, and logs an ERROR', async () => {
    const due = offboarding({ status: 'scheduled', effectiveAt: '2020-01-01T00:00:00.000Z' });
    await store.create(due);
    coldStart({ ...moto.env, QUEUE_URL: `${moto.queueUrl}-no-such-queue` });
    const { result, text } = await quietly(RUNS['due sweep']);
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'schedule_incomplete' });
    expect(text).toMatch(/"level":"ERROR"[^\n]*due sweep did not finish its work/);
    // Nothing is lost: it is still scheduled, and the next tick enqueues it.
    expect((await store.get(due.id))?.status).toBe('scheduled');
    coldStart(moto.env);
    expect((await quietly(RUNS['due sweep'])).result.status).toBe('fulfilled');
    expect(await moto.receiveIds()).toContain(due.id);
  });
});

describe('the retry sweep', () => {
  it('rejects when the queue refuses an offboarding it moved back to scheduled', async () => {
    const failed = offboarding({
      status: 'completed_with_failures',
      attempts: 1,
      nextRetryAt: '2020-01-01T00:00:00.000Z',
      effectiveAt: '2020-01-01T00:00:00.000Z',
    });
    await store.create(failed);
    coldStart({ ...moto.env, QUEUE_URL: `${moto.queueUrl}-no-such-queue` });
    const { result } = await quietly(RUNS['retry sweep']);
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'schedule_incomplete' });
    // Left scheduled and due: the due sweep picks it up.
    expect((await store.get(failed.id))?.status).toBe('scheduled');
  });
});

describe('reconciliation', () => {
  it('rejects when a tenant could not be read for a recent leaver', async () => {
    const now = new Date();
    await store.create(
      offboarding({
        status: 'completed',
        effectiveAt: now.toISOString(),
        receivedAt: now.toISOString(),
        finishedAt: now.toISOString(),
      }),
    );
    coldStart(moto.env);
    const { result, text } = await quietly(RUNS.reconciliation);
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({
      code: 'schedule_incomplete',
      details: { unreadTenants: 1 },
    });
    expect(text).toContain('reconciliation did not finish its work');
  });
});

describe('the inventory sync', () => {
  it('rejects with schedule_incomplete when a tenant could not be read, records the error on the tenant, and logs an ERROR', async () => {
    const inventoryTable = `${moto.prefix}-inventory`;
    await createTables(moto.dynamo, { ...moto.tables, inventoryTable });
    coldStart({ ...moto.env, INVENTORY_TABLE: inventoryTable });
    const { result, text } = await quietly(() =>
      inventorySync(tick('inventory'), lambdaContext('leaver-inventory-sync', 60_000)),
    );
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toMatchObject({
      code: 'schedule_incomplete',
      details: { unreadTenants: 1 },
    });
    expect(text).toMatch(/"level":"ERROR"[^\n]*inventory sync did not finish its work/);
    // Nothing was taken for "no grants": the tenant has no completed pass, and says why.
    const inventory = new DynamoInventoryStore({ client: moto.dynamo, tableName: inventoryTable });
    const state = (await inventory.tenants()).find((t) => t.tenantId === TENANT.id);
    expect(state?.lastSyncAt).toBeUndefined();
    expect(state?.lastErrorCode).toMatch(/^vendor_/);
  });
});
