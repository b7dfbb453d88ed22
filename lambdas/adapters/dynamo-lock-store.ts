/**
 * LockStore and RequestBoard on the Offboardings table (key layout in tables.ts). Conditional
 * UpdateItem/PutItem, GetItem and Query only: no transactions (dynalite has none) and no DeleteItem
 * (the functions are not allowed it).
 *
 * Lock `LOCK#<name>` / `LOCK`: `owner` (absent when free), `rvn` (a fresh random value on every
 * acquire, renew and release) and the holder's `ttlMs`. A lease lapses when its rvn stays the same
 * for `ttlMs` as timed by the process that wants the lock, on its own monotonic clock: the
 * holder's wall clock is never compared with the waiter's (the scheme of Amazon's DynamoDB Lock
 * Client), so processes whose clocks disagree still never hold the lock together. Taking a lapsed
 * lock is conditioned on the rvn the waiter watched, so a holder that renewed meanwhile keeps it.
 * `expiresAt` (the holder's clock) is kept on the item for people reading the table.
 *
 * Requests `LOCK#<name>` / `REQ#<postedAt>#<uuid>`: `items`, `state` (`open` | `settled`) and, once
 * settled, `results`. The sort key starts with the posting time, so the holder's Query reads only
 * the recent ones.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LeaverError } from '../core/errors.ts';
import type { Clock, PostedRequest, RequestResult, WriteCoordination } from '../core/ports.ts';
import { conditionalWrite, queryAll, storageCall } from './dynamo-calls.ts';
import { systemClock } from './system-clock.ts';

export interface DynamoLockStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Wall clock: request times and the informational `expiresAt`. */
  clock?: Clock;
  /** Monotonic milliseconds for timing how long a lease went unrenewed (tests pass their own). */
  elapsed?: () => number;
}

type Item = Record<string, unknown>;

/** Requests older than this are abandoned: no waiter outlives a Lambda invocation (15 minutes). */
export const REQUEST_WINDOW_MS = 20 * 60_000;
const lockKey = (name: string) => ({ pk: `LOCK#${name}`, sk: 'LOCK' });
const REQ_PREFIX = 'REQ#';

export class DynamoLockStore implements WriteCoordination {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly elapsed: () => number;
  /** Lock name -> the rvn this process last saw another owner hold, and since when (monotonic). */
  private readonly watched = new Map<string, { rvn: string; since: number }>();

