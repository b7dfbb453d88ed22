/**
 * AuditLog on DynamoDB: append only, one hash chain per stream (an offboarding id, or `global`).
 *
 * append() writes seq = last + 1 with prevHash = last hash by a conditional PutItem
 * (attribute_not_exists(seq)); when another writer took that seq first, it reloads the stream's
 * tail (consistent Query, newest first, Limit 1) and tries again. Appends of one instance to one
 * stream are serialised in memory, so only writers in other processes ever contend. The adapter
 * uses PutItem and Query only: the deployed functions get nothing else on this table.
 *
 * Items: pk = streamId, seq, every AuditRecord field, plus `day` (UTC YYYY-MM-DD of `at`) and
 * `atKey` (`<at>#<streamId>#<seq padded>`) for the byDay and byEmail GSIs.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GENESIS_HASH, hashRecord } from '../core/audit-chain.ts';
import { LeaverError } from '../core/errors.ts';
import { type AuditEntry, type AuditRecord, normaliseEmail } from '../core/model.ts';
import type { AuditLog, AuditQuery, Clock, Page } from '../core/ports.ts';
import { redact } from '../core/redact.ts';
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
import { AUDIT } from './tables.ts';

export interface DynamoAuditLogOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Stamps entries that come without `at`. */
  clock: Clock;
  /** Conditional-put attempts per append before giving up with storage_unavailable. */
  maxAppendAttempts?: number;
  /** Streams whose tail is kept in memory (least recently used dropped first). */
  tailCacheSize?: number;
  defaultLimit?: number;
  maxLimit?: number;
  /** Widest time window query() walks day by day without an email. */
  maxWindowDays?: number;
}

type Item = Record<string, unknown>;
interface Tail {
  seq: number;
  hash: string;
}

const DAY_MS = 86_400_000;
/** Item attributes that are index keys, not record fields. */
const INDEX_ATTRS = ['pk', 'day', 'atKey'] as const;

const padSeq = (seq: number) => String(seq).padStart(10, '0');

function isoOrSelf(value: string): string {
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}

/** The GSI attributes of a record's item. */
export function auditIndexKeys(rec: Pick<AuditRecord, 'streamId' | 'seq' | 'at'>): {
  day: string;
  atKey: string;
} {
  const at = isoOrSelf(rec.at);
  return { day: at.slice(0, 10), atKey: `${at}#${rec.streamId}#${padSeq(rec.seq)}` };
}

function fromItem(item: Item): AuditRecord {
  const rec: Item = { ...item };
  for (const k of INDEX_ATTRS) delete rec[k];
  return rec as unknown as AuditRecord;
}

