/**
 * OffboardingStore on DynamoDB (the layout of tables.ts). Works on AWS, moto_server and dynalite:
 * it uses conditional PutItem/UpdateItem, GetItem and Query only (no transactions).
 *
 * Idempotent create by (origin.id, sourceEventId), in two conditional puts:
 *   1. the marker `SRC#<origin>#<eventId>` holding the new id (attribute_not_exists);
 *   2. the offboarding `OFF#<id>/META` (attribute_not_exists).
 * A caller that loses step 1 reads the marker and returns the offboarding it names; when that
 * offboarding is missing (its creator crashed between the two puts) the caller writes it itself, so
 * the next call heals the gap. Whoever wins step 2 reports `created: true`, so exactly one caller
 * does. GSI attributes (gsi1*, gsi2*, gsi3pk) are recomputed on every write of the META item.
 * The subject's aliases get one index item each (`ALIAS#<alias>` / `OFF#<id>`), written before the
 * META item so every stored offboarding can be found by any of its addresses.
 *
 * Action results are written with group commit: the results of one offboarding stored while its
 * previous write is in flight go together into one item (`ACTS#<time>#<n>`, a list of results), so a
 * leaver with a thousand grants costs tens of writes, not a thousand. listActions reads them (and the
 * one-result items `ACT#<grantKey>` of earlier versions) in write order and keeps each grant's latest.
 *
 * Bounded sets (`addToBoundedSet`, the blast-radius counters) are one item each holding a string
 * set; the check and the add are one conditional UpdateItem (ADD with a condition on the set's
 * size), so concurrent processes can never together take a set past its limit. No transactions.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LeaverError } from '../core/errors.ts';
import {
  type ActionResult,
  normaliseEmail,
  OFFBOARDING_STATUSES,
  type Offboarding,
  type OffboardingStatus,
} from '../core/model.ts';
import type { OffboardingQuery, OffboardingStore, Page, StatusCounts } from '../core/ports.ts';
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
import { conditionalWrite, queryAll, storageCall } from './dynamo-calls.ts';
import { GroupCommit } from './group-commit.ts';
import { OFFBOARDINGS } from './tables.ts';

export interface DynamoOffboardingStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Page size of query() when the caller gives none. */
  defaultLimit?: number;
  /** Largest page size query() accepts. */
  maxLimit?: number;
  /** How many offboardings due() returns at most when the caller gives no limit. */
  dueLimit?: number;
  /** Items per Query page when listActions() reads an offboarding's action results (it reads all pages). */
  actionPageSize?: number;
}

type Item = Record<string, unknown>;
type Patch = Partial<Omit<Offboarding, 'id' | 'status' | 'version'>>;

const META = 'META';
/** One result per item (earlier versions), and batches of results (`ACTS#...`): both start with `ACT`. */
const ACTS_PREFIX = 'ACTS#';
/** Results per batch item at most, and their serialised size (DynamoDB items are <= 400 KB). */
const ACTION_BATCH_MAX = 200;
const ACTION_BATCH_BYTES = 200_000;
const KILL_SWITCH_KEY = { pk: 'FLAG#kill-switch', sk: 'FLAG' };
const aliasPk = (alias: string) => `ALIAS#${alias}`;
const setKey = (key: string) => ({ pk: `SET#${key}`, sk: 'SET' });
const cursorKey = (name: string) => ({ pk: `CURSOR#${name}`, sk: 'CURSOR' });
/** Conditional-write attempts of addToBoundedSet before giving up with storage_unavailable. */
const SET_ATTEMPTS = 25;
/** Attributes of the META item that are keys, not Offboarding fields. */
const KEY_ATTRS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'type'] as const;
/** Fields a patch must not touch: identity and the idempotency key. */
const IMMUTABLE = new Set(['id', 'status', 'version', 'origin', 'sourceEventId', ...KEY_ATTRS]);

const offKey = (id: string) => ({ pk: `OFF#${id}`, sk: META });
export const sourceMarkerKey = (originId: string, sourceEventId: string) => ({
  pk: `SRC#${originId}#${sourceEventId}`,
  sk: 'SRC',
});

