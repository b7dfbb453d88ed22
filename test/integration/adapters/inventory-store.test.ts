/**
 * The inventory on dynalite (the local runtime's DynamoDB, no transactions): a scope's listing
 * replaces what was known of it, lookups name each grant's freshness, revoked grants are forgotten,
 * dropped scopes take their grants with them, and one process at a time holds a tenant's sync.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoInventoryStore } from '../../../lambdas/adapters/dynamo-inventory-store.ts';
import type { Grant } from '../../../lambdas/core/model.ts';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { credentials, region, uniqueName } from './support.ts';

let server: RunningDynalite;
let client: DynamoDBClient;
let store: DynamoInventoryStore;

const member = (email: string, itwinId: string, memberId: string): Grant => ({
  vendor: 'itwin',
  tenantId: 'it',
  kind: 'itwin_user_member',
  email,
  ids: { itwinId, memberId },
});
const groupMembership = (email: string, itwinId: string, groupId: string): Grant => ({
  vendor: 'itwin',
  tenantId: 'it',
  kind: 'itwin_group_membership',
  email,
  ids: { itwinId, groupId },
});
const A = 'a0000000-0000-4000-8000-000000000001';
const B = 'b0000000-0000-4000-8000-000000000002';
const G = 'c0000000-0000-4000-8000-000000000003';

beforeAll(async () => {
  server = await startDynalite();
  client = new DynamoDBClient({ endpoint: server.endpoint, region, credentials });
  const names = {
    offboardingsTable: uniqueName('off'),
    auditTable: uniqueName('audit'),
    inventoryTable: uniqueName('inv'),
  };
  await createTables(client, names);
  store = new DynamoInventoryStore({ client, tableName: names.inventoryTable });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

describe('DynamoInventoryStore', () => {
  it('replaces a scope with its latest listing: new grants added, gone ones removed, the rest untouched', async () => {
    const t1 = '2026-05-01T10:00:00.000Z';
    const first = await store.replaceScope(
      'it',
      A,
      [
        member('Dana@Example.com', A, 'm1'),
        member('sam@example.com', A, 'm2'),
        groupMembership('dana@example.com', A, G),
      ],
      t1,
    );
    expect(first).toEqual({ added: 3, removed: 0, kept: 0 });
    // Two people in one group hold the same grant key: the inventory keeps one per address.
    await store.replaceScope(
      'it',
      B,
      [groupMembership('sam@example.com', B, G), groupMembership('dana@example.com', B, G)],
      t1,
    );

    expect(
      (await store.lookup(['DANA@example.com'])).map((e) => [e.grant.kind, e.scope, e.syncedAt]).sort(),
    ).toEqual(
      [
        ['itwin_group_membership', A, t1],
        ['itwin_group_membership', B, t1],
        ['itwin_user_member', A, t1],
      ].sort(),
    );

    const t2 = '2026-05-01T11:00:00.000Z';
    const second = await store.replaceScope(
      'it',
      A,
      [member('sam@example.com', A, 'm2'), member('new@example.com', A, 'm3')],
      t2,
    );
    expect(second).toEqual({ added: 1, removed: 2, kept: 1 });
    // Dana left scope A meanwhile (someone else removed her): only scope B is still known.
    expect((await store.lookup(['dana@example.com'])).map((e) => [e.scope, e.syncedAt])).toEqual([[B, t1]]);
    // Sam's untouched grant in A reports A's latest listing time.
    const sam = await store.lookup(['sam@example.com']);
    expect(sam.find((e) => e.scope === A)?.syncedAt).toBe(t2);
  });

  it('forgets revoked grants, and drops scopes no longer listed with their grants', async () => {
    await store.forget([groupMembership('sam@example.com', B, G)]);
    expect((await store.lookup(['sam@example.com'])).map((e) => e.scope)).toEqual([A]);
    expect(await store.dropScopes('it', new Set([B]))).toBe(2);
    expect(await store.lookup(['sam@example.com', 'new@example.com'])).toEqual([]);
    expect((await store.lookup(['dana@example.com'])).map((e) => e.scope)).toEqual([B]);
  });

  it('takeOver claims a live lease whoever holds it (the lone local runtime after a restart)', async () => {
    const now = '2026-05-01T12:00:00.000Z';
    const until = '2026-05-01T12:10:00.000Z';
    expect(await store.claimSync('it-take', 'dead', until, now)).toMatchObject({ leaseOwner: 'dead' });
    expect(await store.claimSync('it-take', 'next', until, now)).toBeUndefined();
    expect(await store.claimSync('it-take', 'next', until, now, { takeOver: true })).toMatchObject({
      leaseOwner: 'next',
    });
    expect(await store.saveSync('it-take', 'dead', { cursor: 'x' })).toBe(false);
    expect(await store.saveSync('it-take', 'next', { cursor: 'x' })).toBe(true);
  });

  it('lets one process at a time hold a tenant sync; a lapsed lease can be taken over', async () => {
    const now = '2026-05-01T12:00:00.000Z';
    const until = '2026-05-01T12:10:00.000Z';
    expect(await store.claimSync('cm', 'p1', until, now)).toMatchObject({ tenantId: 'cm', leaseOwner: 'p1' });
    expect(await store.claimSync('cm', 'p2', until, now)).toBeUndefined();
    expect(await store.saveSync('cm', 'p2', { cursor: 'x' })).toBe(false);
    expect(
      await store.saveSync('cm', 'p1', { cursor: 'x', passStartedAt: now, vendor: 'cloudmanager' }),
    ).toBe(true);
    expect(await store.saveSync('cm', 'p1', { passStartedAt: undefined, lastSyncAt: now })).toBe(true);
    const later = '2026-05-01T12:11:00.000Z';
    expect(await store.claimSync('cm', 'p2', '2026-05-01T12:20:00.000Z', later)).toMatchObject({
      leaseOwner: 'p2',
      cursor: 'x',
      lastSyncAt: now,
    });
    const states = await store.tenants();
    expect(states.find((s) => s.tenantId === 'cm')).toMatchObject({
      vendor: 'cloudmanager',
      lastSyncAt: now,
    });
    expect(states.find((s) => s.tenantId === 'cm')?.passStartedAt).toBeUndefined();
  });
});
