/**
 * Builds the engine's dependencies once per process (a Lambda cold start) and hands them to every
 * handler. In AWS they come from the environment (DynamoDB, SQS, Secrets Manager, SNS; each client's
 * endpoint overridable with AWS_ENDPOINT_URL for tests against moto); the local runtime builds its
 * own (dynalite, in-process queue, file secrets) and injects them with `setDeps`.
 *
 *   OFFBOARDINGS_TABLE, AUDIT_TABLE, QUEUE_URL, TOPIC_ARN (optional: log notifier without it),
 *   INVENTORY_TABLE (optional: without it offboardings discover first, as without an inventory),
 *   DEAD_LETTER_QUEUE_URL (optional: only the API function gets it),
 *   DIGEST_BUCKET and DIGEST_KEY_ID (optional: no audit digests without them),
 *   AWS_REGION, AWS_ENDPOINT_URL (optional), LEAVER_CONFIG_JSON / LEAVER_CONFIG.
 */
import { randomUUID } from 'node:crypto';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DynamoAuditLog,
  DynamoDigestState,
  DynamoInventoryStore,
  DynamoLockStore,
  DynamoOffboardingStore,
  DynamoRateBudget,
  KmsDigestSigner,
  LogNotifier,
  S3DigestArchive,
  SecretsManagerStore,
  SnsNotifier,
  SqsDeadLetterQueue,
  SqsJobQueue,
  systemClock,
  UlidIds,
} from '../adapters/index.ts';
import type { LeaverConfig } from '../core/config.ts';
import type { AuditAnchor } from '../core/digest-ports.ts';
import { SharedListings } from '../core/listings.ts';
import type { OffboardingStore } from '../core/ports.ts';
import { getConfig } from './config-loader.ts';
import type { HandlerDeps } from './handler-deps.ts';
import { lazyConnectors } from './lazy-connectors.ts';
import { coreLog, type MetricsRecorder, recorder } from './observability.ts';
import { getTracer } from './tracing.ts';

export type { HandlerDeps };

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

/** SDK client options from the environment: region, and an endpoint override for moto. */
export function awsClientConfig(env: NodeJS.ProcessEnv = process.env): {
  region: string;
  endpoint?: string;
} {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL?.trim();
  return endpoint ? { region, endpoint } : { region };
}

/**
 * Counts offboardings by status and records time-to-revoke whenever the store moves one, so the
 * metrics follow the engine without core knowing about them.
 */
export function instrumentStore(store: OffboardingStore, rec: MetricsRecorder = recorder): OffboardingStore {
  const wrapped: OffboardingStore = Object.create(store);
  wrapped.create = async (o) => {
    const r = await store.create(o);
    if (r.created) rec.count('Offboardings', { status: r.offboarding.status });
    return r;
  };
  wrapped.transition = async (id, from, to, patch) => {
    const o = await store.transition(id, from, to, patch);
    rec.count('Offboardings', { status: to });
    if (to === 'completed' || to === 'completed_with_failures') {
      // Grants the verification found that the inventory-first pass did not know.
      if (typeof patch?.missedByInventory === 'number') {
        rec.add('InventoryMissed', 'Count', patch.missedByInventory);
      }
      if (typeof o.timeToRevokeMs === 'number') rec.add('TimeToRevoke', 'Milliseconds', o.timeToRevokeMs);
      for (const [vendor, ms] of Object.entries(o.timeToRevokeByVendorMs ?? {})) {
        if (typeof ms === 'number') rec.add('TimeToRevoke', 'Milliseconds', ms, { vendor });
      }
    }
    return o;
  };
  wrapped.putAction = async (offboardingId, action) => {
    await store.putAction(offboardingId, action);
    rec.count('Actions', { vendor: action.grant.vendor, outcome: action.outcome });
  };
  return wrapped;
}

/**
 * Everything from the environment, for a Lambda function. `tracer` wraps each AWS SDK client (a
 * subsegment per call when tracing is on); without one the clients are used as they are.
 */
