import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DynamoOffboardingStore,
  sourceMarkerKey,
} from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import type { ActionResult } from '../../../lambdas/core/model.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { dynamoClient, offboarding, uniqueName } from './support.ts';

const endpoint = inject('motoEndpoint');
let client: DynamoDBClient;
let store: DynamoOffboardingStore;
const tableName = uniqueName('offb');

beforeAll(async () => {
  client = dynamoClient(endpoint);
  await createTables(client, { offboardingsTable: tableName, auditTable: uniqueName('audit-unused') });
  store = new DynamoOffboardingStore({ client, tableName });
});

afterAll(() => client.destroy());

async function rejection(p: Promise<unknown>): Promise<LeaverError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LeaverError);
  return e as LeaverError;
}

describe('create', () => {
  it('creates once and returns the stored offboarding on a repeated event', async () => {
    const first = offboarding();
    const a = await store.create(first);
    expect(a.created).toBe(true);
    expect(a.offboarding).toEqual(first);
    const again = await store.create({ ...first, id: 'off_other', receivedAt: '2026-03-01T10:05:00.000Z' });
    expect(again.created).toBe(false);
    expect(again.offboarding.id).toBe(first.id);
    expect(again.offboarding.receivedAt).toBe(first.receivedAt);
    expect(await store.get('off_other')).toBeUndefined();
    expect(await store.get(first.id)).toEqual(first);
  });

  it('keeps events of different sources apart', async () => {
    const base = offboarding();
    const other = await store.create({ ...base, id: `${base.id}_b`, origin: { type: 'hr', id: 'okta' } });
    const mine = await store.create(base);
    expect(other.created).toBe(true);
    expect(mine.created).toBe(true);
    expect(mine.offboarding.id).not.toBe(other.offboarding.id);
  });

  it('creates exactly one of 20 concurrent calls for one event', async () => {
    const base = offboarding();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.create({ ...base, id: `${base.id}_${i}` })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const ids = new Set(results.map((r) => r.offboarding.id));
    expect(ids.size).toBe(1);
    const [winner] = [...ids];
    expect(await store.get(winner!)).toBeDefined();
    for (let i = 0; i < 20; i++) {
      const id = `${base.id}_${i}`;
      if (id !== winner) expect(await store.get(id)).toBeUndefined();
    }
  });

  it('heals a create that crashed between the marker and the offboarding', async () => {
    const o = offboarding();
    await store.create(o);
    // Simulate the crash: the marker exists, the META item does not.
    await client.send(
      new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: `OFF#${o.id}` }, sk: { S: 'META' } } }),
    );
    expect(await store.get(o.id)).toBeUndefined();
    const healed = await store.create({ ...o, id: 'off_retry_id' });
    expect(healed.created).toBe(true);
    expect(healed.offboarding.id).toBe(o.id);
    expect((await store.get(o.id))?.sourceEventId).toBe(o.sourceEventId);
    const again = await store.create({ ...o, id: 'off_third_id' });
    expect(again).toEqual({ created: false, offboarding: healed.offboarding });
  });

  it('writes the marker with the offboarding id and the GSI keys on the item', async () => {
    const o = offboarding({ status: 'scheduled' });
    await store.create(o);
    const marker = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: {
          pk: { S: sourceMarkerKey(o.origin.id, o.sourceEventId).pk },
          sk: { S: 'SRC' },
        },
      }),
    );
    expect(marker.Item?.offboardingId?.S).toBe(o.id);
    const meta = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: `OFF#${o.id}` }, sk: { S: 'META' } } }),
    );
    expect(meta.Item?.gsi1pk?.S).toBe('EMAIL#dana.leaver@example.com');
    expect(meta.Item?.gsi2pk?.S).toBe('STATUS#scheduled');
    expect(meta.Item?.gsi2sk?.S).toBe(`${o.effectiveAt}#${o.id}`);
  });
});

