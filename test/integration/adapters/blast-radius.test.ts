/**
 * The blast-radius counters on moto_server (and dynalite, the local runtime's DynamoDB): the
 * count-in-window limit holds across processes admitting at the same time, because each start is
 * one conditional write on the window's counter item (no read-then-write, no transactions). Also
 * the store's alias index and named cursors.
 *
 * DynamoDB applies each request atomically; moto_server does not when requests arrive at the same
 * moment (its threads interleave inside one UpdateItem and lose updates). So the "processes" here
 * share one HTTP connection: moto then sees one request at a time, as DynamoDB would apply them,
 * while the processes' own steps (reads, decisions, writes) interleave freely, which is what a
 * read-then-write limit gets wrong.
 */
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { admit } from '../../../lambdas/core/admission.ts';
import { acceptHrEvents } from '../../../lambdas/core/intake.ts';
import type { Ctx } from '../../../lambdas/core/ports.ts';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { fakeRegistry } from '../../support/fake-connector.ts';
import { memoryDeps, type TestDeps } from '../../support/memory-ports.ts';
import { awsConfig, credentials, dynamoClient, offboarding, region, uniqueName } from './support.ts';

const endpoint = inject('motoEndpoint');
const oneConnection = new Agent({ keepAlive: true, maxSockets: 1 });
/** A client of one more process: requests of all of them go over the one connection (see above). */
const processClient = () =>
  new DynamoDBClient({
    ...awsConfig(endpoint),
    maxAttempts: 2,
    requestHandler: { httpAgent: oneConnection },
  });
let client: DynamoDBClient;
const tableName = uniqueName('blast');

beforeAll(async () => {
  client = dynamoClient(endpoint);
  await createTables(client, { offboardingsTable: tableName, auditTable: uniqueName('audit-unused') });
});

afterAll(() => {
  client.destroy();
  oneConnection.destroy();
});

/** One worker process: its own store client on the shared table, the rest in memory. */
function worker(limit: number, shared?: TestDeps): TestDeps {
  const deps = memoryDeps({
    config: { safety: { blastRadius: { maxOffboardings: limit, windowMinutes: 60 } } },
    connectors: fakeRegistry(),
  });
  const store = new DynamoOffboardingStore({ client: processClient(), tableName });
  return {
    ...deps,
    ...(shared ? { audit: shared.audit, clock: shared.clock } : {}),
    store,
  } as unknown as TestDeps;
}

const ctxOf = (deps: TestDeps): Ctx => ({ deadline: deps.clock.now().getTime() + 60_000, log: deps.log });

