/**
 * The store's recovery reads: `scanByStatus` finds offboardings from the table itself, and
 * `repairIndexes` writes back the index entries a crash lost, on moto_server and on dynalite.
 *
 * On dynalite the crash state is made exactly as a kill leaves it: the runtime's LevelDB directory
 * is opened after dynalite closed it and the offboarding's entry in the status index is deleted
 * (dynalite deletes an item's old index entries, then writes the new ones, then the item; a process
 * killed in between leaves the item intact and missing from the index).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import type { Offboarding } from '../../../lambdas/core/model.ts';
import { startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { dynamoClient, offboarding, uniqueName } from './support.ts';

const NOW = '2026-03-01T12:00:00.000Z';

/** Every page of a status scan. */
async function scanAll(store: DynamoOffboardingStore, statuses: Offboarding['status'][], limit = 1000) {
  const out: Offboarding[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.scanByStatus(statuses, { limit, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

describe('on moto_server', () => {
  const endpoint = inject('motoEndpoint');
  let client: DynamoDBClient;
  let store: DynamoOffboardingStore;
  const tableName = uniqueName('offb-recovery');

  beforeAll(async () => {
    client = dynamoClient(endpoint);
    await createTables(client, { offboardingsTable: tableName, auditTable: uniqueName('audit-unused') });
    store = new DynamoOffboardingStore({ client, tableName });
  });
  afterAll(() => client.destroy());

  /** Writes the offboarding's item without its index keys: no index holds it. */
  const putUnindexed = (o: Offboarding) =>
    DynamoDBDocumentClient.from(client).send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: `OFF#${o.id}`, sk: 'META', type: 'offboarding', ...o },
      }),
    );

  it('scanByStatus reads the table: it finds by status across pages what the index does not hold', async () => {
    const mine = [
      offboarding({ status: 'scheduled', effectiveAt: '2026-03-01T10:00:00.000Z' }),
      offboarding({ status: 'running' }),
      offboarding({ status: 'completed' }),
      offboarding({ status: 'quarantined' }),
    ];
    for (const o of mine) await store.create(o);
    // An offboarding item that no index holds (written without its index keys).
    const hidden = offboarding({ status: 'scheduled', effectiveAt: '2026-03-01T10:00:00.000Z' });
    await putUnindexed(hidden);
    expect((await store.due(NOW)).map((o) => o.id)).not.toContain(hidden.id);

    const found = await scanAll(store, ['scheduled', 'running'], 2);
    const ids = found.map((o) => o.id);
    expect(ids).toEqual(expect.arrayContaining([mine[0]!.id, mine[1]!.id, hidden.id]));
    expect(ids).not.toContain(mine[2]!.id);
    expect(ids).not.toContain(mine[3]!.id);
    expect(found.every((o) => o.status === 'scheduled' || o.status === 'running')).toBe(true);
    // Offboardings only: no markers, no action results, no key attributes.
    expect(found.find((o) => o.id === hidden.id)).toEqual(hidden);
    expect(await store.scanByStatus([])).toEqual({ items: [] });
  });

  it('repairIndexes re-writes an offboarding missing from the indexes, only at the version read', async () => {
    const o = offboarding({ status: 'scheduled', effectiveAt: '2026-03-01T10:00:00.000Z', version: 3 });
    await putUnindexed(o);
    const read = (await scanAll(store, ['scheduled'])).find((x) => x.id === o.id)!;
    // An update since the read: the stale copy must not overwrite it.
    await store.update(o.id, 'scheduled', { reason: 'changed meanwhile' });
    expect(await store.repairIndexes(read)).toBe(false);
    expect((await store.get(o.id))?.reason).toBe('changed meanwhile');

    const o2 = offboarding({ status: 'scheduled', effectiveAt: '2026-03-01T10:00:00.000Z', version: 3 });
    await putUnindexed(o2);
    expect((await store.due(NOW)).map((x) => x.id)).not.toContain(o2.id);
    expect(await store.repairIndexes(o2)).toBe(true);
    expect((await store.due(NOW)).map((x) => x.id)).toContain(o2.id);
    expect((await store.query({ email: o2.subject.email, limit: 1000 })).items.map((x) => x.id)).toContain(
      o2.id,
    );
    expect(await store.get(o2.id)).toEqual(o2);
    // Nothing missing any more: no write.
    expect(await store.repairIndexes(o2)).toBe(false);
  });

  it('refuses a cursor from another listing', async () => {
    const page = await store.query({ status: 'scheduled', limit: 1 });
    expect(page.cursor).toBeDefined();
    await expect(store.scanByStatus(['scheduled'], { cursor: page.cursor })).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });
});

describe('on dynalite with its data on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leaver-recovery-'));
  const names = { offboardingsTable: 'leaver-offboardings', auditTable: 'leaver-audit' };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `fn` against dynalite on `dir`, then closes it (releasing the LevelDB lock). */
  async function withDynalite<T>(fn: (store: DynamoOffboardingStore) => Promise<T>): Promise<T> {
    const server = await startDynalite({ path: dir });
    const client = dynamoClient(server.endpoint);
    try {
      await createTables(client, names);
      return await fn(new DynamoOffboardingStore({ client, tableName: names.offboardingsTable }));
    } finally {
      client.destroy();
      await server.close();
    }
  }

  /** Deletes the offboarding's entries in one index of dynalite's LevelDB, as a kill mid-write leaves it. */
  async function dropIndexEntries(index: string, id: string): Promise<number> {
    // dynalite's own LevelDB binding (resolved from dynalite, whose dependency it is).
    const { Level } = createRequire(createRequire(import.meta.url).resolve('dynalite'))('level') as {
      Level: new (
        path: string,
        opts: { valueEncoding: 'json' },
      ) => {
        iterator(opts: { gte: string; lt: string }): AsyncIterable<[string, unknown]>;
        del(key: string): Promise<void>;
        close(): Promise<void>;
      };
    };
    const db = new Level(dir, { valueEncoding: 'json' });
    const prefix = `index-global~${names.offboardingsTable}~${index}~`;
    let dropped = 0;
    try {
      for await (const [key, value] of db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
        if (JSON.stringify(value).includes(`OFF#${id}`)) {
          await db.del(key);
          dropped++;
        }
      }
    } finally {
      await db.close();
    }
    return dropped;
  }

  it('an offboarding whose status index entry a kill lost is found by the scan and made findable again', async () => {
    const o = offboarding({ status: 'scheduled', effectiveAt: '2026-03-01T10:00:00.000Z' });
    await withDynalite(async (store) => {
      await store.create(o);
      expect((await store.due(NOW)).map((x) => x.id)).toEqual([o.id]);
    });
    expect(await dropIndexEntries('byStatusDue', o.id)).toBe(1);

    await withDynalite(async (store) => {
      // The item is intact, but the due sweep's read no longer sees it.
      expect(await store.get(o.id)).toEqual(o);
      expect(await store.due(NOW)).toEqual([]);
      expect((await store.query({ status: 'scheduled' })).items).toEqual([]);

      const found = await scanAll(store, ['scheduled', 'running']);
      expect(found).toEqual([o]);
      expect(await store.repairIndexes(found[0]!)).toBe(true);
      expect((await store.due(NOW)).map((x) => x.id)).toEqual([o.id]);
      expect(await store.get(o.id)).toEqual(o);
      expect(await store.repairIndexes(found[0]!)).toBe(false);
    });
  });
});
