/**
 * InventoryStore on DynamoDB (the Inventory table of tables.ts). Works on AWS, moto_server and
 * dynalite: PutItem, UpdateItem, DeleteItem, GetItem, Query, BatchGetItem and BatchWriteItem, no
 * transactions. Nothing here is the only copy of anything: the next sync rebuilds it.
 *
 * replaceScope reads the scope's current items through the byScope index and writes only the
 * difference (new or changed grants, and deletes of the ones the listing no longer shows), then
 * the scope's `syncedAt`. The index is eventually consistent: an item it does not show yet is
 * written again, one it still shows after a delete is deleted again; both are harmless.
 * The tenant's sync lease is a conditional update of its state item.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LeaverError } from '../core/errors.ts';
import type {
  InventoryEntry,
  InventoryStore,
  ReplaceResult,
  TenantInventoryState,
} from '../core/inventory.ts';
import { type Grant, grantKey, normaliseEmail } from '../core/model.ts';
import { isConditionalCheckFailed, toLeaverAwsError } from './aws-errors.ts';
import { conditionalWrite, queryAll, storageCall } from './dynamo-calls.ts';
import { INVENTORY } from './tables.ts';

export interface DynamoInventoryStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

type Item = Record<string, unknown>;
type Key = { pk: string; sk: string };

const TENANTS = 'TENANTS';
const personPk = (email: string) => `P#${normaliseEmail(email)}`;
const grantSk = (g: Grant) => `G#${grantKey(g)}`;
const scopeKey = (tenantId: string, scope: string) => `${tenantId}#${scope}`;
const scopeItemKey = (tenantId: string, scope: string): Key => ({ pk: `T#${tenantId}`, sk: `S#${scope}` });
/** BatchWriteItem takes 25 requests, BatchGetItem 100 keys. */
const WRITE_BATCH = 25;
const GET_BATCH = 100;
const BATCH_ATTEMPTS = 8;
/** Fields of TenantInventoryState kept on the tenant's item. */
const STATE_FIELDS = [
  'vendor',
  'lastSyncAt',
  'passStartedAt',
  'cursor',
  'scopesDone',
  'scopesTotal',
  'people',
  'lastErrorCode',
  'lastErrorAt',
  'leaseOwner',
  'leaseUntil',
] as const;

export class DynamoInventoryStore implements InventoryStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(opts: DynamoInventoryStoreOptions) {
    if (!opts.tableName) throw new LeaverError('config_invalid', 'DynamoInventoryStore needs a tableName');
    this.doc = DynamoDBDocumentClient.from(opts.client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    this.table = opts.tableName;
  }

  async lookup(emails: readonly string[]): Promise<InventoryEntry[]> {
    const addresses = [...new Set(emails.map(normaliseEmail).filter((e) => e !== ''))];
    const items = (
      await Promise.all(
        addresses.map((e) =>
          this.queryAll({
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': personPk(e) },
          }),
        ),
      )
    ).flat();
    const scopes = new Map<string, Key>();
    for (const it of items) {
      const k = scopeItemKey(String(it.tenantId), String(it.scope));
      scopes.set(`${k.pk}|${k.sk}`, k);
    }
    const syncedAt = new Map<string, string>();
    for (const s of await this.batchGet([...scopes.values()])) {
      if (typeof s.syncedAt === 'string') syncedAt.set(`${s.pk}|${s.sk}`, s.syncedAt);
    }
    const out: InventoryEntry[] = [];
    for (const it of items) {
      const k = scopeItemKey(String(it.tenantId), String(it.scope));
      const at = syncedAt.get(`${k.pk}|${k.sk}`);
      // A grant whose scope is no longer listed (dropped meanwhile) is not known any more.
      if (at === undefined || !it.grant) continue;
      out.push({ grant: it.grant as Grant, scope: String(it.scope), syncedAt: at });
    }
    return out;
  }

