/**
 * AuditLog on DynamoDB: append only, one hash chain per stream (an offboarding id, or `global`).
 *
 * Group commit: appends to one stream made while that stream's previous write is in flight (or in
 * the same turn of the event loop) are written together, as one block item (audit-blocks.ts), by
 * one conditional PutItem (attribute_not_exists(seq)); each append resolves only once its block is
 * stored, so a record audited "before the vendor call" is durable before the call. Blocks of one
 * stream are written one at a time by this process; when another writer took the block's key
 * first, the stream's tail is read again (consistent Query, newest first, Limit 1) and the block is
 * chained after it. Different streams are written in parallel. The adapter uses PutItem and Query
 * only: the deployed functions get nothing else on this table.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GENESIS_HASH, hashRecord } from '../core/audit-chain.ts';
import { LeaverError } from '../core/errors.ts';
import { type AuditEntry, type AuditRecord, normaliseEmail } from '../core/model.ts';
import type { AuditLog, AuditQuery, ChainTail, Clock, Page } from '../core/ports.ts';
import { redact } from '../core/redact.ts';
import {
  BLOCK_MAX_SPAN_MS,
  type BlockCursor,
  blockItem,
  fitsBlock,
  type Item,
  type Key,
  lastSeqOf,
  pageRecords,
} from './audit-blocks.ts';
import { isConditionalCheckFailed, toLeaverAwsError } from './aws-errors.ts';
import {
  checkKey,
  decodeCursor,
  encodeCursor,
  invalidCursor,
  isoBound,
  KEY_MAX_SUFFIX,
  pageLimit,
} from './cursor.ts';
import { storageCall } from './dynamo-calls.ts';
import { AUDIT } from './tables.ts';

export { auditIndexKeys } from './audit-blocks.ts';

export interface DynamoAuditLogOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Stamps entries that come without `at`. */
  clock: Clock;
  /** Conditional-put attempts per block before giving up with storage_unavailable. */
  maxAppendAttempts?: number;
  /** Streams whose tail is kept in memory (least recently used dropped first). */
  tailCacheSize?: number;
  defaultLimit?: number;
  maxLimit?: number;
  /** Widest time window query() walks day by day without an email. */
  maxWindowDays?: number;
}

type Body = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;
interface Pending {
  body: Body;
  bytes: number;
  resolve: (r: AuditRecord) => void;
  reject: (e: unknown) => void;
}
interface StreamState {
  pending: Pending[];
  writing: boolean;
}

const DAY_MS = 86_400_000;

export class DynamoAuditLog implements AuditLog {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly tailCacheSize: number;
  private readonly defaultLimit: number;
  private readonly maxLimit: number;
  private readonly maxWindowDays: number;
  private readonly tails = new Map<string, ChainTail>();
  private readonly streams = new Map<string, StreamState>();