describe('transition and update', () => {
  it('moves status with the patch, bumps version and keeps the status index in sync', async () => {
    const o = offboarding({ status: 'scheduled', effectiveAt: '2031-01-01T00:00:00.000Z' });
    await store.create(o);
    const t = await store.transition(o.id, ['scheduled', 'quarantined'], 'running', {
      startedAt: '2031-01-01T00:00:01.000Z',
      attempts: 1,
    });
    expect(t.status).toBe('running');
    expect(t.version).toBe(2);
    expect(t.startedAt).toBe('2031-01-01T00:00:01.000Z');
    expect(t.attempts).toBe(1);
    expect((await store.get(o.id))?.status).toBe('running');
    const scheduled = await store.query({
      status: 'scheduled',
      from: '2031-01-01T00:00:00.000Z',
      limit: 100,
    });
    expect(scheduled.items.map((x) => x.id)).not.toContain(o.id);
    const running = await store.query({ status: 'running', from: '2031-01-01T00:00:00.000Z', limit: 100 });
    expect(running.items.map((x) => x.id)).toContain(o.id);
  });

  it('refuses a transition from the wrong status with conflict and changes nothing', async () => {
    const o = offboarding({ status: 'completed' });
    await store.create(o);
    const e = await rejection(store.transition(o.id, ['scheduled'], 'running', { attempts: 9 }));
    expect(e.code).toBe('conflict');
    expect(e.details).toMatchObject({ status: 'completed' });
    expect(await store.get(o.id)).toEqual(o);
  });

  it('lets exactly one of two racing transitions win', async () => {
    const o = offboarding({ status: 'scheduled' });
    await store.create(o);
    const results = await Promise.allSettled([
      store.transition(o.id, ['scheduled'], 'running'),
      store.transition(o.id, ['scheduled'], 'cancelled'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as LeaverError).code).toBe('conflict');
  });

  it('answers not_found for an unknown id', async () => {
    expect((await rejection(store.transition('off_nope', ['scheduled'], 'running'))).code).toBe('not_found');
  });

  it('updates fields conditioned on the status, removes fields set to undefined', async () => {
    const o = offboarding({ status: 'running', nextRetryAt: '2026-03-02T00:00:00.000Z' });
    await store.create(o);
    const counts = { planned: 3, revoked: 2, alreadyAbsent: 1, skipped: 0, failed: 0 };
    const u = await store.update(o.id, 'running', { counts, nextRetryAt: undefined });
    expect(u.counts).toEqual(counts);
    expect(u.nextRetryAt).toBeUndefined();
    expect(u.version).toBe(2);
    const e = await rejection(store.update(o.id, 'scheduled', { attempts: 5 }));
    expect(e.code).toBe('conflict');
    expect((await store.get(o.id))?.attempts).toBe(0);
  });

  it('moves the due index when effectiveAt changes', async () => {
    const o = offboarding({ status: 'scheduled', effectiveAt: '2040-01-01T00:00:00.000Z' });
    await store.create(o);
    expect((await store.due('2030-01-01T00:00:00.000Z')).map((x) => x.id)).not.toContain(o.id);
    await store.update(o.id, 'scheduled', { effectiveAt: '2020-01-01T00:00:00.000Z' });
    expect((await store.due('2030-01-01T00:00:00.000Z')).map((x) => x.id)).toContain(o.id);
  });

  it('refuses to patch identity fields', async () => {
    const o = offboarding();
    await store.create(o);
    const e = await rejection(store.update(o.id, 'running', { sourceEventId: 'x' }));
    expect(e.code).toBe('invalid_request');
  });
});

describe('queries', () => {
  const email = `pager.${Date.now()}@example.com`;
  const made: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      const o = offboarding({
        subject: { email: email.toUpperCase(), aliases: [] },
        receivedAt: `2026-04-0${i + 1}T12:00:00.000Z`,
        status: i % 2 === 0 ? 'completed' : 'cancelled',
      });
      made.push(o.id);
      await store.create(o);
    }
  });

  it('pages through one email in receivedAt order with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.query({ email, limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((x) => x.id));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(made);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('narrows by receivedAt window and by status', async () => {
    const win = await store.query({ email, from: '2026-04-02T00:00:00Z', to: '2026-04-04T23:59:59Z' });
    expect(win.items.map((x) => x.id)).toEqual(made.slice(1, 4));
    const cancelled = await store.query({ email, status: 'cancelled', limit: 100 });
    expect(cancelled.items.map((x) => x.id)).toEqual([made[1], made[3], made[5]]);
  });

  it('rejects a tampered, foreign or malformed cursor with invalid_request', async () => {
    const page = await store.query({ email, limit: 2 });
    const cursor = page.cursor!;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    decoded.k.gsi1pk = 'EMAIL#someone.else@example.com';
    const tampered = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    expect((await rejection(store.query({ email, cursor: tampered }))).code).toBe('invalid_request');
    expect((await rejection(store.query({ email, cursor: 'not a cursor!' }))).code).toBe('invalid_request');
    expect((await rejection(store.query({ email, cursor: `${cursor.slice(0, -4)}AAAA` }))).code).toBe(
      'invalid_request',
    );
    expect((await rejection(store.query({ status: 'completed', cursor }))).code).toBe('invalid_request');
    const extraKey = Buffer.from(JSON.stringify({ ...decoded, k: { ...decoded.k, x: 'y' } })).toString(
      'base64url',
    );
    expect((await rejection(store.query({ email, cursor: extraKey }))).code).toBe('invalid_request');
  });

  it('rejects bad limits and dates', async () => {
    expect((await rejection(store.query({ email, limit: 0 }))).code).toBe('invalid_request');
    expect((await rejection(store.query({ email, limit: 5000 }))).code).toBe('invalid_request');
    expect((await rejection(store.query({ email, from: 'yesterday' }))).code).toBe('invalid_request');
  });

  it('lists by status over the effectiveAt window with paging', async () => {
    const tag = '2035-06-0';
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const o = offboarding({ status: 'quarantined', effectiveAt: `${tag}${i}T00:00:00.000Z` });
      ids.push(o.id);
      await store.create(o);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({
        status: 'quarantined',
        from: '2035-06-02T00:00:00.000Z',
        to: '2035-06-05T00:00:00.000Z',
        limit: 2,
        cursor,
      });
      seen.push(...page.items.map((x) => x.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual(ids.slice(1));
  });

  it('lists everything without email or status (scan), filtered by receivedAt', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({
        from: '2026-04-01T00:00:00Z',
        to: '2026-04-07T23:00:00Z',
        limit: 5,
        cursor,
      });
      seen.push(...page.items.map((x) => x.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...made].sort());
  });
});