export class DynamoAuditLog implements AuditLog {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly tailCacheSize: number;
  private readonly defaultLimit: number;
  private readonly maxLimit: number;
  private readonly maxWindowDays: number;
  private readonly tails = new Map<string, Tail>();
  private readonly queues = new Map<string, Promise<unknown>>();

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
    // One append at a time per stream in this process; other processes are handled by the condition.
    const previous = this.queues.get(entry.streamId) ?? Promise.resolve();
    const next = previous.then(
      () => this.appendNow(entry),
      () => this.appendNow(entry),
    );
    const settled = next.catch(() => undefined);
    this.queues.set(entry.streamId, settled);
    void settled.then(() => {
      if (this.queues.get(entry.streamId) === settled) this.queues.delete(entry.streamId);
    });
    return next;
  }

  private async appendNow(entry: AuditEntry): Promise<AuditRecord> {
    const body = this.normalise(entry);
    // A `received` record opens a new offboarding's stream: try seq 1 without reading the tail
    // first (one DynamoDB call less per webhook); if the stream did exist, the condition fails and
    // the tail is read as for any collision.
    let tail =
      this.tails.get(entry.streamId) ??
      (entry.event === 'received' ? { seq: 0, hash: GENESIS_HASH } : await this.loadTail(entry.streamId));
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const unhashed: Omit<AuditRecord, 'hash'> = { ...body, seq: tail.seq + 1, prevHash: tail.hash };
      const record: AuditRecord = { ...unhashed, hash: hashRecord(unhashed) };
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...record, pk: record.streamId, ...auditIndexKeys(record) },
            ConditionExpression: 'attribute_not_exists(seq)',
          }),
        );
        this.remember(record.streamId, { seq: record.seq, hash: record.hash });
        return record;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) {
          this.tails.delete(entry.streamId);
          throw toLeaverAwsError(e, 'Appending to the audit log', 'storage_unavailable');
        }
      }
      // Someone else appended this seq: reload the tail and chain after it.
      tail = await this.loadTail(entry.streamId);
      if (attempt >= 3)
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
    this.tails.delete(entry.streamId);
    throw new LeaverError('storage_unavailable', 'Audit append kept colliding with other writers', {
      retryable: true,
      details: { streamId: entry.streamId },
    });
  }

  /** The record body as it is hashed and stored: JSON-clean, email normalised, detail redacted. */
  private normalise(entry: AuditEntry): Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> {
    const {
      seq: _s,
      prevHash: _p,
      hash: _h,
      ...rest
    } = entry as AuditEntry & Partial<Pick<AuditRecord, 'seq' | 'prevHash' | 'hash'>>;
    const body = JSON.parse(JSON.stringify(rest)) as Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;
    if (!body.at) body.at = this.clock.now().toISOString();
    if (typeof body.email === 'string') {
      const email = normaliseEmail(body.email);
      if (email) body.email = email;
      else delete body.email;
    }
    if (body.detail !== undefined) body.detail = redact(body.detail);
    return body;
  }

  private remember(streamId: string, tail: Tail): void {
    this.tails.delete(streamId);
    this.tails.set(streamId, tail);
    if (this.tails.size > this.tailCacheSize) {
      const oldest = this.tails.keys().next().value;
      if (oldest !== undefined) this.tails.delete(oldest);
    }
  }

  private async loadTail(streamId: string): Promise<Tail> {
    const out = await this.run('Reading the audit log', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': streamId },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
          ProjectionExpression: '#seq, #hash',
          ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
        }),
      ),
    );
    const last = out.Items?.[0];
    const tail: Tail =
      last && typeof last.seq === 'number' && typeof last.hash === 'string'
        ? { seq: last.seq, hash: last.hash }
        : { seq: 0, hash: GENESIS_HASH };
    this.remember(streamId, tail);
    return tail;
  }

  async stream(streamId: string, opts: { limit?: number; cursor?: string } = {}): Promise<Page<AuditRecord>> {
    const limit = pageLimit(opts.limit, this.defaultLimit, this.maxLimit);
    let startKey: Record<string, string | number> | undefined;
    if (opts.cursor !== undefined) {
      const c = decodeCursor(opts.cursor);
      if (c.i !== 'stream') throw invalidCursor();
      startKey = checkKey(c.k, ['pk', 'seq'], ['seq']);
      if (startKey.pk !== streamId) throw invalidCursor();
    }
    const out = await this.run('Reading the audit log', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': streamId },
          ScanIndexForward: true,
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return {
      items: (out.Items ?? []).map(fromItem),
      cursor: out.LastEvaluatedKey ? encodeCursor({ i: 'stream', k: out.LastEvaluatedKey }) : undefined,
    };
  }

  /**
   * Records of one email (byEmail GSI), or of a time window across all streams (byDay GSI, one UTC
   * day at a time), oldest first. Without an email, `from` is required and `to` defaults to now.
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
    let startKey: Record<string, string | number> | undefined;
    if (cursor !== undefined) {
      const c = decodeCursor(cursor);
      if (c.i !== idx.name) throw invalidCursor();
      startKey = checkKey(c.k, ['pk', 'seq', idx.partitionKey, idx.sortKey], ['seq']);
      if (startKey[idx.partitionKey] !== email) throw invalidCursor();
    }
    if (from !== undefined && to !== undefined && from > to) return { items: [] };
    const names: Record<string, string> = { '#e': idx.partitionKey };
    const values: Record<string, unknown> = { ':e': email };
    let cond = '#e = :e';
    if (from !== undefined || to !== undefined) names['#k'] = idx.sortKey;
    if (from !== undefined && to !== undefined) {
      cond += ' AND #k BETWEEN :from AND :to';
      values[':from'] = from;
      values[':to'] = to + KEY_MAX_SUFFIX;
    } else if (from !== undefined) {
      cond += ' AND #k >= :from';
      values[':from'] = from;
    } else if (to !== undefined) {
      cond += ' AND #k <= :to';
      values[':to'] = to + KEY_MAX_SUFFIX;
    }
    const out = await this.run('Querying the audit log', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: idx.name,
          KeyConditionExpression: cond,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return {
      items: (out.Items ?? []).map(fromItem),
      cursor: out.LastEvaluatedKey ? encodeCursor({ i: idx.name, k: out.LastEvaluatedKey }) : undefined,
    };
  }

  /** Walks the UTC days of [from, to] in order; the cursor holds the day and the key inside it. */
  private async queryByDay(
    from: string,
    to: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AuditRecord>> {
    const idx = AUDIT.indexes.byDay;
    const firstDay = from.slice(0, 10);
    const lastDay = to.slice(0, 10);
    let day = firstDay;
    let startKey: Record<string, string | number> | undefined;
    if (cursor !== undefined) {
      const c = decodeCursor(cursor);
      if (c.i !== idx.name || typeof c.d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(c.d))
        throw invalidCursor();
      if (c.d < firstDay || c.d > lastDay) throw invalidCursor();
      day = c.d;
      if (c.k !== undefined) {
        startKey = checkKey(c.k, ['pk', 'seq', idx.partitionKey, idx.sortKey], ['seq']);
        if (startKey[idx.partitionKey] !== day) throw invalidCursor();
      }
    }
    if (from > to) return { items: [] };
    const items: AuditRecord[] = [];
    for (;;) {
      const out = await this.run('Querying the audit log', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: idx.name,
            KeyConditionExpression: '#d = :d AND #k BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#d': idx.partitionKey, '#k': idx.sortKey },
            ExpressionAttributeValues: { ':d': day, ':from': from, ':to': to + KEY_MAX_SUFFIX },
            Limit: limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      items.push(...(out.Items ?? []).map(fromItem));
      startKey = out.LastEvaluatedKey as Record<string, string | number> | undefined;
      if (startKey) {
        if (items.length >= limit)
          return { items, cursor: encodeCursor({ i: idx.name, d: day, k: startKey }) };
        continue;
      }
      if (day >= lastDay) return { items };
      day = nextDay(day);
      if (items.length >= limit) return { items, cursor: encodeCursor({ i: idx.name, d: day }) };
    }
  }

  private async run<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw toLeaverAwsError(e, what, 'storage_unavailable');
    }
  }
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);
}