  async tenants(): Promise<TenantInventoryState[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': TENANTS },
    });
    return items.map(toState);
  }

  async replaceScope(
    tenantId: string,
    scope: string,
    grants: readonly Grant[],
    syncedAt: string,
  ): Promise<ReplaceResult> {
    const sk = scopeKey(tenantId, scope);
    const existing = new Map<string, Item>();
    for (const it of await this.scopeItems(sk)) existing.set(`${it.pk}|${it.sk}`, it);
    const desired = new Map<string, Item>();
    for (const g of grants) {
      if (g.tenantId !== tenantId) continue;
      const item: Item = {
        pk: personPk(g.email),
        sk: grantSk(g),
        type: 'grant',
        tenantId,
        scope,
        scopeKey: sk,
        grant: JSON.parse(JSON.stringify({ ...g, email: normaliseEmail(g.email) })),
      };
      desired.set(`${item.pk}|${item.sk}`, item);
    }
    const puts: Item[] = [];
    let kept = 0;
    for (const [k, item] of desired) {
      const old = existing.get(k);
      if (old && JSON.stringify(old.grant) === JSON.stringify(item.grant)) kept++;
      else puts.push({ ...item, at: syncedAt });
    }
    const deletes: Key[] = [];
    for (const [k, old] of existing)
      if (!desired.has(k)) deletes.push({ pk: String(old.pk), sk: String(old.sk) });
    await this.batchWrite([
      ...puts.map((Item) => ({ PutRequest: { Item } })),
      ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
    ]);
    await storageCall('Recording a scope listing', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...scopeItemKey(tenantId, scope),
            type: 'scope',
            tenantId,
            scope,
            syncedAt,
            grants: desired.size,
          },
        }),
      ),
    );
    const added = puts.filter((p) => !existing.has(`${p.pk}|${p.sk}`)).length;
    return { added, removed: deletes.length, kept };
  }

  async dropScopes(tenantId: string, keep: ReadonlySet<string>): Promise<number> {
    const states = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':pk': `T#${tenantId}`, ':s': 'S#' },
    });
    let removed = 0;
    for (const st of states) {
      const scope = String(st.scope);
      if (keep.has(scope)) continue;
      const items = await this.scopeItems(scopeKey(tenantId, scope));
      await this.batchWrite([
        ...items.map((it) => ({ DeleteRequest: { Key: { pk: String(it.pk), sk: String(it.sk) } } })),
        { DeleteRequest: { Key: scopeItemKey(tenantId, scope) } },
      ]);
      removed += items.length;
    }
    return removed;
  }

  async forget(grants: readonly Grant[]): Promise<void> {
    const keys = new Map<string, Key>();
    for (const g of grants) {
      const k = { pk: personPk(g.email), sk: grantSk(g) };
      keys.set(`${k.pk}|${k.sk}`, k);
    }
    await this.batchWrite([...keys.values()].map((Key) => ({ DeleteRequest: { Key } })));
  }

  async claimSync(
    tenantId: string,
    owner: string,
    until: string,
    now: string,
    opts: { takeOver?: boolean } = {},
  ): Promise<TenantInventoryState | undefined> {
    try {
      // DynamoDB refuses a value no expression uses: `:now` only goes with the condition.
      const values: Record<string, string> = {
        ':type': 'tenant',
        ':tenant': tenantId,
        ':owner': owner,
        ':until': until,
      };
      if (!opts.takeOver) values[':now'] = now;
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: TENANTS, sk: tenantId },
          UpdateExpression: 'SET #type = :type, #tenant = :tenant, #owner = :owner, #until = :until',
          ...(opts.takeOver
            ? {}
            : { ConditionExpression: 'attribute_not_exists(#until) OR #until < :now OR #owner = :owner' }),
          ExpressionAttributeNames: {
            '#type': 'type',
            '#tenant': 'tenantId',
            '#owner': 'leaseOwner',
            '#until': 'leaseUntil',
          },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toState(out.Attributes ?? { sk: tenantId });
    } catch (e) {
      if (isConditionalCheckFailed(e)) return undefined;
      throw toLeaverAwsError(e, 'Claiming an inventory sync', 'storage_unavailable');
    }
  }

  async saveSync(
    tenantId: string,
    owner: string,
    patch: Partial<Omit<TenantInventoryState, 'tenantId' | 'leaseOwner'>>,
  ): Promise<boolean> {
    const names: Record<string, string> = { '#owner': 'leaseOwner' };
    const values: Record<string, unknown> = { ':owner': owner };
    const sets: string[] = [];
    const removes: string[] = [];
    for (const field of STATE_FIELDS) {
      if (!(field in patch) || field === 'leaseOwner') continue;
      names[`#${field}`] = field;
      const value = (patch as Record<string, unknown>)[field];
      if (value === undefined) removes.push(`#${field}`);
      else {
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
    }
    if (sets.length === 0 && removes.length === 0) return true;
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const written = await conditionalWrite('Saving an inventory sync', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: TENANTS, sk: tenantId },
          UpdateExpression: expression,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return written !== undefined;
  }

  private scopeItems(key: string): Promise<Item[]> {
    return this.queryAll({
      IndexName: INVENTORY.indexes.byScope.name,
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': INVENTORY.indexes.byScope.partitionKey },
      ExpressionAttributeValues: { ':s': key },
    });
  }

  private queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    return queryAll(this.doc, 'Reading the inventory', {
      TableName: this.table,
      ...(input.IndexName ? {} : { ConsistentRead: true }),
      ...input,
    });
  }

  private async batchGet(keys: Key[]): Promise<Item[]> {
    const out: Item[] = [];
    for (let i = 0; i < keys.length; i += GET_BATCH) {
      let pending: Key[] = keys.slice(i, i + GET_BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= BATCH_ATTEMPTS) throw busy();
        if (attempt > 0) await pause(attempt);
        const res = await storageCall('Reading the inventory', () =>
          this.doc.send(
            new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
          ),
        );
        out.push(...((res.Responses?.[this.table] ?? []) as Item[]));
        pending = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as Key[];
      }
    }
    return out;
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += WRITE_BATCH) {
      let pending = requests.slice(i, i + WRITE_BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= BATCH_ATTEMPTS) throw busy();
        if (attempt > 0) await pause(attempt);
        const res = await storageCall('Writing the inventory', () =>
          this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending as never } })),
        );
        pending = (res.UnprocessedItems?.[this.table] ?? []) as Record<string, unknown>[];
      }
    }
  }
}

function toState(item: Item): TenantInventoryState {
  const state: Record<string, unknown> = { tenantId: String(item.tenantId ?? item.sk) };
  for (const f of STATE_FIELDS) if (item[f] !== undefined) state[f] = item[f];
  return state as unknown as TenantInventoryState;
}

const busy = () =>
  new LeaverError('storage_unavailable', 'The inventory table is too busy; try again', { retryable: true });
/** Backoff before sending unprocessed batch items again (DynamoDB asks for one). */
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