describe('newest first and counts (the console)', () => {
  // A far-future window of its own, so other tests' offboardings never fall in it.
  const statuses = [
    'completed',
    'running',
    'quarantined',
    'scheduled',
    'completed_with_failures',
    'cancelled',
  ] as const;
  const ids: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 9; i++) {
      const o = offboarding({
        status: statuses[i % statuses.length],
        effectiveAt: `2040-01-0${i + 1}T00:00:00.000Z`,
      });
      ids.push(o.id);
      await store.create(o);
    }
  });

  it('merges every status by effectiveAt, newest first, with paging inside the window', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.query({
        order: 'desc',
        from: '2040-01-02T00:00:00.000Z',
        to: '2040-01-08T00:00:00.000Z',
        limit: 2,
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((x) => x.id));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(ids.slice(1, 8).reverse());
    const asc = await store.query({ order: 'asc', from: '2040-01-01T00:00:00.000Z', limit: 3 });
    expect(asc.items.map((x) => x.id)).toEqual(ids.slice(0, 3));
    expect((await rejection(store.query({ order: 'asc', cursor: page0(asc.cursor) }))).code).toBe(
      'invalid_request',
    );
  });

  it('lists one status newest first', async () => {
    const page = await store.query({ status: 'completed', order: 'desc', from: '2040-01-01T00:00:00.000Z' });
    expect(page.items.map((x) => x.id)).toEqual([ids[6], ids[0]]);
  });

  it('counts each status within the window', async () => {
    const counts = await store.countByStatus({
      from: '2040-01-01T00:00:00.000Z',
      to: '2040-01-09T00:00:00.000Z',
    });
    expect(counts).toEqual({
      completed: 2,
      running: 2,
      quarantined: 2,
      scheduled: 1,
      completed_with_failures: 1,
      cancelled: 1,
    });
  });
});

/** An `asc` cursor relabelled `desc`: a cursor is bound to its order. */
function page0(cursor: string | undefined): string {
  const decoded = JSON.parse(Buffer.from(cursor!, 'base64url').toString('utf8'));
  return Buffer.from(JSON.stringify({ ...decoded, o: 'desc' })).toString('base64url');
}

