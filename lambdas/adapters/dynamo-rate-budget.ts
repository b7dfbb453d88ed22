/**
 * The shared rate budget (connectors/http/budget.ts) on DynamoDB: one item per budget key in the
 * Offboardings table (`BUDGET#<key>`), holding the bucket as a "theoretical arrival time" (`tat`,
 * epoch ms; the generic cell rate algorithm): with T = 1000 / rate, the bucket is full when
 * tat <= now, and g tokens may go when max(tat, now) + g*T - now <= burst*T, after which
 * tat = max(tat, now) + g*T. One conditional UpdateItem takes them, no read first:
 *   idle   (tat <= now):  SET tat = now + g*T            IF tat missing OR tat <= now
 *   busy   (tat >  now):  SET tat = tat + g*T            IF now < tat <= now + (burst - g)*T
 * The case last seen is tried first; when neither condition holds the item is read to learn how
 * many tokens are left (fewer are taken) or how long until one is. Works on dynalite (no
 * transactions). Clocks that disagree by a few milliseconds only ever make a caller wait longer,
 * or let it early by that much.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BudgetAnswer, RateBudget, RateSpec } from '../core/rate-budget.ts';
import { toLeaverAwsError } from './aws-errors.ts';
import { conditionalWrite } from './dynamo-calls.ts';

export interface DynamoRateBudgetOptions {
  client: DynamoDBClient;
  /** The Offboardings table (its functions may already GetItem and UpdateItem there). */
  tableName: string;
}

/** Rounds of (conditional write, read) before answering "wait a moment". */
const ROUNDS = 4;

export class DynamoRateBudget implements RateBudget {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  /** Budget key -> the `tat` last seen (which write to try first). */
  private readonly seen = new Map<string, number>();

  constructor(opts: DynamoRateBudgetOptions) {
    this.doc = DynamoDBDocumentClient.from(opts.client);
    this.table = opts.tableName;
  }

  async take(key: string, want: number, spec: RateSpec, now: number): Promise<BudgetAnswer> {
    const T = 1000 / spec.perSecond;
    const tau = spec.burst * T;
    let g = Math.max(1, Math.min(Math.floor(want), Math.floor(spec.burst)));
    for (let round = 0; round < ROUNDS; round++) {
      const last = this.seen.get(key);
      const order: Array<'idle' | 'busy'> =
        last === undefined || last <= now ? ['idle', 'busy'] : ['busy', 'idle'];
      for (const mode of order) {
        const tat = await this.write(key, mode, g, T, tau, now);
        if (tat !== undefined) {
          this.seen.set(key, tat);
          return { granted: g, readyInMs: Math.max(0, Math.ceil(tat + T - tau - now)) };
        }
      }
      const tat = await this.read(key);
      this.seen.set(key, tat);
      const left = Math.floor((now + tau - Math.max(tat, now)) / T + 1e-9);
      if (left < 1) return { granted: 0, waitMs: Math.max(1, Math.ceil(Math.max(tat, now) + T - tau - now)) };
      g = Math.min(g, left);
    }
    // Others keep taking what is left between our read and our write: try again shortly.
    return { granted: 0, waitMs: Math.max(1, Math.ceil(T)) };
  }

  /** One conditional write; the new `tat`, or undefined when its condition did not hold. */
  private async write(
    key: string,
    mode: 'idle' | 'busy',
    g: number,
    T: number,
    tau: number,
    now: number,
  ): Promise<number | undefined> {
    const input =
      mode === 'idle'
        ? {
            UpdateExpression: 'SET #tat = :next, #type = :type',
            ConditionExpression: 'attribute_not_exists(#tat) OR #tat <= :now',
            ExpressionAttributeValues: { ':next': now + g * T, ':now': now, ':type': 'rate-budget' },
          }
        : {
            UpdateExpression: 'SET #tat = #tat + :gt, #type = :type',
            ConditionExpression: '#tat > :now AND #tat <= :limit',
            ExpressionAttributeValues: {
              ':gt': g * T,
              ':now': now,
              ':limit': now + tau - g * T,
              ':type': 'rate-budget',
            },
          };
    const out = await conditionalWrite('Taking from a vendor rate budget', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: itemKey(key),
          ExpressionAttributeNames: { '#tat': 'tat', '#type': 'type' },
          ReturnValues: 'ALL_NEW',
          ...input,
        }),
      ),
    );
    if (out === undefined) return undefined;
    return Number(out.Attributes?.tat);
  }

  private async read(key: string): Promise<number> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: itemKey(key), ConsistentRead: true }),
      );
      const tat = Number(out.Item?.tat);
      return Number.isFinite(tat) ? tat : 0;
    } catch (e) {
      throw toLeaverAwsError(e, 'Reading a vendor rate budget', 'storage_unavailable');
    }
  }
}

const itemKey = (key: string) => ({ pk: `BUDGET#${key}`, sk: 'BUDGET' });
