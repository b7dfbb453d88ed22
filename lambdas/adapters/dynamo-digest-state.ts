/**
 * DigestStateStore on the Offboardings table: one item (`DIGEST#state` / `DIGEST`) holding the last
 * digest written, the one being written, and the writer's lease. Every change is a conditional
 * UpdateItem on the lease holder, so two writers can never both move the head. Someone with write
 * access to the table can change this item; the archive, not this item, is what verification trusts
 * (a head moved back makes the next write find its key taken and the chain show a fork).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DigestHead, DigestStateStore } from '../core/digest-ports.ts';
import { LeaverError } from '../core/errors.ts';
import { isConditionalCheckFailed, toLeaverAwsError } from './aws-errors.ts';
import { conditionalWrite, storageCall } from './dynamo-calls.ts';

export const DIGEST_STATE_KEY = { pk: 'DIGEST#state', sk: 'DIGEST' };

export interface DynamoDigestStateOptions {
  client: DynamoDBClient;
  /** The Offboardings table. */
  tableName: string;
}

type Item = Record<string, unknown>;

function headOf(item: Item | undefined): DigestHead {
  if (!item) return { seq: 0 };
  return {
    seq: typeof item.seq === 'number' ? item.seq : 0,
    ...(typeof item.hash === 'string' ? { hash: item.hash } : {}),
    ...(typeof item.coveredTo === 'string' ? { coveredTo: item.coveredTo } : {}),
    ...(item.pending && typeof item.pending === 'object'
      ? { pending: item.pending as DigestHead['pending'] }
      : {}),
    ...(item.requested instanceof Set && item.requested.size > 0
      ? { requested: [...(item.requested as Set<string>)].sort() }
      : {}),
  };
}

export class DynamoDigestState implements DigestStateStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(opts: DynamoDigestStateOptions) {
    this.doc = DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
    this.table = opts.tableName;
  }

  async claim(
    owner: string,
    until: string,
    now: string,
    livePrefix?: string,
  ): Promise<DigestHead | undefined> {
    const free = 'attribute_not_exists(#until) OR #until < :now OR #owner = :o';
    const out = await conditionalWrite('Claiming the digest writer lease', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: DIGEST_STATE_KEY,
          UpdateExpression: 'SET #owner = :o, #until = :u, #type = :t',
          ConditionExpression: livePrefix ? `${free} OR NOT begins_with(#owner, :live)` : free,
          ExpressionAttributeNames: { '#owner': 'leaseOwner', '#until': 'leaseUntil', '#type': 'type' },
          ExpressionAttributeValues: {
            ':o': owner,
            ':u': until,
            ':now': now,
            ':t': 'digest-state',
            ...(livePrefix ? { ':live': livePrefix } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (out === undefined) return undefined;
    return headOf(out.Attributes);
  }

  async save(owner: string, head: DigestHead): Promise<void> {
    const set = ['#seq = :seq'];
    const remove: string[] = [];
    const names: Record<string, string> = { '#seq': 'seq', '#owner': 'leaseOwner' };
    const values: Record<string, unknown> = { ':seq': head.seq, ':o': owner };
    for (const field of ['hash', 'coveredTo', 'pending'] as const) {
      names[`#${field}`] = field;
      if (head[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = head[field];
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: DIGEST_STATE_KEY,
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: '#owner = :o',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (e) {
      if (isConditionalCheckFailed(e)) {
        throw new LeaverError('conflict', 'Another digest writer took over: this one stops');
      }
      throw toLeaverAwsError(e, 'Saving the digest state', 'storage_unavailable');
    }
  }

  async request(streams: readonly string[]): Promise<void> {
    if (streams.length === 0) return;
    // A string set: ADD is idempotent, and concurrent requests never overwrite one another.
    await storageCall('Asking for a digest', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: DIGEST_STATE_KEY,
          UpdateExpression: 'ADD #req :streams SET #type = :t',
          ExpressionAttributeNames: { '#req': 'requested', '#type': 'type' },
          ExpressionAttributeValues: { ':streams': new Set(streams), ':t': 'digest-state' },
        }),
      ),
    );
  }

  async forget(owner: string, streams: readonly string[]): Promise<void> {
    if (streams.length === 0) return;
    // DELETE takes out these members only: a chain asked for meanwhile stays asked for.
    const written = await conditionalWrite('Clearing anchored digest requests', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: DIGEST_STATE_KEY,
          UpdateExpression: 'DELETE #req :streams',
          ConditionExpression: '#owner = :o',
          ExpressionAttributeNames: { '#req': 'requested', '#owner': 'leaseOwner' },
          ExpressionAttributeValues: { ':streams': new Set(streams), ':o': owner },
        }),
      ),
    );
    if (written === undefined)
      throw new LeaverError('conflict', 'Another digest writer took over: this one stops');
  }

  async release(owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: DIGEST_STATE_KEY,
          UpdateExpression: 'REMOVE #owner, #until',
          ConditionExpression: '#owner = :o',
          ExpressionAttributeNames: { '#owner': 'leaseOwner', '#until': 'leaseUntil' },
          ExpressionAttributeValues: { ':o': owner },
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e))
        throw toLeaverAwsError(e, 'Releasing the digest writer lease', 'storage_unavailable');
    }
  }

  async read(): Promise<DigestHead> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: DIGEST_STATE_KEY, ConsistentRead: true }),
      );
      return headOf(out.Item);
    } catch (e) {
      throw toLeaverAwsError(e, 'Reading the digest state', 'storage_unavailable');
    }
  }
}