describe('due', () => {
  it('returns scheduled offboardings whose time has come, oldest first', async () => {
    const past1 = offboarding({ status: 'scheduled', effectiveAt: '2001-01-01T00:00:00.000Z' });
    const past2 = offboarding({ status: 'scheduled', effectiveAt: '2001-01-02T00:00:00.000Z' });
    const future = offboarding({ status: 'scheduled', effectiveAt: '2001-01-05T00:00:00.000Z' });
    const running = offboarding({ status: 'running', effectiveAt: '2001-01-01T00:00:00.000Z' });
    for (const o of [future, past2, running, past1]) await store.create(o);
    const due = await store.due('2001-01-03T00:00:00.000Z');
    expect(due.map((x) => x.id)).toEqual([past1.id, past2.id]);
    expect((await store.due('2001-01-03T00:00:00.000Z', 1)).map((x) => x.id)).toEqual([past1.id]);
    // Non-canonical input is normalised.
    expect((await store.due('2001-01-02T01:00:00+01:00')).map((x) => x.id)).toEqual([past1.id, past2.id]);
  });
});

describe('actions and kill switch', () => {
  const action = (i: number, over: Partial<ActionResult> = {}): ActionResult => ({
    grantKey: `cloudmanager:t1:cloudmanager_org_invitation:invitationId=${String(i).padStart(24, '0')}`,
    grant: {
      vendor: 'cloudmanager',
      tenantId: 't1',
      kind: 'cloudmanager_org_invitation',
      email: 'dana.leaver@example.com',
      ids: { orgId: '5f1a0000000000000000c001', invitationId: String(i).padStart(24, '0') },
    },
    outcome: 'revoked',
    attempts: 1,
    durationMs: 12,
    at: '2026-03-01T10:00:00.000Z',
    pass: 0,
    ...over,
  });

  it('stores one result per grant key (the latest wins) and lists them all', async () => {
    const o = offboarding();
    await store.create(o);
    const paged = new DynamoOffboardingStore({ client, tableName, actionPageSize: 7 });
    for (let i = 0; i < 40; i++) await paged.putAction(o.id, action(i));
    await store.putAction(o.id, action(5, { outcome: 'failed', errorCode: 'vendor_unavailable' }));
    const list = await paged.listActions(o.id);
    expect(list).toHaveLength(40);
    expect(new Set(list.map((a) => a.grantKey)).size).toBe(40);
    expect(list.find((a) => a.grantKey === action(5).grantKey)).toMatchObject({
      outcome: 'failed',
      errorCode: 'vendor_unavailable',
    });
    expect(list[0]).toEqual(action(0));
    expect(await store.listActions('off_none')).toEqual([]);
    // Action items never show up as offboardings.
    expect((await store.get(o.id))?.id).toBe(o.id);
  });

  it('stores results given together in one item (group commit), the latest per grant winning', async () => {
    const o = offboarding();
    await store.create(o);
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.putAction(o.id, action(i))));
    await Promise.all([
      store.putAction(o.id, action(7, { outcome: 'failed', errorCode: 'vendor_timeout' })),
      store.putAction(o.id, action(60)),
    ]);
    const { Items } = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': { S: `OFF#${o.id}` }, ':a': { S: 'ACT' } },
      }),
    );
    // 62 results, two turns of the event loop: two items.
    expect(Items).toHaveLength(2);
    const list = await store.listActions(o.id);
    expect(list).toHaveLength(61);
    expect(list.find((a) => a.grantKey === action(7).grantKey)).toMatchObject({ outcome: 'failed' });
    expect(list.map((a) => a.grantKey)).toEqual(Array.from({ length: 61 }, (_, i) => action(i).grantKey));
  });

  it('keeps the kill switch flag', async () => {
    expect(await store.getKillSwitch()).toEqual({ enabled: false });
    const on = { enabled: true, reason: 'vendor incident', by: 'api:alice', at: '2026-03-01T10:00:00.000Z' };
    await store.setKillSwitch(on);
    expect(await store.getKillSwitch()).toEqual(on);
    await store.setKillSwitch({ ...on, enabled: false, reason: 'resolved' });
    expect(await store.getKillSwitch()).toMatchObject({ enabled: false, reason: 'resolved' });
  });
});

describe('storage failures', () => {
  it('maps an unreachable endpoint to storage_unavailable', async () => {
    const dead = dynamoClient('http://127.0.0.1:9');
    const s = new DynamoOffboardingStore({ client: dead, tableName });
    const e = await rejection(s.get('off_x'));
    expect(e.code).toBe('storage_unavailable');
    expect(e.retryable).toBe(true);
    dead.destroy();
  });

  it('maps a missing table to storage_unavailable', async () => {
    const s = new DynamoOffboardingStore({ client, tableName: 'no-such-table' });
    expect((await rejection(s.get('off_x'))).code).toBe('storage_unavailable');
  });
});
