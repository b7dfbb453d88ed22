/**
 * The same store and audit code on dynalite (the local runtime's DynamoDB), which has no
 * transactions: proves the adapters never need them.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/adapters/dynamo-audit-log.ts';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { ManualClock } from '../../../lambdas/adapters/system-clock.ts';
import { verifyChain, verifyStream } from '../../../lambdas/core/audit-chain.ts';
import type { LeaverError } from '../../../lambdas/core/errors.ts';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { credentials, entry, offboarding, region } from './support.ts';

let server: RunningDynalite;
let client: DynamoDBClient;
let store: DynamoOffboardingStore;
let audit: DynamoAuditLog;
const names = { offboardingsTable: 'leaver-offboardings', auditTable: 'leaver-audit' };

beforeAll(async () => {
  server = await startDynalite();
  client = new DynamoDBClient({ endpoint: server.endpoint, region, credentials });
  await createTables(client, names);
  await createTables(client, names); // idempotent
  store = new DynamoOffboardingStore({ client, tableName: names.offboardingsTable });
  audit = new DynamoAuditLog({ client, tableName: names.auditTable, clock: new ManualClock() });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

describe('on dynalite', () => {
  it('has no transactions (so nothing here may rely on them)', async () => {
    await expect(client.send(new TransactWriteItemsCommand({ TransactItems: [] }))).rejects.toThrow();
  });

  it('creates idempotently, also under 20 concurrent calls, and heals a half-done create', async () => {
    const base = offboarding({ status: 'scheduled', effectiveAt: '2026-01-01T00:00:00.000Z' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.create({ ...base, id: `${base.id}_${i}` })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const id = results[0]!.offboarding.id;
    await client.send(
      new DeleteItemCommand({
        TableName: names.offboardingsTable,
        Key: { pk: { S: `OFF#${id}` }, sk: { S: 'META' } },
      }),
    );
    const healed = await store.create({ ...base, id: 'off_new' });
    expect(healed).toMatchObject({ created: true, offboarding: { id } });
    expect((await store.due('2026-06-01T00:00:00.000Z')).map((o) => o.id)).toEqual([id]);
  });

  it('transitions conditionally and queries the GSIs with cursors', async () => {
    const o = offboarding({ status: 'scheduled', subject: { email: 'dyna@example.com', aliases: [] } });
    await store.create(o);
    await store.create(offboarding({ subject: { email: 'dyna@example.com', aliases: [] } }));
    await store.transition(o.id, ['scheduled'], 'running', { attempts: 1 });
    const err = await store.transition(o.id, ['scheduled'], 'running').catch((e: unknown) => e);
    expect((err as LeaverError).code).toBe('conflict');
    const first = await store.query({ email: 'dyna@example.com', limit: 1 });
    expect(first.items).toHaveLength(1);
    const second = await store.query({ email: 'dyna@example.com', limit: 1, cursor: first.cursor });
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    await store.putAction(o.id, {
      grantKey: 'k1',
      grant: {
        vendor: 'itwin',
        tenantId: 't',
        kind: 'itwin_user_member',
        email: 'dyna@example.com',
        ids: { itwinId: 'i', memberId: 'm' },
      },
      outcome: 'revoked',
      attempts: 1,
      durationMs: 1,
      at: '2026-01-01T00:00:00.000Z',
      pass: 0,
    });
    expect(await store.listActions(o.id)).toHaveLength(1);
    await store.setKillSwitch({ enabled: true, reason: 'r', by: 'b', at: 'a' });
    expect((await store.getKillSwitch()).enabled).toBe(true);
  });

  it('appends a verifiable chain, also from two instances at once, and queries it', async () => {
    const other = new DynamoAuditLog({ client, tableName: names.auditTable, clock: new ManualClock() });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? audit : other).append(entry('off_dyna', { attempt: i }))),
    );
    const v = await verifyStream(audit, 'off_dyna');
    expect(v).toMatchObject({ ok: true, count: 20 });
    expect(verifyChain(v.records).ok).toBe(true);
    const byEmail = await audit.query({ email: 'dana.leaver@example.com', limit: 100 });
    expect(byEmail.items).toHaveLength(20);
    const byDay = await audit.query({ from: '2026-03-01T00:00:00Z', to: '2026-03-01T23:59:59Z', limit: 100 });
    expect(byDay.items).toHaveLength(20);
  });

  it('createTables builds the layout of tables.ts and refuses a same-named table without the indexes', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: names.offboardingsTable }));
    expect(Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    expect((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort()).toEqual([
      'byEmail',
      'bySourceEvent',
      'byStatusDue',
    ]);
    await client.send(
      new CreateTableCommand({
        TableName: 'plain',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
    const e = await createTables(client, { offboardingsTable: 'plain', auditTable: names.auditTable }).catch(
      (err: unknown) => err,
    );
    expect((e as LeaverError).code).toBe('config_invalid');
    expect((e as LeaverError).message).toMatch(/byEmail/);
  });
});
