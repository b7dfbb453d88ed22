import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/adapters/dynamo-audit-log.ts';
import { ManualClock } from '../../../lambdas/adapters/system-clock.ts';
import { GENESIS_HASH, hashRecord, verifyChain, verifyStream } from '../../../lambdas/core/audit-chain.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import type { AuditRecord } from '../../../lambdas/core/model.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { AuditTamper } from '../../support/audit-tamper.ts';
import { dynamoClient, entry, uniqueName } from './support.ts';

const endpoint = inject('motoEndpoint');
let client: DynamoDBClient;
const tableName = uniqueName('audit');
const clock = new ManualClock('2026-03-01T10:00:00.000Z');
let audit: DynamoAuditLog;
let tamper: AuditTamper;

beforeAll(async () => {
  client = dynamoClient(endpoint);
  await createTables(client, { offboardingsTable: uniqueName('offb-unused'), auditTable: tableName });
  audit = new DynamoAuditLog({ client, tableName, clock });
  tamper = new AuditTamper(client, tableName);
});

afterAll(() => client.destroy());

async function readAll(log: DynamoAuditLog, streamId: string, limit = 1000): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.stream(streamId, { limit, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<LeaverError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LeaverError);
  return e as LeaverError;
}

describe('append', () => {
  it('chains 50 records that verify, read back page by page in seq order', async () => {
    const stream = uniqueName('off_chain');
    const written: AuditRecord[] = [];
    for (let i = 0; i < 50; i++) {
      written.push(
        await audit.append(entry(stream, { event: i === 0 ? 'received' : 'action_finished', attempt: i })),
      );
    }
    expect(written[0]!.seq).toBe(1);
    expect(written[0]!.prevHash).toBe(GENESIS_HASH);
    expect(written[1]!.prevHash).toBe(written[0]!.hash);
    expect(written[0]!.hash).toBe(hashRecord(written[0]!));
    const read = await readAll(audit, stream, 7);
    expect(read).toEqual(written);
    expect(verifyChain(read)).toEqual({ ok: true, count: 50 });
    const v = await verifyStream(audit, stream);
    expect(v.ok).toBe(true);
  });

  it('continues a stream another instance (a new process) started', async () => {
    const stream = uniqueName('off_cont');
    await audit.append(entry(stream));
    await audit.append(entry(stream));
    const fresh = new DynamoAuditLog({ client, tableName, clock });
    const third = await fresh.append(entry(stream));
    expect(third.seq).toBe(3);
    // The first instance's cached tail is stale now: its next append must still chain correctly.
    const fourth = await audit.append(entry(stream));
    expect(fourth.seq).toBe(4);
    expect(fourth.prevHash).toBe(third.hash);
    expect(verifyChain(await readAll(audit, stream))).toEqual({ ok: true, count: 4 });
  });

  it('opens a new stream with `received` in one write, and still chains when that stream existed', async () => {
    const stream = uniqueName('off_open');
    const first = await audit.append(entry(stream, { event: 'received' }));
    expect(first.seq).toBe(1);
    // A fresh instance (no cached tail) appending `received` to the existing stream: seq 1 is
    // taken, so it reads the tail and chains after it instead.
    const fresh = new DynamoAuditLog({ client, tableName, clock });
    const again = await fresh.append(entry(stream, { event: 'received' }));
    expect(again.seq).toBe(2);
    expect(again.prevHash).toBe(first.hash);
    expect(verifyChain(await readAll(audit, stream))).toEqual({ ok: true, count: 2 });
  });

  it('keeps one valid chain under concurrent appends from two instances', async () => {
    const stream = uniqueName('off_race');
    const a = new DynamoAuditLog({ client, tableName, clock });
    const b = new DynamoAuditLog({ client, tableName, clock });
    const writes: Promise<AuditRecord>[] = [];
    for (let i = 0; i < 15; i++) {
      writes.push(a.append(entry(stream, { actor: `a${i}` })));
      writes.push(b.append(entry(stream, { actor: `b${i}` })));
    }
    const results = await Promise.all(writes);
    const seqs = results.map((r) => r.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const read = await readAll(audit, stream);
    expect(read).toHaveLength(30);
    expect(verifyChain(read)).toEqual({ ok: true, count: 30 });
    expect(new Set(read.map((r) => r.actor)).size).toBe(30);
  });

  it('detects a record tampered in place at its seq', async () => {
    const stream = uniqueName('off_tamper');
    for (let i = 0; i < 12; i++) await audit.append(entry(stream, { outcome: 'failed' }));
    await tamper.edit(stream, 7, { outcome: 'revoked' });
    const verdict = verifyChain(await readAll(audit, stream));
    expect(verdict).toMatchObject({ ok: false, brokenAt: 7 });
  });

  it('detects a tampered record whose hash was recomputed: the next link breaks', async () => {
    const stream = uniqueName('off_rehash');
    for (let i = 0; i < 5; i++) await audit.append(entry(stream, { outcome: 'failed' }));
    await tamper.edit(stream, 3, { outcome: 'revoked' }, { rehash: true });
    expect(verifyChain(await readAll(audit, stream))).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('writes the appends made together as one block item, each record resolved once stored', async () => {
    const stream = uniqueName('off_block');
    await audit.append(entry(stream, { event: 'received' }));
    const together = await Promise.all(
      Array.from({ length: 30 }, (_, i) => audit.append(entry(stream, { attempt: i }))),
    );
    expect(together.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const items = await tamper.items(stream);
    // The first append is one item; the 30 made in the same turn share one more.
    expect(items.map((it) => [it.seq, it.last])).toEqual([
      [1, 1],
      [2, 31],
    ]);
    const read = await readAll(audit, stream, 7);
    expect(read).toHaveLength(31);
    expect(verifyChain(read)).toEqual({ ok: true, count: 31 });
    expect(await audit.tail(stream)).toEqual({ seq: 31, hash: read[30]!.hash });
  });

  it('splits a large group into blocks within DynamoDB item limits, by count and by size', async () => {
    const many = uniqueName('off_many');
    await Promise.all(Array.from({ length: 300 }, (_, i) => audit.append(entry(many, { attempt: i }))));
    expect((await tamper.items(many)).map((it) => [it.seq, it.last])).toEqual([
      [1, 250],
      [251, 300],
    ]);
    const big = uniqueName('off_big');
    const detail = { note: 'x'.repeat(40_000) };
    await Promise.all(Array.from({ length: 20 }, () => audit.append(entry(big, { detail }))));
    const items = await tamper.items(big);
    expect(items.length).toBeGreaterThanOrEqual(3);
    for (const it of items) expect(JSON.stringify(it).length).toBeLessThan(350_000);
    expect(verifyChain(await readAll(audit, big)).ok).toBe(true);
    expect(verifyChain(await readAll(audit, many, 33)).ok).toBe(true);
  });

  it('redacts secrets from detail, normalises the email, stamps a missing time, and never stores undefined', async () => {
    const stream = uniqueName('off_redact');
    clock.set('2026-03-05T08:00:00.000Z');
    const rec = await audit.append({
      ...entry(stream, { email: '  Dana.Leaver@Example.COM ' }),
      at: '',
      detail: {
        clientSecret: 'itwin-demo-secret-0001',
        nested: { Authorization: 'Bearer abc', note: 'kept', private_key: 'x' },
        list: [{ token: 't', ok: 1 }],
        gone: undefined,
      },
    });
    expect(rec.email).toBe('dana.leaver@example.com');
    expect(rec.at).toBe('2026-03-05T08:00:00.000Z');
    expect(rec.detail).toEqual({ nested: { note: 'kept' }, list: [{ ok: 1 }] });
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: stream }, seq: { N: '1' } } }),
    );
    const raw = JSON.stringify(Item);
    expect(raw).not.toContain('itwin-demo-secret-0001');
    expect(raw).not.toContain('Bearer');
    expect(Item?.day?.S).toBe('2026-03-05');
    expect(Item?.atKey?.S).toBe(`2026-03-05T08:00:00.000Z#${stream}#0000000001`);
    expect(Item?.email?.S).toBe('dana.leaver@example.com');
    expect(verifyChain(await readAll(audit, stream)).ok).toBe(true);
  });

  it('refuses an entry without a stream', async () => {
    expect((await rejection(audit.append(entry('')))).code).toBe('invalid_request');
  });
});