export function createAwsDeps(
  env: NodeJS.ProcessEnv,
  config: LeaverConfig,
  tracer?: Pick<Tracer, 'captureAWSv3Client'>,
): HandlerDeps {
  const traced = <T>(client: T): T => (tracer ? tracer.captureAWSv3Client(client) : client);
  const clientConfig = awsClientConfig(env);
  const dynamo = traced(new DynamoDBClient(clientConfig));
  // SQS and SNS load on first use: the worker enqueues only a full batch's verifications and most
  // runs never alert, so their
  // clients stay out of those functions' cold starts.
  const sqs = async () => {
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    return traced(new SQSClient(clientConfig));
  };
  const sns = async () => {
    const { SNSClient } = await import('@aws-sdk/client-sns');
    return traced(new SNSClient(clientConfig));
  };
  const secretsClient = traced(new SecretsManagerClient(clientConfig));
  const log = coreLog();
  const clock = systemClock;
  const secrets = new SecretsManagerStore({ client: secretsClient, clock });
  const topicArn = env.TOPIC_ARN?.trim();
  const offboardingsTable = required(env, 'OFFBOARDINGS_TABLE');
  const inventoryTable = env.INVENTORY_TABLE?.trim();
  const notifier = topicArn
    ? new SnsNotifier({ client: sns, topicArn, log })
    : new LogNotifier({ log, slackWebhookUrl: config.notifications.slackWebhookUrl });
  const queueUrl = required(env, 'QUEUE_URL');
  const deadLetterQueueUrl = env.DEAD_LETTER_QUEUE_URL?.trim();
  return {
    config,
    store: instrumentStore(new DynamoOffboardingStore({ client: dynamo, tableName: offboardingsTable })),
    audit: new DynamoAuditLog({ client: dynamo, tableName: required(env, 'AUDIT_TABLE'), clock }),
    queue: new SqsJobQueue({ client: sqs, queueUrl }),
    ...(deadLetterQueueUrl
      ? {
          deadLetters: new SqsDeadLetterQueue({
            client: sqs,
            queueUrl: deadLetterQueueUrl,
            targetQueueUrl: queueUrl,
          }),
        }
      : {}),
    notifier,
    // Every function that calls a vendor takes from one budget per vendor limit, kept in the
    // Offboardings table: a lone caller gets the whole limit, all of them together no more.
    // Loaded on the first vendor call: most functions never make one (lazy-connectors.ts).
    connectors: lazyConnectors(async () =>
      (await import('../connectors/index.ts')).createConnectors({
        secrets,
        log,
        budget: new DynamoRateBudget({ client: dynamo, tableName: offboardingsTable }),
        // One writer per iTwin group across every instance of every function: the lease and its
        // request board are items of the Offboardings table.
        coordination: new DynamoLockStore({ client: dynamo, tableName: offboardingsTable, clock }),
      }),
    ),
    clock,
    ids: new UlidIds(),
    log,
    secrets,
    ...(inventoryTable
      ? { inventory: new DynamoInventoryStore({ client: dynamo, tableName: inventoryTable }) }
      : {}),
    listings: sharedListings(config, clock),
    // Many instances run at once and none knows whether another is alive: leases lapse only with
    // time here. The id only records who holds a claim.
    leaseHolder: { id: `${env.AWS_LAMBDA_FUNCTION_NAME ?? 'leaver'}:${randomUUID()}`, exclusive: false },
    ...awsAnchor(env, clientConfig, dynamo, offboardingsTable, traced),
  };
}

/**
 * The audit digests' parts in AWS: the KMS signing key, the Object Lock bucket, and the writer's
 * state beside the offboardings. Their SDK clients load on first use (most invocations never sign).
 */
function awsAnchor(
  env: NodeJS.ProcessEnv,
  clientConfig: ReturnType<typeof awsClientConfig>,
  dynamo: DynamoDBClient,
  offboardingsTable: string,
  traced: <T>(client: T) => T,
): { anchor?: AuditAnchor } {
  const bucket = env.DIGEST_BUCKET?.trim();
  const keyId = env.DIGEST_KEY_ID?.trim();
  if (!bucket || !keyId) return {};
  const kms = async () => {
    const { KMSClient } = await import('@aws-sdk/client-kms');
    return traced(new KMSClient(clientConfig));
  };
  const s3 = async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    // moto (AWS_ENDPOINT_URL) serves buckets by path, not by virtual host.
    return traced(new S3Client({ ...clientConfig, forcePathStyle: !!clientConfig.endpoint }));
  };
  return {
    anchor: {
      signer: new KmsDigestSigner({ client: kms, keyId }),
      archive: new S3DigestArchive({ client: s3, bucket }),
      state: new DynamoDigestState({ client: dynamo, tableName: offboardingsTable }),
    },
  };
}

/** The process's shared tenant listings (kept across invocations of a warm function). */
export function sharedListings(config: LeaverConfig, clock: { now(): Date }): SharedListings {
  return new SharedListings(() => clock.now().getTime(), config.inventory.scopeConcurrency);
}

/**
 * The AWS dependencies from the environment, traced. This module (with the configuration's schema)
 * loads in a Lambda function's first invocation (first-use.ts, runtime-deps.ts), not at init.
 */
export async function buildAwsDeps(env: NodeJS.ProcessEnv = process.env): Promise<HandlerDeps> {
  return createAwsDeps(env, getConfig(), await getTracer());
}

// The process's dependencies live in runtime-deps.ts; these names stay importable from here.
export { getDeps, type RuntimeMode, runtimeMode, setDeps } from './runtime-deps.ts';
