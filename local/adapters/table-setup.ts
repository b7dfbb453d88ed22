/**
 * Creates the Offboardings and Audit tables with the key layout of tables.ts (on-demand billing),
 * for the tests (moto_server) and the local runtime (dynalite). Idempotent: an existing table is
 * accepted when it has the expected indexes. Waits until tables and indexes are ACTIVE.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { awsErrorName } from '../../lambdas/adapters/aws-errors.ts';
import { AUDIT, INVENTORY, OFFBOARDINGS } from '../../lambdas/adapters/tables.ts';
import { LeaverError } from '../../lambdas/core/errors.ts';

export interface TableNames {
  offboardingsTable: string;
  auditTable: string;
  /** Created too when named (the access inventory). */
  inventoryTable?: string;
}

export interface CreateTablesOptions {
  /** How long to wait for ACTIVE. */
  timeoutMs?: number;
  pollMs?: number;
}

interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey: string | undefined;
}

function keySchema(partitionKey: string, sortKey: string | undefined): KeySchemaElement[] {
  return sortKey
    ? [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ]
    : [{ AttributeName: partitionKey, KeyType: 'HASH' }];
}

/** CreateTable input for a layout: string keys everywhere except the numeric ones named. */
function tableInput(
  name: string,
  layout: { partitionKey: string; sortKey: string; indexes: Record<string, IndexSpec> },
  numeric: readonly string[],
): CreateTableCommandInput {
  const attrs = new Set<string>([layout.partitionKey, layout.sortKey]);
  const gsis: GlobalSecondaryIndex[] = Object.values(layout.indexes).map((idx) => {
    attrs.add(idx.partitionKey);
    if (idx.sortKey) attrs.add(idx.sortKey);
    return {
      IndexName: idx.name,
      KeySchema: keySchema(idx.partitionKey, idx.sortKey),
      Projection: { ProjectionType: 'ALL' },
    };
  });
  const definitions: AttributeDefinition[] = [...attrs].map((a) => ({
    AttributeName: a,
    AttributeType: numeric.includes(a) ? 'N' : 'S',
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema(layout.partitionKey, layout.sortKey),
    AttributeDefinitions: definitions,
    GlobalSecondaryIndexes: gsis,
  };
}

export function offboardingsTableInput(name: string): CreateTableCommandInput {
  return tableInput(name, OFFBOARDINGS as never, []);
}

export function auditTableInput(name: string): CreateTableCommandInput {
  return tableInput(name, AUDIT as never, ['seq']);
}

export function inventoryTableInput(name: string): CreateTableCommandInput {
  return tableInput(name, INVENTORY as never, []);
}

export async function createTables(
  client: DynamoDBClient,
  names: TableNames,
  opts: CreateTablesOptions = {},
): Promise<void> {
  await Promise.all([
    ensureTable(client, offboardingsTableInput(names.offboardingsTable), opts),
    ensureTable(client, auditTableInput(names.auditTable), opts),
    ...(names.inventoryTable ? [ensureTable(client, inventoryTableInput(names.inventoryTable), opts)] : []),
  ]);
}

async function ensureTable(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  opts: CreateTablesOptions,
): Promise<void> {
  const name = input.TableName!;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (e) {
    if (awsErrorName(e) !== 'ResourceInUseException') {
      throw new LeaverError(
        'storage_unavailable',
        `Creating table ${name} failed (${awsErrorName(e) ?? 'Error'})`,
        {
          cause: e,
        },
      );
    }
  }
  const until = Date.now() + (opts.timeoutMs ?? 30_000);
  const pollMs = opts.pollMs ?? 50;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    const missing = (input.GlobalSecondaryIndexes ?? [])
      .map((g) => g.IndexName!)
      .filter((n) => !indexes.some((i) => i.IndexName === n));
    if (missing.length > 0) {
      throw new LeaverError(
        'config_invalid',
        `Table ${name} exists without the index(es) ${missing.join(', ')}: delete it or migrate it`,
      );
    }
    const active =
      Table?.TableStatus === 'ACTIVE' && indexes.every((i) => !i.IndexStatus || i.IndexStatus === 'ACTIVE');
    if (active) return;
    if (Date.now() > until) {
      throw new LeaverError('storage_unavailable', `Table ${name} did not become ACTIVE in time`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