/** A timestamp in toISOString() form when it parses, so GSI sort keys compare chronologically. */
function sortableTime(value: string): string {
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}

/** The GSI attributes an offboarding's META item carries (they follow status, email and times). */
export function offboardingIndexKeys(
  o: Pick<
    Offboarding,
    'id' | 'subject' | 'status' | 'effectiveAt' | 'receivedAt' | 'origin' | 'sourceEventId'
  >,
) {
  return {
    gsi1pk: `EMAIL#${normaliseEmail(o.subject.email)}`,
    gsi1sk: `${sortableTime(o.receivedAt)}#${o.id}`,
    gsi2pk: `STATUS#${o.status}`,
    gsi2sk: `${sortableTime(o.effectiveAt)}#${o.id}`,
    gsi3pk: sourceMarkerKey(o.origin.id, o.sourceEventId).pk,
  };
}

function toItem(o: Offboarding): Item {
  return {
    ...offKey(o.id),
    type: 'offboarding',
    ...JSON.parse(JSON.stringify(o)),
    ...offboardingIndexKeys(o),
  };
}

function fromItem(item: Item): Offboarding {
  const o: Item = { ...item };
  for (const k of KEY_ATTRS) delete o[k];
  return o as unknown as Offboarding;
}

/** A key condition on one partition with an inclusive sort key range (either end optional). */
function sortKeyCondition(
  partitionName: string,
  partition: string,
  sortName: string,
  from: string | undefined,
  to: string | undefined,
): Pick<
  QueryCommandInput,
  'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  const names: Record<string, string> = { '#p': partitionName };
  const values: Record<string, unknown> = { ':p': partition };
  let condition = '#p = :p';
  if (from !== undefined || to !== undefined) names['#s'] = sortName;
  if (from !== undefined) values[':from'] = from;
  if (to !== undefined) values[':to'] = to;
  if (from !== undefined && to !== undefined) condition += ' AND #s BETWEEN :from AND :to';
  else if (from !== undefined) condition += ' AND #s >= :from';
  else if (to !== undefined) condition += ' AND #s <= :to';
  return {
    KeyConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** A DynamoDB string set as the document client returns it (a Set), as an array. */
function setMembers(value: unknown): string[] {
  if (value instanceof Set) return [...value].filter((v): v is string => typeof v === 'string');
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function actionsFromItem(item: Item): ActionResult[] {
  if (Array.isArray(item.results)) return item.results as ActionResult[];
  const { pk: _pk, sk: _sk, type: _type, offboardingId: _id, ...rest } = item;
  return [rest as unknown as ActionResult];
}

/** How many of `pending` fit one batch item. */
function takeActions(pending: readonly ActionResult[]): number {
  let bytes = 0;
  let n = 0;
  for (const a of pending) {
    bytes += JSON.stringify(a).length;
    if (n >= ACTION_BATCH_MAX || (n > 0 && bytes > ACTION_BATCH_BYTES)) break;
    n++;
  }
  return n;
}

let batchCounter = 0;
/** Sorts batch items in write order: the time, then a per-process counter for writes of the same millisecond. */
function batchSortKey(): string {
  batchCounter = (batchCounter + 1) % 1e9;
  return `${ACTS_PREFIX}${new Date().toISOString()}#${String(batchCounter).padStart(9, '0')}`;
}

export class DynamoOffboardingStore implements OffboardingStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly defaultLimit: number;
  private readonly maxLimit: number;
  private readonly dueLimit: number;
  private readonly actionPageSize: number;
  private readonly actions: GroupCommit<ActionResult>;

  constructor(opts: DynamoOffboardingStoreOptions) {
    if (!opts.tableName) throw new LeaverError('config_invalid', 'DynamoOffboardingStore needs a tableName');
    this.doc = DynamoDBDocumentClient.from(opts.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.table = opts.tableName;
    this.defaultLimit = opts.defaultLimit ?? 50;
    this.maxLimit = opts.maxLimit ?? 1000;
    this.dueLimit = opts.dueLimit ?? 1000;
    this.actionPageSize = opts.actionPageSize ?? 500;
    this.actions = new GroupCommit<ActionResult>({
      take: takeActions,
      write: (offboardingId, results) =>
        storageCall('Storing action results', () =>
          this.doc.send(
            new PutCommand({
              TableName: this.table,
              Item: {
                pk: `OFF#${offboardingId}`,
                sk: batchSortKey(),
                type: 'actions',
                offboardingId,
                results: JSON.parse(JSON.stringify(results)),
              },
            }),
          ),
        ).then(() => undefined),
    });
  }

  async create(offboarding: Offboarding): Promise<{ created: boolean; offboarding: Offboarding }> {
    if (!offboarding.id || !offboarding.origin?.id || !offboarding.sourceEventId) {
      throw new LeaverError(
        'invalid_request',
        'An offboarding needs an id, an origin id and a source event id',
      );
    }
    const marker = sourceMarkerKey(offboarding.origin.id, offboarding.sourceEventId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...marker,
            type: 'source-marker',
            offboardingId: offboarding.id,
            at: offboarding.receivedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return await this.putMeta(offboarding);
    } catch (e) {
      if (!isConditionalCheckFailed(e))
        throw toLeaverAwsError(e, 'Storing the offboarding', 'storage_unavailable');
    }
    // The event was seen before: return what the marker names, healing a half-done create.
    const existing = await this.getItem(marker);
    const existingId = existing?.offboardingId;
    if (typeof existingId !== 'string') {
      throw new LeaverError('storage_unavailable', 'Source event marker is unreadable', { retryable: true });
    }
    const stored = await this.get(existingId);
    if (stored) return { created: false, offboarding: stored };
    return this.putMeta({ ...offboarding, id: existingId });
  }

  /** Conditional put of the META item; the caller that writes it is the creator. */
  private async putMeta(offboarding: Offboarding): Promise<{ created: boolean; offboarding: Offboarding }> {
    await this.putAliases(offboarding);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(offboarding),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true, offboarding: fromItem(toItem(offboarding)) };
    } catch (e) {
      if (!isConditionalCheckFailed(e))
        throw toLeaverAwsError(e, 'Storing the offboarding', 'storage_unavailable');
    }
    const stored = await this.get(offboarding.id);
    if (!stored) {
      throw new LeaverError('storage_unavailable', 'Offboarding vanished while being created', {
        retryable: true,
      });
    }
    return { created: false, offboarding: stored };
  }

  /** One index item per alias (idempotent puts), before the META item exists. */
  private async putAliases(o: Offboarding): Promise<void> {
    const primary = normaliseEmail(o.subject.email);
    const aliases = [...new Set((o.subject.aliases ?? []).map(normaliseEmail))].filter(
      (a) => a.length > 0 && a !== primary,
    );
    await Promise.all(
      aliases.map((alias) =>
        storageCall('Storing an alias of the offboarding', () =>
          this.doc.send(
            new PutCommand({
              TableName: this.table,
              Item: {
                pk: aliasPk(alias),
                sk: `OFF#${o.id}`,
                type: 'alias',
                offboardingId: o.id,
                receivedAt: o.receivedAt,
              },
            }),
          ),
        ),
      ),
    );
  }

  async queryByAlias(email: string): Promise<Offboarding[]> {
    const alias = typeof email === 'string' ? normaliseEmail(email) : '';
    if (!alias)
      throw new LeaverError('invalid_request', 'email must not be empty', { details: { field: 'email' } });
    const items = await queryAll(
      this.doc,
      'Querying offboardings by alias',
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': aliasPk(alias) },
        ConsistentRead: true,
      },
      (so) => so.length >= this.maxLimit,
    );
    const ids = items.map((item) => item.offboardingId).filter((id): id is string => typeof id === 'string');
    const found = await Promise.all(ids.map((id) => this.get(id)));
    // An index item whose offboarding was never written (its creator crashed) names nothing.
    return found.filter(
      (o): o is Offboarding => o?.subject.aliases.map(normaliseEmail).includes(alias) === true,
    );
  }

  async addToBoundedSet(
    key: string,
    members: readonly string[],
    max: number,
    opts: { expiresAt?: string } = {},
  ): Promise<{ added: boolean; members: string[] }> {
    if (!key) throw new LeaverError('invalid_request', 'A bounded set needs a key');
    const wanted = [...new Set(members)];
    const itemKey = setKey(key);
    /** The set as last read; undefined until read (the first attempt writes without reading). */
    let known: Set<string> | undefined;
    for (let attempt = 1; attempt <= SET_ATTEMPTS; attempt++) {
      let add = wanted;
      let condition: string;
      const values: Record<string, unknown> = {};
      if (known === undefined && wanted.length > 0 && wanted.length <= max) {
        // Optimistic: whatever the set holds, adding `wanted` to at most max - |wanted| stays <= max.
        condition = 'attribute_not_exists(#m) OR size(#m) <= :room';
        values[':room'] = max - wanted.length;
      } else {
        known ??= await this.readSet(itemKey);
        const held = known;
        add = wanted.filter((m) => !held.has(m));
        if (add.length === 0) return { added: true, members: [...held] };
        if (held.size + add.length > max) return { added: false, members: [...held] };
        // Exactly the size we read: adding |add| keeps it <= max even if members changed meanwhile.
        condition = held.size === 0 ? 'attribute_not_exists(#m)' : 'size(#m) = :n';
        if (held.size > 0) values[':n'] = held.size;
      }
      try {
        const out = await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: itemKey,
            UpdateExpression: `ADD #m :add SET #type = :type${opts.expiresAt ? ', #exp = :exp' : ''}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: {
              '#m': 'members',
              '#type': 'type',
              ...(opts.expiresAt ? { '#exp': 'expiresAt' } : {}),
            },
            ExpressionAttributeValues: {
              ...values,
              ':add': new Set(add),
              ':type': 'bounded-set',
              ...(opts.expiresAt ? { ':exp': opts.expiresAt } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { added: true, members: setMembers(out.Attributes?.members) };
      } catch (e) {
        if (!isConditionalCheckFailed(e))
          throw toLeaverAwsError(e, 'Updating a blast-radius counter', 'storage_unavailable');
      }
      known = await this.readSet(itemKey);
      if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
    throw new LeaverError('storage_unavailable', 'A blast-radius counter is too contended; try again', {
      retryable: true,
    });
  }

  private async readSet(key: { pk: string; sk: string }): Promise<Set<string>> {
    return new Set(setMembers((await this.getItem(key))?.members));
  }

  async getCursor(name: string): Promise<string | undefined> {
    const item = await this.getItem(cursorKey(name));
    return typeof item?.value === 'string' ? item.value : undefined;
  }

  async setCursor(name: string, value: string | undefined): Promise<void> {
    // Cleared by writing the item without a value: the functions get no DeleteItem.
    await storageCall('Storing a cursor', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...cursorKey(name), type: 'cursor', ...(value !== undefined ? { value } : {}) },
        }),
      ),
    );
  }

  async get(id: string): Promise<Offboarding | undefined> {
    const item = await this.getItem(offKey(id));
    return item ? fromItem(item) : undefined;
  }

  async transition(
    id: string,
    from: readonly OffboardingStatus[],
    to: OffboardingStatus,
    patch: Patch = {},
  ): Promise<Offboarding> {
    if (from.length === 0)
      throw new LeaverError('conflict', 'No status to transition from', { details: { id, to } });
    return this.conditionalUpdate(id, from, to, patch);
  }

  async update(id: string, status: OffboardingStatus, patch: Patch): Promise<Offboarding> {
    return this.conditionalUpdate(id, [status], undefined, patch);
  }

  /**
   * One UpdateItem: SET the patch (REMOVE for keys explicitly set to undefined), bump version, and
   * keep the GSI keys in step, on condition that the item exists and its status is one of `from`.
   */
  private async conditionalUpdate(
    id: string,
    from: readonly OffboardingStatus[],
    to: OffboardingStatus | undefined,
    patch: Patch,
  ): Promise<Offboarding> {
    const names: Record<string, string> = { '#status': 'status', '#version': 'version', '#pk': 'pk' };
    const values: Record<string, unknown> = { ':one': 1, ':zero': 0 };
    const sets: string[] = ['#version = if_not_exists(#version, :zero) + :one'];
    const removes: string[] = [];
    let n = 0;
    const set = (attr: string, value: unknown) => {
      const i = n++;
      names[`#a${i}`] = attr;
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
    };

    const clean = JSON.parse(JSON.stringify(patch)) as Item;
    for (const key of Object.keys(patch)) {
      if (IMMUTABLE.has(key)) {
        throw new LeaverError('invalid_request', `Field ${key} cannot be changed by an update`, {
          details: { field: key },
        });
      }
      if (clean[key] === undefined) {
        const i = n++;
        names[`#a${i}`] = key;
        removes.push(`#a${i}`);
      } else {
        set(key, clean[key]);
      }
    }
    if (to !== undefined) {
      set('status', to);
      set('gsi2pk', `STATUS#${to}`);
    }
    if (typeof clean.effectiveAt === 'string') set('gsi2sk', `${sortableTime(clean.effectiveAt)}#${id}`);
    if (typeof clean.receivedAt === 'string') set('gsi1sk', `${sortableTime(clean.receivedAt)}#${id}`);
    const subject = clean.subject as { email?: unknown } | undefined;
    if (subject && typeof subject.email === 'string') set('gsi1pk', `EMAIL#${normaliseEmail(subject.email)}`);

    from.forEach((s, i) => {
      values[`:from${i}`] = s;
    });
    const condition = `attribute_exists(#pk) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`;
    const expression = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: offKey(id),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes ?? {});
    } catch (e) {
      if (!isConditionalCheckFailed(e))
        throw toLeaverAwsError(e, 'Updating the offboarding', 'storage_unavailable');
    }
    const current = await this.get(id);
    if (!current) throw new LeaverError('not_found', 'Offboarding not found', { details: { id } });
    throw new LeaverError('conflict', `Offboarding is ${current.status}, expected ${from.join(' or ')}`, {
      details: { id, status: current.status, expected: [...from], ...(to ? { to } : {}) },
    });
  }

  async query(q: OffboardingQuery): Promise<Page<Offboarding>> {
    const limit = pageLimit(q.limit, this.defaultLimit, this.maxLimit);
    const from = isoBound(q.from, 'from');
    const to = isoBound(q.to, 'to');
    if (q.email !== undefined) {
      const email = typeof q.email === 'string' ? normaliseEmail(q.email) : '';
      if (!email)
        throw new LeaverError('invalid_request', 'email must not be empty', { details: { field: 'email' } });
      const idx = OFFBOARDINGS.indexes.byEmail;
      const filter =
        q.status === undefined
          ? {}
          : {
              FilterExpression: '#status = :status',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':status': q.status },
            };
      return this.queryIndex(idx.name, ['pk', 'sk', idx.partitionKey, idx.sortKey], {
        partition: { name: idx.partitionKey, value: `EMAIL#${email}` },
        sortName: idx.sortKey,
        from,
        to,
        limit,
        cursor: q.cursor,
        desc: q.order === 'desc',
        extra: filter,
      });
    }
    if (q.status !== undefined) {
      const idx = OFFBOARDINGS.indexes.byStatusDue;
      return this.queryIndex(idx.name, ['pk', 'sk', idx.partitionKey, idx.sortKey], {
        partition: { name: idx.partitionKey, value: `STATUS#${q.status}` },
        sortName: idx.sortKey,
        from,
        to,
        limit,
        cursor: q.cursor,
        desc: q.order === 'desc',
      });
    }
    if (q.order !== undefined)
      return this.byEffectiveTime({ from, to, limit, cursor: q.cursor, order: q.order });
    return this.scanAll({ from, to, limit, cursor: q.cursor });
  }

  /**
   * Every status in effectiveAt order: one page of each status partition of byStatusDue, merged.
   * The cursor is the sort key of the last item given (keys hold the id, so they are unique); the
   * next page asks every partition for what lies beyond it. An offboarding whose status changes
   * between two pages may show on both or neither, as with any listing of live data.
   */
  private async byEffectiveTime(q: {
    from?: string;
    to?: string;
    limit: number;
    cursor?: string;
    order: 'asc' | 'desc';
  }): Promise<Page<Offboarding>> {
    let after: string | undefined;
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      if (c.i !== 'effective' || c.o !== q.order || typeof c.p !== 'string' || c.p.length > 1024) {
        throw invalidCursor();
      }
      after = c.p;
    }
    const desc = q.order === 'desc';
    let from = q.from;
    let to = q.to === undefined ? undefined : q.to + KEY_MAX_SUFFIX;
    // The bound the cursor sets is inclusive in the key condition; its own item is dropped below.
    if (after !== undefined) {
      if (desc) to = to === undefined || after < to ? after : to;
      else from = from === undefined || after > from ? after : from;
    }
    if (from !== undefined && to !== undefined && from > to) return { items: [] };
    const idx = OFFBOARDINGS.indexes.byStatusDue;
    const sortKey = (o: Offboarding) => offboardingIndexKeys(o).gsi2sk;
    const pages = await Promise.all(
      OFFBOARDING_STATUSES.map((status) =>
        storageCall('Querying offboardings', () =>
          this.doc.send(
            new QueryCommand({
              TableName: this.table,
              IndexName: idx.name,
              ...sortKeyCondition(idx.partitionKey, `STATUS#${status}`, idx.sortKey, from, to),
              ScanIndexForward: !desc,
              // One more than a page: the item at the cursor may come back and is dropped.
              Limit: q.limit + 1,
            }),
          ),
        ),
      ),
    );
    let more = false;
    const all: Offboarding[] = [];
    for (const out of pages) {
      if (out.LastEvaluatedKey) more = true;
      for (const item of out.Items ?? []) {
        const o = fromItem(item);
        if (after === undefined || sortKey(o) !== after) all.push(o);
      }
    }
    all.sort((a, b) => (desc ? sortKey(b).localeCompare(sortKey(a)) : sortKey(a).localeCompare(sortKey(b))));
    const items = all.slice(0, q.limit);
    if (all.length > q.limit) more = true;
    const last = items.at(-1);
    return more && last
      ? { items, cursor: encodeCursor({ i: 'effective', o: q.order, p: sortKey(last) }) }
      : { items };
  }

  async countByStatus(q: { from?: string; to?: string }): Promise<StatusCounts> {
    const from = isoBound(q.from, 'from');
    const to = isoBound(q.to, 'to');
    const idx = OFFBOARDINGS.indexes.byStatusDue;
    const counts = Object.fromEntries(OFFBOARDING_STATUSES.map((s) => [s, 0])) as StatusCounts;
    if (from !== undefined && to !== undefined && from > to) return counts;
    await Promise.all(
      OFFBOARDING_STATUSES.map(async (status) => {
        let startKey: Record<string, unknown> | undefined;
        do {
          const out = await storageCall('Counting offboardings', () =>
            this.doc.send(
              new QueryCommand({
                TableName: this.table,
                IndexName: idx.name,
                ...sortKeyCondition(
                  idx.partitionKey,
                  `STATUS#${status}`,
                  idx.sortKey,
                  from,
                  to === undefined ? undefined : to + KEY_MAX_SUFFIX,
                ),
                Select: 'COUNT',
                ExclusiveStartKey: startKey,
              }),
            ),
          );
          counts[status] += out.Count ?? 0;
          startKey = out.LastEvaluatedKey;
        } while (startKey);
      }),
    );
    return counts;
  }

  /** Scheduled offboardings whose effectiveAt <= now, oldest first (byStatusDue, pages followed). */
  async due(now: string, limit = this.dueLimit): Promise<Offboarding[]> {
    const to = isoBound(now, 'now')!;
    const out: Offboarding[] = [];
    let cursor: string | undefined;
    const idx = OFFBOARDINGS.indexes.byStatusDue;
    do {
      const page = await this.queryIndex(idx.name, ['pk', 'sk', idx.partitionKey, idx.sortKey], {
        partition: { name: idx.partitionKey, value: 'STATUS#scheduled' },
        sortName: idx.sortKey,
        to,
        limit: Math.min(limit - out.length, this.maxLimit),
        cursor,
      });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor && out.length < limit);
    return out;
  }

  /**
   * A paged Scan of the base table filtered on type and status: it reads the offboardings
   * themselves, so one whose index entries were lost (dynalite writes an item's index entries
   * before the item, one by one, and a process killed in between leaves them out of step) is found.
   */
  async scanByStatus(
    statuses: readonly OffboardingStatus[],
    opts: { limit?: number; cursor?: string } = {},
  ): Promise<Page<Offboarding>> {
    if (statuses.length === 0) return { items: [] };
    const limit = pageLimit(opts.limit, this.maxLimit, this.maxLimit);
    let startKey: Record<string, string | number> | undefined;
    if (opts.cursor !== undefined) {
      const c = decodeCursor(opts.cursor);
      if (c.i !== 'status-scan') throw invalidCursor();
      startKey = checkKey(c.k, ['pk', 'sk']);
    }
    const values: Record<string, unknown> = { ':type': 'offboarding' };
    statuses.forEach((s, i) => {
      values[`:s${i}`] = s;
    });
    const out = await storageCall('Scanning offboardings', () =>
      this.doc.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: `#type = :type AND #status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#type': 'type', '#status': 'status' },
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return {
      items: (out.Items ?? []).map(fromItem),
      cursor: out.LastEvaluatedKey ? encodeCursor({ i: 'status-scan', k: out.LastEvaluatedKey }) : undefined,
    };
  }

  /**
   * Looks the offboarding up in the status and email indexes by its exact keys; when either entry
   * is missing, puts the item again unchanged (condition: same version), which writes every index
   * entry anew. On DynamoDB, whose indexes follow asynchronously, an entry not there yet is re-put
   * too: a harmless write of the same attributes.
   */
  async repairIndexes(offboarding: Offboarding): Promise<boolean> {
    const keys = offboardingIndexKeys(offboarding);
    const { byStatusDue, byEmail } = OFFBOARDINGS.indexes;
    const present = await Promise.all([
      this.indexHas(
        byStatusDue.name,
        [byStatusDue.partitionKey, keys.gsi2pk],
        [byStatusDue.sortKey, keys.gsi2sk],
      ),
      this.indexHas(byEmail.name, [byEmail.partitionKey, keys.gsi1pk], [byEmail.sortKey, keys.gsi1sk]),
    ]);
    if (present.every(Boolean)) return false;
    const written = await conditionalWrite('Repairing the offboarding', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: toItem(offboarding),
          ConditionExpression: 'attribute_exists(#pk) AND #version = :version',
          ExpressionAttributeNames: { '#pk': 'pk', '#version': 'version' },
          ExpressionAttributeValues: { ':version': offboarding.version },
        }),
      ),
    );
    return written !== undefined;
  }

  private async indexHas(
    indexName: string,
    [pkName, pkValue]: [string, string],
    [skName, skValue]: [string, string],
  ): Promise<boolean> {
    const out = await storageCall('Checking an offboarding index', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: indexName,
          KeyConditionExpression: '#p = :p AND #s = :s',
          ExpressionAttributeNames: { '#p': pkName, '#s': skName },
          ExpressionAttributeValues: { ':p': pkValue, ':s': skValue },
          Limit: 1,
        }),
      ),
    );
    return (out.Items ?? []).length > 0;
  }

  private async queryIndex(
    indexName: string,
    keyNames: readonly string[],
    q: {
      partition: { name: string; value: string };
      sortName: string;
      from?: string;
      to?: string;
      limit: number;
      cursor?: string;
      desc?: boolean;
      extra?: Pick<
        QueryCommandInput,
        'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
      >;
    },
  ): Promise<Page<Offboarding>> {
    let startKey: Record<string, string | number> | undefined;
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      if (c.i !== indexName) throw invalidCursor();
      startKey = checkKey(c.k, keyNames);
      if (startKey[q.partition.name] !== q.partition.value) throw invalidCursor();
    }
    const names: Record<string, string> = { '#p': q.partition.name, ...q.extra?.ExpressionAttributeNames };
    const values: Record<string, unknown> = {
      ':p': q.partition.value,
      ...q.extra?.ExpressionAttributeValues,
    };
    let keyCondition = '#p = :p';
    if (q.from !== undefined || q.to !== undefined) {
      names['#s'] = q.sortName;
      if (q.from !== undefined && q.to !== undefined) {
        keyCondition += ' AND #s BETWEEN :from AND :to';
        values[':from'] = q.from;
        values[':to'] = q.to + KEY_MAX_SUFFIX;
      } else if (q.from !== undefined) {
        keyCondition += ' AND #s >= :from';
        values[':from'] = q.from;
      } else {
        keyCondition += ' AND #s <= :to';
        values[':to'] = q.to + KEY_MAX_SUFFIX;
      }
    }
    if (q.from !== undefined && q.to !== undefined && q.from > q.to) return { items: [] };
    const out = await storageCall('Querying offboardings', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: indexName,
          KeyConditionExpression: keyCondition,
          FilterExpression: q.extra?.FilterExpression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Limit: q.limit,
          ExclusiveStartKey: startKey,
          ...(q.desc ? { ScanIndexForward: false } : {}),
        }),
      ),
    );
    return {
      items: (out.Items ?? []).map(fromItem),
      cursor: out.LastEvaluatedKey ? encodeCursor({ i: indexName, k: out.LastEvaluatedKey }) : undefined,
    };
  }

  /** No email and no status: every offboarding (unordered Scan), optionally by receivedAt window. */
  private async scanAll(q: {
    from?: string;
    to?: string;
    limit: number;
    cursor?: string;
  }): Promise<Page<Offboarding>> {
    let startKey: Record<string, string | number> | undefined;
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      if (c.i !== 'scan') throw invalidCursor();
      startKey = checkKey(c.k, ['pk', 'sk']);
    }
    const names: Record<string, string> = { '#type': 'type' };
    const values: Record<string, unknown> = { ':type': 'offboarding' };
    let filter = '#type = :type';
    if (q.from !== undefined) {
      names['#g'] = 'gsi1sk';
      values[':from'] = q.from;
      filter += ' AND #g >= :from';
    }
    if (q.to !== undefined) {
      names['#g'] = 'gsi1sk';
      values[':to'] = q.to + KEY_MAX_SUFFIX;
      filter += ' AND #g <= :to';
    }
    const input: ScanCommandInput = {
      TableName: this.table,
      FilterExpression: filter,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      Limit: q.limit,
      ExclusiveStartKey: startKey,
    };
    const out = await storageCall('Listing offboardings', () => this.doc.send(new ScanCommand(input)));
    return {
      items: (out.Items ?? []).map(fromItem),
      cursor: out.LastEvaluatedKey ? encodeCursor({ i: 'scan', k: out.LastEvaluatedKey }) : undefined,
    };
  }

  async putAction(offboardingId: string, action: ActionResult): Promise<void> {
    if (!action.grantKey) throw new LeaverError('invalid_request', 'An action needs a grantKey');
    await this.actions.add(offboardingId, action);
  }

  async listActions(offboardingId: string): Promise<ActionResult[]> {
    const out: ActionResult[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await storageCall('Listing action results', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :act)',
            ExpressionAttributeValues: { ':pk': `OFF#${offboardingId}`, ':act': 'ACT' },
            ConsistentRead: true,
            Limit: this.actionPageSize,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      out.push(...(page.Items ?? []).flatMap(actionsFromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // Items come in key order: the old one-result items, then batches in write order; keep the latest per grant.
    const latest = new Map<string, ActionResult>();
    for (const a of out) latest.set(a.grantKey, a);
    return [...latest.values()];
  }

  async getKillSwitch(): Promise<{ enabled: boolean; reason?: string; by?: string; at?: string }> {
    const item = await this.getItem(KILL_SWITCH_KEY);
    if (!item) return { enabled: false };
    return {
      enabled: item.enabled === true,
      ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
      ...(typeof item.by === 'string' ? { by: item.by } : {}),
      ...(typeof item.at === 'string' ? { at: item.at } : {}),
    };
  }

  async setKillSwitch(state: { enabled: boolean; reason: string; by: string; at: string }): Promise<void> {
    await storageCall('Setting the kill switch', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...KILL_SWITCH_KEY,
            type: 'flag',
            enabled: state.enabled === true,
            reason: state.reason,
            by: state.by,
            at: state.at,
          },
        }),
      ),
    );
  }

  private async getItem(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const out = await storageCall('Reading the offboardings table', () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
    );
    return out.Item;
  }

  /** Runs one DynamoDB call, mapping AWS failures to storage_unavailable / internal. */
}