describe('stream paging', () => {
  it('rejects a cursor of another stream or a tampered one', async () => {
    const s1 = uniqueName('off_p1');
    for (let i = 0; i < 3; i++) await audit.append(entry(s1));
    const page = await audit.stream(s1, { limit: 1 });
    expect(page.cursor).toBeDefined();
    expect((await rejection(audit.stream('off_other', { cursor: page.cursor! }))).code).toBe(
      'invalid_request',
    );
    const bad = Buffer.from(JSON.stringify({ i: 'stream', k: { pk: s1, seq: 'x' } })).toString('base64url');
    expect((await rejection(audit.stream(s1, { cursor: bad }))).code).toBe('invalid_request');
    expect((await rejection(audit.stream(s1, { limit: -1 }))).code).toBe('invalid_request');
  });
});

describe('query', () => {
  const email = `${uniqueName('audited')}@example.com`;
  const other = `${uniqueName('other')}@example.com`;
  const streams = [uniqueName('off_q1'), uniqueName('off_q2')];
  // Three days, two streams, two subjects.
  const plan = [
    { s: 0, email, at: '2027-02-01T23:59:00.000Z' },
    { s: 0, email, at: '2027-02-02T00:01:00.000Z' },
    { s: 1, email: other, at: '2027-02-02T10:00:00.000Z' },
    { s: 1, email, at: '2027-02-02T11:00:00.000Z' },
    { s: 0, email, at: '2027-02-03T09:00:00.000Z' },
    { s: 1, email: other, at: '2027-02-04T09:00:00.000Z' },
  ];

  beforeAll(async () => {
    for (const p of plan) await audit.append(entry(streams[p.s]!, { email: p.email, at: p.at }));
  });

  it('finds every record of an email in time order, with paging', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.query({ email: email.toUpperCase(), limit: 2, cursor });
      seen.push(...page.items.map((r) => r.at));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual(plan.filter((p) => p.email === email).map((p) => p.at));
  });

  it('narrows an email by time window', async () => {
    const page = await audit.query({ email, from: '2027-02-02T00:00:00Z', to: '2027-02-02T23:59:59Z' });
    expect(page.items.map((r) => r.at)).toEqual(['2027-02-02T00:01:00.000Z', '2027-02-02T11:00:00.000Z']);
  });

  it('walks a time window across day buckets, page by page', async () => {
    for (const limit of [1, 2, 3, 100]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await audit.query({
          from: '2027-02-01T23:00:00Z',
          to: '2027-02-04T08:00:00Z',
          limit,
          cursor,
        });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((r) => `${r.streamId}@${r.at}`));
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 50);
      expect(seen).toEqual(plan.slice(0, 5).map((p) => `${streams[p.s]}@${p.at}`));
    }
  });

  it('requires from without an email, bounds the window, and validates cursors', async () => {
    expect((await rejection(audit.query({}))).code).toBe('invalid_request');
    expect(
      (await rejection(audit.query({ from: '2020-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }))).code,
    ).toBe('invalid_request');
    const page = await audit.query({ from: '2027-02-01T00:00:00Z', to: '2027-02-04T23:00:00Z', limit: 1 });
    const cursor = page.cursor!;
    // The same cursor with another window (the cursor's day is outside it) is refused.
    expect(
      (await rejection(audit.query({ from: '2027-03-01T00:00:00Z', to: '2027-03-02T00:00:00Z', cursor })))
        .code,
    ).toBe('invalid_request');
    expect((await rejection(audit.query({ email, cursor }))).code).toBe('invalid_request');
    const mid = await audit.query({ from: '2027-02-02T00:00:00Z', to: '2027-02-04T23:00:00Z', limit: 1 });
    const decoded = JSON.parse(Buffer.from(mid.cursor!, 'base64url').toString('utf8'));
    expect(decoded.k?.day).toBe('2027-02-02');
    decoded.k.day = '2027-02-03';
    const forged = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    expect(
      (
        await rejection(
          audit.query({ from: '2027-02-01T00:00:00Z', to: '2027-02-04T23:00:00Z', cursor: forged }),
        )
      ).code,
    ).toBe('invalid_request');
  });
});