  constructor(opts: DynamoLockStoreOptions) {
    if (!opts.tableName) throw new LeaverError('config_invalid', 'DynamoLockStore needs a tableName');
    this.doc = DynamoDBDocumentClient.from(opts.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.table = opts.tableName;
    this.clock = opts.clock ?? systemClock;
    this.elapsed = opts.elapsed ?? (() => performance.now());
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLease(name, owner, ttlMs);
    const item = await this.get(lockKey(name), 'Reading a lock');
    const holder = typeof item?.owner === 'string' ? item.owner : undefined;
    if (holder === owner) return this.renew(name, owner, ttlMs);
    let condition = 'attribute_not_exists(#owner)';
    const values: Record<string, unknown> = {};
    if (holder !== undefined) {
      const rvn = String(item?.rvn ?? '');
      const heldFor = typeof item?.ttlMs === 'number' ? item.ttlMs : ttlMs;
      const now = this.elapsed();
      const seen = this.watched.get(name);
      if (!seen || seen.rvn !== rvn) {
        this.watched.set(name, { rvn, since: now });
        return false;
      }
      if (now - seen.since < heldFor) return false;
      // Unrenewed for a whole lease: the holder is gone. Take it unless it renewed just now.
      condition = '#rvn = :seen';
      values[':seen'] = rvn;
    }
    const taken = await this.write(name, 'SET #owner = :owner', condition, values, ttlMs, owner);
    if (taken) this.watched.delete(name);
    return taken;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLease(name, owner, ttlMs);
    return this.write(name, 'SET #owner = :owner', '#owner = :owner', {}, ttlMs, owner);
  }

  async release(name: string, owner: string): Promise<boolean> {
    checkLease(name, owner, 1);
    return this.write(name, 'REMOVE #owner', '#owner = :owner', { ':owner': owner }, undefined, undefined);
  }

  /** One conditional UpdateItem of the lock item; false when the condition failed. */
  private async write(
    name: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    ttlMs: number | undefined,
    owner: string | undefined,
  ): Promise<boolean> {
    const sets = ['#rvn = :rvn', '#type = :type'];
    const allValues: Record<string, unknown> = { ...values, ':rvn': randomUUID(), ':type': 'lock' };
    if (owner !== undefined) allValues[':owner'] = owner;
    if (ttlMs !== undefined) {
      sets.push('#ttl = :ttl', '#exp = :exp');
      allValues[':ttl'] = ttlMs;
      allValues[':exp'] = new Date(this.clock.now().getTime() + ttlMs).toISOString();
    }
    const expression = update.startsWith('SET ')
      ? `${update}, ${sets.join(', ')}`
      : `${update} SET ${sets.join(', ')}`;
    const written = await conditionalWrite('Updating a lock', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: lockKey(name),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#rvn': 'rvn',
            '#type': 'type',
            ...(ttlMs !== undefined ? { '#ttl': 'ttlMs', '#exp': 'expiresAt' } : {}),
          },
          ExpressionAttributeValues: allValues,
        }),
      ),
    );
    return written !== undefined;
  }

  async post(name: string, items: readonly string[]): Promise<string> {
    if (!name) throw new LeaverError('invalid_request', 'A request needs a lock name');
    const postedAt = this.clock.now().toISOString();
    const id = `${postedAt}#${randomUUID()}`;
    await storageCall('Posting a request', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: lockKey(name).pk,
            sk: `${REQ_PREFIX}${id}`,
            type: 'lock-request',
            state: 'open',
            items: [...items],
            postedAt,
            expiresAt: new Date(Date.parse(postedAt) + REQUEST_WINDOW_MS).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return id;
  }

  async open(name: string): Promise<PostedRequest[]> {
    const since = new Date(this.clock.now().getTime() - REQUEST_WINDOW_MS).toISOString();
    const items = await queryAll(this.doc, 'Reading open requests', {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: '#state = :open',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':pk': lockKey(name).pk,
        ':from': `${REQ_PREFIX}${since}`,
        ':to': `${REQ_PREFIX}\uffff`,
        ':open': 'open',
      },
      ConsistentRead: true,
    });
    const out: PostedRequest[] = [];
    for (const item of items) {
      const ids = Array.isArray(item.items)
        ? item.items.filter((x): x is string => typeof x === 'string')
        : [];
      out.push({ id: String(item.sk).slice(REQ_PREFIX.length), items: ids });
    }
    return out;
  }

  async settle(name: string, id: string, results: Record<string, RequestResult>): Promise<boolean> {
    const written = await conditionalWrite('Settling a request', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: lockKey(name).pk, sk: `${REQ_PREFIX}${id}` },
          UpdateExpression: 'SET #state = :settled, #results = :results, #at = :at',
          ConditionExpression: '#state = :open',
          ExpressionAttributeNames: { '#state': 'state', '#results': 'results', '#at': 'settledAt' },
          ExpressionAttributeValues: {
            ':settled': 'settled',
            ':open': 'open',
            ':results': JSON.parse(JSON.stringify(results)),
            ':at': this.clock.now().toISOString(),
          },
        }),
      ),
    );
    return written !== undefined;
  }

  async results(name: string, id: string): Promise<Record<string, RequestResult> | undefined> {
    const item = await this.get({ pk: lockKey(name).pk, sk: `${REQ_PREFIX}${id}` }, 'Reading a request');
    if (item?.state !== 'settled') return undefined;
    return (item.results ?? {}) as Record<string, RequestResult>;
  }

  private async get(key: { pk: string; sk: string }, what: string): Promise<Item | undefined> {
    const out = await storageCall(what, () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
    );
    return out.Item;
  }
}

function checkLease(name: string, owner: string, ttlMs: number): void {
  if (!name || !owner) throw new LeaverError('invalid_request', 'A lock needs a name and an owner');
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new LeaverError('invalid_request', 'A lock lease needs a positive ttlMs');
}