describe('count in window, across processes', () => {
  it('8 workers admitting 24 fresh offboardings at once start exactly N; the rest are quarantined', async () => {
    const limit = 5;
    const first = worker(limit);
    // Intake through one process (the offboardings table is shared by all).
    const events = Array.from({ length: 24 }, (_, i) => ({
      kind: 'terminate' as const,
      source: 'standard',
      sourceEventId: `burst-${i}-${tableName}`,
      subject: { email: `burst${i}@example.com`, aliases: [] },
      occurredAt: first.clock.now().toISOString(),
    }));
    const intake = await acceptHrEvents(first, events, { type: 'hr', id: 'standard' });
    const ids = intake.map((r) => r.offboardingId!);
    const workers = Array.from({ length: 8 }, () => worker(limit, first));
    // Each worker gets 3 of the ids; all admit at the same moment.
    const admissions = await Promise.all(
      workers.map((w, i) => admit(w, ids.slice(i * 3, i * 3 + 3), ctxOf(w))),
    );
    const claimed = admissions.flatMap((a) => a.claimed.map((o) => o.id));
    expect(claimed).toHaveLength(limit);
    const statuses = await Promise.all(ids.map(async (id) => (await first.store.get(id))!.status));
    expect(statuses.filter((s) => s === 'running')).toHaveLength(limit);
    expect(statuses.filter((s) => s === 'quarantined')).toHaveLength(ids.length - limit);
    // A redelivery of a started one claims no second slot; nothing more starts in this window.
    const again = await admit(worker(limit, first), [claimed[0]!], ctxOf(first));
    expect(again.claimed.map((o) => o.id)).toEqual([]); // still running under its lease
  });

  it('addToBoundedSet: 30 concurrent single adds with max 7 let exactly 7 in; re-adding a member is idempotent', async () => {
    const stores = Array.from(
      { length: 6 },
      () => new DynamoOffboardingStore({ client: processClient(), tableName }),
    );
    const key = `test:${tableName}:a`;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores[i % stores.length]!.addToBoundedSet(key, [`m${i}`], 7)),
    );
    expect(results.filter((r) => r.added)).toHaveLength(7);
    const admitted = results.flatMap((r, i) => (r.added ? [`m${i}`] : []));
    const again = await stores[0]!.addToBoundedSet(key, [admitted[0]!], 7);
    expect(again.added).toBe(true);
    expect(again.members.sort()).toEqual([...admitted].sort());
    expect((await stores[1]!.addToBoundedSet(key, ['late'], 7)).added).toBe(false);
  });

  it('addToBoundedSet with several members: all or none, members already in count once', async () => {
    const store = new DynamoOffboardingStore({ client, tableName });
    const key = `test:${tableName}:b`;
    expect((await store.addToBoundedSet(key, ['a', 'b'], 3)).added).toBe(true);
    expect(await store.addToBoundedSet(key, ['b', 'c', 'd'], 3)).toEqual({
      added: false,
      members: expect.arrayContaining(['a', 'b']),
    });
    expect((await store.addToBoundedSet(key, ['b', 'c'], 3)).added).toBe(true);
    expect((await store.addToBoundedSet(key, ['a', 'b', 'c'], 3)).members.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('alias index and cursors', () => {
  it('finds an offboarding by any alias of its subject, not by strangers', async () => {
    const store = new DynamoOffboardingStore({ client, tableName });
    const o = offboarding({
      subject: { email: 'primary@example.com', aliases: ['Old.Name@example.org', 'x@example.net'] },
    });
    await store.create(o);
    expect((await store.queryByAlias('old.name@EXAMPLE.org')).map((x) => x.id)).toEqual([o.id]);
    expect((await store.queryByAlias('x@example.net')).map((x) => x.id)).toEqual([o.id]);
    expect(await store.queryByAlias('primary@example.com')).toEqual([]);
    expect(await store.queryByAlias('nobody@example.com')).toEqual([]);
  });

  it('keeps and clears a named cursor', async () => {
    const store = new DynamoOffboardingStore({ client, tableName });
    const name = `c-${tableName}`;
    expect(await store.getCursor(name)).toBeUndefined();
    await store.setCursor(name, 'off_123');
    expect(await store.getCursor(name)).toBe('off_123');
    await store.setCursor(name, undefined);
    expect(await store.getCursor(name)).toBeUndefined();
  });
});

describe('on dynalite (no transactions)', () => {
  let server: RunningDynalite;
  let local: DynamoDBClient;
  beforeAll(async () => {
    server = await startDynalite();
    local = new DynamoDBClient({ endpoint: server.endpoint, region, credentials });
    await createTables(local, { offboardingsTable: 'offb-local', auditTable: 'audit-local' });
  });
  afterAll(async () => {
    local?.destroy();
    await server?.close();
  });

  it('the bounded set holds its limit under concurrent adds', async () => {
    const stores = [1, 2, 3].map(
      () => new DynamoOffboardingStore({ client: local, tableName: 'offb-local' }),
    );
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => stores[i % 3]!.addToBoundedSet('k', [`m${i}`], 4)),
    );
    expect(results.filter((r) => r.added)).toHaveLength(4);
  });
});
