/**
 * DynamoLockStore (the single-writer lease and its request board) against moto_server and dynalite.
 * Contention is tested one call after another: moto's conditional writes are not atomic across its
 * threads, so racing two acquisitions against it would test moto, not the lock. The race itself
 * runs on dynalite, which applies writes one at a time. Lapses are timed by a clock the test moves.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLockStore, REQUEST_WINDOW_MS } from '../../../lambdas/adapters/dynamo-lock-store.ts';
import { ManualClock } from '../../../lambdas/adapters/system-clock.ts';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { dynamoClient, uniqueName } from './support.ts';

interface Backend {
  client: DynamoDBClient;
  table: string;
  close(): Promise<void>;
}

let dynalite: RunningDynalite;
const backends: Record<'moto' | 'dynalite', () => Promise<Backend>> = {
  moto: async () => {
    const client = dynamoClient(inject('motoEndpoint'));
    const names = { offboardingsTable: uniqueName('locks'), auditTable: uniqueName('locks-audit') };
    await createTables(client, names);
    return { client, table: names.offboardingsTable, close: async () => client.destroy() };
  },
  dynalite: async () => {
    dynalite = await startDynalite();
    const client = dynamoClient(dynalite.endpoint);
    const names = { offboardingsTable: 'leaver-offboardings', auditTable: 'leaver-audit' };
    await createTables(client, names);
    return {
      client,
      table: names.offboardingsTable,
      close: async () => {
        client.destroy();
        await dynalite.close();
      },
    };
  },
};

describe.each(['moto', 'dynalite'] as const)('DynamoLockStore on %s', (kind) => {
  let b: Backend;
  /** Monotonic time of "process A" and "process B", moved by the tests. */
  const tA = 0;
  let tB = 0;
  let clock: ManualClock;
  let a: DynamoLockStore;
  let bStore: DynamoLockStore;
  beforeAll(async () => {
    b = await backends[kind]();
    clock = new ManualClock('2026-11-23T12:00:00.000Z');
    a = new DynamoLockStore({ client: b.client, tableName: b.table, clock, elapsed: () => tA });
    bStore = new DynamoLockStore({ client: b.client, tableName: b.table, clock, elapsed: () => tB });
  });
  afterAll(async () => b?.close());

  const item = async (name: string) =>
    (
      await DynamoDBDocumentClient.from(b.client).send(
        new GetCommand({ TableName: b.table, Key: { pk: `LOCK#${name}`, sk: 'LOCK' }, ConsistentRead: true }),
      )
    ).Item;

  it('acquire: a free lock is taken; its holder takes it again (a renewal); another owner is refused', async () => {
    const name = uniqueName('acquire');
    expect(await a.acquire(name, 'owner-a', 10_000)).toBe(true);
    expect(await a.acquire(name, 'owner-a', 10_000)).toBe(true);
    expect(await bStore.acquire(name, 'owner-b', 10_000)).toBe(false);
    expect(await bStore.acquire(name, 'owner-b', 10_000)).toBe(false);
    expect(await item(name)).toMatchObject({ owner: 'owner-a', ttlMs: 10_000, type: 'lock' });
  });

  it('release: only by its owner; then the next owner takes it at once', async () => {
    const name = uniqueName('release');
    expect(await a.acquire(name, 'owner-a', 10_000)).toBe(true);
    expect(await bStore.release(name, 'owner-b')).toBe(false);
    expect((await item(name))?.owner).toBe('owner-a');
    expect(await bStore.acquire(name, 'owner-b', 10_000)).toBe(false);
    expect(await a.release(name, 'owner-a')).toBe(true);
    expect((await item(name))?.owner).toBeUndefined();
    expect(await a.release(name, 'owner-a')).toBe(false);
    expect(await bStore.acquire(name, 'owner-b', 10_000)).toBe(true);
    expect(await a.renew(name, 'owner-a', 10_000)).toBe(false);
  });

  it('expire: a lease nobody renews lapses after its ttl, timed by the waiter; a renewal restarts it', async () => {
    const name = uniqueName('expire');
    expect(await a.acquire(name, 'crashed', 5_000)).toBe(true);
    tB = 1_000;
    expect(await bStore.acquire(name, 'owner-b', 5_000)).toBe(false); // first sight of this lease
    tB = 5_999;
    expect(await bStore.acquire(name, 'owner-b', 5_000)).toBe(false);
    // The holder renews: the waiter starts timing again from the new lease.
    expect(await a.renew(name, 'crashed', 5_000)).toBe(true);
    tB = 6_500;
    expect(await bStore.acquire(name, 'owner-b', 5_000)).toBe(false);
    tB = 11_000;
    expect(await bStore.acquire(name, 'owner-b', 5_000)).toBe(false);
    // Nobody renewed for 5 s of the waiter's time: it takes over, and the old holder knows it lost.
    tB = 11_500;
    expect(await bStore.acquire(name, 'owner-b', 5_000)).toBe(true);
    expect(await a.renew(name, 'crashed', 5_000)).toBe(false);
    expect(await a.release(name, 'crashed')).toBe(false);
    expect((await item(name))?.owner).toBe('owner-b');
  });

  it('expire: wall clocks play no part (a waiter whose clock runs hours ahead still waits a lease)', async () => {
    const name = uniqueName('skew');
    const ahead = new DynamoLockStore({
      client: b.client,
      tableName: b.table,
      clock: new ManualClock('2026-11-23T18:00:00.000Z'),
      elapsed: () => tB,
    });
    expect(await a.acquire(name, 'owner-a', 5_000)).toBe(true);
    expect(await ahead.acquire(name, 'owner-c', 5_000)).toBe(false);
    expect(await ahead.acquire(name, 'owner-c', 5_000)).toBe(false);
  });

  it('requests: posted, listed while open, settled once, answered to the poster', async () => {
    const name = uniqueName('board');
    const other = uniqueName('board');
    const r1 = await bStore.post(name, ['one@example.com', 'two@example.com']);
    const r2 = await bStore.post(name, ['three@example.com']);
    await bStore.post(other, ['four@example.com']);
    expect(await a.results(name, r1)).toBeUndefined();
    const open = await a.open(name);
    expect(open.map((r) => r.id).sort()).toEqual([r1, r2].sort());
    expect(open.find((r) => r.id === r1)?.items).toEqual(['one@example.com', 'two@example.com']);
    const answers = {
      'one@example.com': { outcome: 'revoked' as const, attempts: 1, vendorRequestId: 'req-1' },
      'two@example.com': {
        outcome: 'failed' as const,
        errorCode: 'vendor_bad_request',
        message: 'too many',
        retryable: false,
        details: { reason: 'group_patch_limit', limit: 50 },
      },
    };
    expect(await a.settle(name, r1, answers)).toBe(true);
    expect(await a.settle(name, r1, {})).toBe(false);
    expect(await bStore.results(name, r1)).toEqual(answers);
    expect((await a.open(name)).map((r) => r.id)).toEqual([r2]);
  });

  it('requests: ones older than the window are no longer open (their posters gave up long ago)', async () => {
    const name = uniqueName('window');
    const old = await bStore.post(name, ['old@example.com']);
    clock.advance(REQUEST_WINDOW_MS + 1_000);
    const fresh = await bStore.post(name, ['new@example.com']);
    expect((await a.open(name)).map((r) => r.id)).toEqual([fresh]);
    expect(old).not.toBe(fresh);
  });

  // Only where writes are atomic (see the header).
  if (kind === 'dynalite') {
    it('contend: of 20 processes racing for a free lock exactly one gets it', async () => {
      const name = uniqueName('race');
      const stores = Array.from(
        { length: 20 },
        () => new DynamoLockStore({ client: b.client, tableName: b.table, clock }),
      );
      const got = await Promise.all(stores.map((s, i) => s.acquire(name, `owner-${i}`, 10_000)));
      expect(got.filter(Boolean)).toHaveLength(1);
      const winner = got.indexOf(true);
      expect((await item(name))?.owner).toBe(`owner-${winner}`);
    });
  }
});
