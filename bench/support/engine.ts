/**
 * Leaver's engine as the Lambda handlers use it, wired for a benchmark: the real DynamoDB adapters
 * (against dynalite or moto), the real connectors (HTTP to the sandbox), a secret store in memory,
 * and a queue that either collects ids (the harness plays the SQS event source) or is given.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  DynamoAuditLog,
  DynamoInventoryStore,
  DynamoOffboardingStore,
  DynamoRateBudget,
  LogNotifier,
  systemClock,
  UlidIds,
} from '../../lambdas/adapters/index.ts';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import { type LeaverConfig, type LeaverConfigInput, parseConfig } from '../../lambdas/core/config.ts';
import { LeaverError } from '../../lambdas/core/errors.ts';
import type { JobQueue, Log, SecretStore } from '../../lambdas/core/ports.ts';
import { type HandlerDeps, sharedListings } from '../../lambdas/handlers/wiring.ts';
import { createTables } from '../../local/adapters/table-setup.ts';

/** Secrets in memory (the bench's stand-in for Secrets Manager). */
export class MemorySecrets implements SecretStore {
  constructor(private readonly values: Record<string, unknown>) {}
  async get<T = Record<string, unknown>>(name: string): Promise<T> {
    if (!Object.hasOwn(this.values, name)) throw new LeaverError('secret_unavailable', `no secret ${name}`);
    return this.values[name] as T;
  }
  invalidate(): void {}
}

/** Collects enqueued ids in order; the harness hands them to the worker in SQS-sized batches. */
export class CollectingQueue implements JobQueue {
  readonly ids: string[] = [];
  onEnqueue?: (id: string) => void;
  async enqueue(id: string): Promise<void> {
    this.ids.push(id);
    this.onEnqueue?.(id);
  }
  take(n: number): string[] {
    return this.ids.splice(0, n);
  }
}

/** A Log that keeps warnings and errors (counted) and drops the rest. */
export function quietLog(): Log & { warnings: number; errors: number; last: string[] } {
  const l = {
    warnings: 0,
    errors: 0,
    last: [] as string[],
    debug() {},
    info() {},
    warn(m: string, e?: Record<string, unknown>) {
      l.warnings++;
      l.last.push(`warn ${m} ${JSON.stringify(e ?? {})}`.slice(0, 300));
      if (l.last.length > 20) l.last.shift();
    },
    error(m: string, e?: Record<string, unknown>) {
      l.errors++;
      l.last.push(`error ${m} ${JSON.stringify(e ?? {})}`.slice(0, 300));
      if (l.last.length > 20) l.last.shift();
    },
  };
  return l;
}

export interface BenchEngine {
  deps: HandlerDeps;
  config: LeaverConfig;
  dynamo: DynamoDBClient;
  tables: { offboardingsTable: string; auditTable: string };
  log: ReturnType<typeof quietLog>;
  close(): void;
}

export async function buildEngine(opts: {
  dynamoEndpoint: string;
  config: LeaverConfigInput;
  secrets: Record<string, unknown>;
  queue: JobQueue;
  /**
   * Wire it as deployed (AWS and the local runtime): the access inventory, the process's shared
   * listings and the rate budget shared through DynamoDB. Without it: discovery first, per-process
   * limiters (the earlier benchmarks' setting).
   */
  asDeployed?: boolean;
}): Promise<BenchEngine> {
  const dynamo = new DynamoDBClient({
    endpoint: opts.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 3,
  });
  const prefix = `b${randomUUID().slice(0, 8)}`;
  const tables = {
    offboardingsTable: `${prefix}-offboardings`,
    auditTable: `${prefix}-audit`,
    inventoryTable: `${prefix}-inventory`,
  };
  await createTables(dynamo, tables);
  const config = parseConfig(opts.config);
  const log = quietLog();
  const secrets = new MemorySecrets(opts.secrets);
  const deps: HandlerDeps = {
    config,
    store: new DynamoOffboardingStore({ client: dynamo, tableName: tables.offboardingsTable }),
    audit: new DynamoAuditLog({ client: dynamo, tableName: tables.auditTable, clock: systemClock }),
    queue: opts.queue,
    notifier: new LogNotifier({ log }),
    connectors: createConnectors({
      secrets,
      log,
      ...(opts.asDeployed
        ? { budget: new DynamoRateBudget({ client: dynamo, tableName: tables.offboardingsTable }) }
        : {}),
    }),
    clock: systemClock,
    ids: new UlidIds(),
    log,
    secrets,
    ...(opts.asDeployed
      ? {
          inventory: new DynamoInventoryStore({ client: dynamo, tableName: tables.inventoryTable }),
          listings: sharedListings(config, systemClock),
        }
      : {}),
  };
  return { deps, config, dynamo, tables, log, close: () => dynamo.destroy() };
}

/** An SQS event of job messages, as the event source mapping hands it to the worker. */
export function sqsEvent(ids: readonly string[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: ids.map(
      (id): SQSRecord => ({
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: JSON.stringify({ offboardingId: id }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:leaver-jobs',
        awsRegion: 'us-east-1',
      }),
    ),
  };
}