  constructor(opts: DynamoAuditLogOptions) {
    if (!opts.tableName) throw new LeaverError('config_invalid', 'DynamoAuditLog needs a tableName');
    this.doc = DynamoDBDocumentClient.from(opts.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.table = opts.tableName;
    this.clock = opts.clock;
    this.maxAttempts = opts.maxAppendAttempts ?? 25;
    this.tailCacheSize = opts.tailCacheSize ?? 1000;
    this.defaultLimit = opts.defaultLimit ?? 100;
    this.maxLimit = opts.maxLimit ?? 1000;
    this.maxWindowDays = opts.maxWindowDays ?? 400;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (!entry.streamId || typeof entry.streamId !== 'string') {
      return Promise.reject(new LeaverError('invalid_request', 'An audit entry needs a streamId'));
    }
    // Stamped now, in call order: the record's time is when it was audited, not when it was written.
    let body: Body;
    try {
      body = this.normalise(entry);
    } catch (e) {
      return Promise.reject(
        new LeaverError('invalid_request', 'An audit entry must be plain JSON data', { cause: e }),
      );
    }
    return new Promise<AuditRecord>((resolve, reject) => {
      let state = this.streams.get(body.streamId);
      if (!state) {
        state = { pending: [], writing: false };
        this.streams.set(body.streamId, state);
      }
      state.pending.push({ body, bytes: JSON.stringify(body).length + 200, resolve, reject });
      if (!state.writing) {
        state.writing = true;
        // One turn of the event loop gathers the appends made together (a wave of actions).
        setImmediate(() => void this.drain(body.streamId, state));
      }
    });
  }

  /** Writes a stream's pending appends block by block until none is left. */
  private async drain(streamId: string, state: StreamState): Promise<void> {
    while (state.pending.length > 0) {
      const block = takeBlock(state.pending);
      try {
        const records = await this.writeBlock(
          streamId,
          block.map((p) => p.body),
        );
        for (const [i, p] of block.entries()) p.resolve(records[i]!);
      } catch (e) {
        for (const p of block) p.reject(e);
      }
    }
    state.writing = false;
    if (this.streams.get(streamId) === state) this.streams.delete(streamId);
  }

  private async writeBlock(streamId: string, bodies: Body[]): Promise<AuditRecord[]> {
    // A `received` record opens a new offboarding's stream: try seq 1 without reading the tail
    // first (one DynamoDB call less per webhook); if the stream did exist, the condition fails and
    // the tail is read as for any collision.
    let tail =
      this.tails.get(streamId) ??
      (bodies[0]!.event === 'received' ? { seq: 0, hash: GENESIS_HASH } : await this.loadTail(streamId));
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const records = chain(bodies, tail);
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: blockItem(records),
            ConditionExpression: 'attribute_not_exists(seq)',
          }),
        );
        const last = records[records.length - 1]!;
        this.remember(streamId, { seq: last.seq, hash: last.hash });
        return records;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) {
          this.tails.delete(streamId);
          throw toLeaverAwsError(e, 'Appending to the audit log', 'storage_unavailable');
        }
      }
      // Someone else appended at this seq: reload the tail and chain after it.
      tail = await this.loadTail(streamId);
      if (attempt >= 3)
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
    this.tails.delete(streamId);
    throw new LeaverError('storage_unavailable', 'Audit append kept colliding with other writers', {
      retryable: true,
      details: { streamId },
    });
  }

  /** The record body as it is hashed and stored: JSON-clean, email normalised, detail redacted. */
  private normalise(entry: AuditEntry): Body {
    const {
      seq: _s,
      prevHash: _p,
      hash: _h,
      ...rest
    } = entry as AuditEntry & Partial<Pick<AuditRecord, 'seq' | 'prevHash' | 'hash'>>;
    const body = JSON.parse(JSON.stringify(rest)) as Body;
    if (!body.at) body.at = this.clock.now().toISOString();
    if (typeof body.email === 'string') {
      const email = normaliseEmail(body.email);
      if (email) body.email = email;
      else delete body.email;
    }
    if (body.detail !== undefined) body.detail = redact(body.detail);
    return body;
  }

  private remember(streamId: string, tail: ChainTail): void {
    this.tails.delete(streamId);
    this.tails.set(streamId, tail);
    if (this.tails.size > this.tailCacheSize) {
      const oldest = this.tails.keys().next().value;
      if (oldest !== undefined) this.tails.delete(oldest);
    }
  }

  private async loadTail(streamId: string): Promise<ChainTail> {
    const tail = (await this.readTail(streamId)) ?? { seq: 0, hash: GENESIS_HASH };
    this.remember(streamId, tail);
    return tail;
  }

  /** The stream's last record as stored now (consistent read), or undefined for an empty stream. */
  private async readTail(streamId: string): Promise<ChainTail | undefined> {
    const out = await storageCall('Reading the audit log', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': streamId },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      ),
    );
    const last = out.Items?.[0];
    return last ? lastSeqOf(last) : undefined;
  }

  async tail(streamId: string): Promise<ChainTail | undefined> {
    return this.readTail(streamId);
  }

  /**
   * Streams with a block written at or after `from` (byDay index, eventually consistent): the
   * digest writer's list of chains to name. Blocks are found by their first record's time.
   */
  async appendedSince(from: string, to?: string): Promise<string[]> {
    const start = isoBound(from, 'from')!;
    const end = isoBound(to, 'to') ?? this.clock.now().toISOString();
    const idx = AUDIT.indexes.byDay;
    const seen = new Set<string>();
    for (let day = start.slice(0, 10); day <= end.slice(0, 10); day = nextDay(day)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await storageCall('Querying the audit log', () =>
          this.doc.send(
            new QueryCommand({
              TableName: this.table,
              IndexName: idx.name,
              KeyConditionExpression: '#d = :d AND #k BETWEEN :from AND :to',
              ExpressionAttributeNames: { '#d': idx.partitionKey, '#k': idx.sortKey, '#pk': 'pk' },
              ExpressionAttributeValues: { ':d': day, ':from': start, ':to': end + KEY_MAX_SUFFIX },
              ProjectionExpression: '#pk',
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        for (const item of out.Items ?? []) if (typeof item.pk === 'string') seen.add(item.pk);
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    }
    return [...seen].sort();
  }

  async stream(streamId: string, opts: { limit?: number; cursor?: string } = {}): Promise<Page<AuditRecord>> {
    const limit = pageLimit(opts.limit, this.defaultLimit, this.maxLimit);
    let start: BlockCursor = { o: 0 };
    if (opts.cursor !== undefined) {
      const c = decodeCursor(opts.cursor);
      if (c.i !== 'stream') throw invalidCursor();
      if (c.s !== streamId) throw invalidCursor();
      start = blockCursor(c, ['pk', 'seq']);
      if (start.k !== undefined && start.k.pk !== streamId) throw invalidCursor();
    }
    const page = await pageRecords({
      start,
      limit,
      keyOf: (item) => ({ pk: item.pk as string, seq: item.seq as number }),
      fetch: async (startKey, n) => {
        const out = await storageCall('Reading the audit log', () =>
          this.doc.send(
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': streamId },
              ScanIndexForward: true,
              ConsistentRead: true,
              Limit: n,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey as Key | undefined };
      },
    });
    return {
      items: page.records,
      cursor: page.next ? encodeCursor({ i: 'stream', s: streamId, ...page.next }) : undefined,
    };
  }

  /**
   * Records of one email (byEmail GSI), or of a time window across all streams (byDay GSI, one UTC
   * day at a time), oldest block first. Without an email, `from` is required and `to` defaults to now.
   */
  async query(q: AuditQuery): Promise<Page<AuditRecord>> {
    const limit = pageLimit(q.limit, this.defaultLimit, this.maxLimit);
    const from = isoBound(q.from, 'from');
    let to = isoBound(q.to, 'to');
    if (q.email !== undefined) {
      const email = typeof q.email === 'string' ? normaliseEmail(q.email) : '';
      if (!email)
        throw new LeaverError('invalid_request', 'email must not be empty', { details: { field: 'email' } });
      return this.queryByEmail(email, from, to, limit, q.cursor);
    }
    if (from === undefined) {
      throw new LeaverError('invalid_request', 'from is required when no email is given', {
        details: { field: 'from' },
      });
    }
    to ??= this.clock.now().toISOString();
    const days = Math.floor(Date.parse(to) / DAY_MS) - Math.floor(Date.parse(from) / DAY_MS) + 1;
    if (days > this.maxWindowDays) {
      throw new LeaverError('invalid_request', `The time window spans more than ${this.maxWindowDays} days`, {
        details: { field: 'to', maxDays: this.maxWindowDays },
      });
    }
    return this.queryByDay(from, to, limit, q.cursor);
  }

  private async queryByEmail(
    email: string,
    from: string | undefined,
    to: string | undefined,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AuditRecord>> {
    const idx = AUDIT.indexes.byEmail;
    const keyNames = ['pk', 'seq', idx.partitionKey, idx.sortKey];
    let start: BlockCursor = { o: 0 };
    if (cursor !== undefined) {
      const c = decodeCursor(cursor);
      if (c.i !== idx.name) throw invalidCursor();
      start = blockCursor(c, keyNames);
      if (start.k !== undefined && start.k[idx.partitionKey] !== email) throw invalidCursor();
    }
    if (from !== undefined && to !== undefined && from > to) return { items: [] };
    const names: Record<string, string> = { '#e': idx.partitionKey };
    const values: Record<string, unknown> = { ':e': email };
    let cond = '#e = :e';
    // A block is found by its first record's time: start early enough to find one that began before `from`.
    const early = from === undefined ? undefined : blockSearchStart(from);
    if (from !== undefined || to !== undefined) names['#k'] = idx.sortKey;
    if (early !== undefined && to !== undefined) {
      cond += ' AND #k BETWEEN :from AND :to';
      values[':from'] = early;
      values[':to'] = to + KEY_MAX_SUFFIX;
    } else if (early !== undefined) {
      cond += ' AND #k >= :from';
      values[':from'] = early;
    } else if (to !== undefined) {
      cond += ' AND #k <= :to';
      values[':to'] = to + KEY_MAX_SUFFIX;
    }
    const page = await pageRecords({
      start,
      limit,
      keyOf: (item) => pick(item, keyNames),
      keep: (r) => inWindow(r, from, to),
      fetch: async (startKey, n) => {
        const out = await storageCall('Querying the audit log', () =>
          this.doc.send(
            new QueryCommand({
              TableName: this.table,
              IndexName: idx.name,
              KeyConditionExpression: cond,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              Limit: n,
              ExclusiveStartKey: startKey,
            }),
          ),
        );
        return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey as Key | undefined };
      },
    });
    return {
      items: page.records,
      cursor: page.next ? encodeCursor({ i: idx.name, ...page.next }) : undefined,
    };
  }

  /** Walks the UTC days of [from, to] in order; the cursor holds the day and the position inside it. */
  private async queryByDay(
    from: string,
    to: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AuditRecord>> {
    const idx = AUDIT.indexes.byDay;
    const keyNames = ['pk', 'seq', idx.partitionKey, idx.sortKey];
    const early = blockSearchStart(from);
    const firstDay = early.slice(0, 10);
    const lastDay = to.slice(0, 10);
    let day = firstDay;
    let start: BlockCursor = { o: 0 };
    if (cursor !== undefined) {
      const c = decodeCursor(cursor);
      if (c.i !== idx.name || typeof c.d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(c.d))
        throw invalidCursor();
      if (c.d < firstDay || c.d > lastDay) throw invalidCursor();
      day = c.d;
      start = blockCursor(c, keyNames);
      if (start.k !== undefined && start.k[idx.partitionKey] !== day) throw invalidCursor();
    }
    if (from > to) return { items: [] };
    const items: AuditRecord[] = [];
    for (;;) {
      const page = await pageRecords({
        start,
        limit: limit - items.length,
        keyOf: (item) => pick(item, keyNames),
        keep: (r) => inWindow(r, from, to),
        fetch: async (startKey, n) => {
          const out = await storageCall('Querying the audit log', () =>
            this.doc.send(
              new QueryCommand({
                TableName: this.table,
                IndexName: idx.name,
                KeyConditionExpression: '#d = :d AND #k BETWEEN :from AND :to',
                ExpressionAttributeNames: { '#d': idx.partitionKey, '#k': idx.sortKey },
                ExpressionAttributeValues: { ':d': day, ':from': early, ':to': to + KEY_MAX_SUFFIX },
                Limit: n,
                ExclusiveStartKey: startKey,
              }),
            ),
          );
          return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey as Key | undefined };
        },
      });
      items.push(...page.records);
      if (page.next) return { items, cursor: encodeCursor({ i: idx.name, d: day, ...page.next }) };
      if (day >= lastDay) return { items };
      day = nextDay(day);
      start = { o: 0 };
      if (items.length >= limit) return { items, cursor: encodeCursor({ i: idx.name, d: day, o: 0 }) };
    }
  }
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);
}

/** Takes the first block's worth of pending appends (see fitsBlock) off the queue. */
function takeBlock(pending: Pending[]): Pending[] {
  const first = pending[0]!;
  let bytes = first.bytes;
  let n = 1;
  while (n < pending.length && fitsBlock(first.body, pending[n]!.body, n, bytes, pending[n]!.bytes)) {
    bytes += pending[n]!.bytes;
    n++;
  }
  return pending.splice(0, n);
}

/** The bodies as records chained after `tail`. */
function chain(bodies: readonly Body[], tail: ChainTail): AuditRecord[] {
  let prev = tail;
  return bodies.map((body) => {
    const unhashed: Omit<AuditRecord, 'hash'> = { ...body, seq: prev.seq + 1, prevHash: prev.hash };
    const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
    prev = { seq: record.seq, hash: record.hash };
    return record;
  });
}

/** The earliest block key that can hold a record at or after `from`. */
function blockSearchStart(from: string): string {
  return new Date(Date.parse(from) - BLOCK_MAX_SPAN_MS).toISOString();
}

function inWindow(r: AuditRecord, from: string | undefined, to: string | undefined): boolean {
  const at = typeof r.at === 'string' ? r.at : '';
  return (from === undefined || at >= from) && (to === undefined || at <= to);
}

function pick(item: Item, names: readonly string[]): Key {
  const out: Key = {};
  for (const n of names) out[n] = item[n] as string | number;
  return out;
}

/** A decoded cursor's position: `k` (an item key with exactly `names`, or absent) and `o` (records to skip). */
function blockCursor(c: Record<string, unknown>, names: readonly string[]): BlockCursor {
  const o = c.o;
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0 || o > 10_000) throw invalidCursor();
  if (c.k === undefined) return { o };
  return { k: checkKey(c.k, names, ['seq']) as Key, o };
}
