/**
 * The `Leaver` construct: everything Leaver needs in one AWS account, synthesized from a validated
 * `LeaverConfig`. A platform team can drop it into its own CDK app:
 *
 *   new Leaver(stack, 'Leaver', { config: parseConfig(json), alarmEmail: 'secops@example.com' });
 *
 * Security properties (pinned by test/infra/*.test.ts):
 * - Every store is encrypted with a customer-managed KMS key (rotation on): both tables, the queue
 *   and its DLQ, the SNS topic, the secrets, the Lambda environment; CloudWatch log groups use a
 *   second key whose policy lets only CloudWatch Logs use it, for this stack's log groups.
 * - Each function has its own role with exactly the statements it needs (no managed policies, no
 *   `*` action, no `*` resource except X-Ray, which has no resource-level permissions).
 * - The Audit table is append only for every function: PutItem and Query allowed (Query only for the
 *   digest function); UpdateItem, DeleteItem, BatchWriteItem, PartiQL, UpdateTimeToLive... explicitly
 *   denied (AUDIT_DENIED_ACTIONS). IAM cannot require PutItem's condition, so a PutItem can still
 *   replace a record; signed digests in an Object Lock bucket (audit-anchor.ts) make that detectable.
 *   Only the digest function and the worker may sign digests (kms:Sign) and add them (s3:PutObject);
 *   only the API reads them.
 * - `/hooks/{source}` is public (HR systems cannot sign SigV4) and verified by the intake against
 *   the source's secret; `GET /v1/health` and `GET /v1/openapi.json` are public too (the router's
 *   `public` routes: liveness and the API description); every other `/v1/*` route requires IAM
 *   (SigV4) or, when configured, a JWT.
 * - Vendor rate limits hold across processes: every function that calls a vendor takes from one
 *   budget per tenant and rate bucket kept in the Offboardings table (a lone caller gets the whole
 *   `rateLimit`, all of them together never more; lambdas/connectors/http/budget.ts).
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  Annotations,
  type CfnElement,
  type CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { AccessLogFormat as AccessLogFormatType } from 'aws-cdk-lib/aws-apigateway';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  type HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  Architecture,
  type CfnFunction,
  Function as LambdaFn,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUDIT, INVENTORY, OFFBOARDINGS } from '../lambdas/adapters/tables.ts';
import type { LeaverConfig } from '../lambdas/core/config.ts';
import { PUBLIC_API_ROUTES, VENDOR_CALLING_ROUTES } from '../lambdas/handlers/vendor-routes.ts';
import { AuditAnchor } from './audit-anchor.ts';
import { LeaverConsole } from './console-hosting.ts';
import { FUNCTION_HANDLER, functionCode } from './function-code.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './metrics.ts';
import { LeaverMonitoring } from './monitoring.ts';

/** The handler entry files (lambdas/handlers/<file>), one function each. */
export const FUNCTION_SPECS = {
  /**
   * Intake: verify a webhook, store it, enqueue it, answer 202. HR sources give up after 3 s (Okta,
   * Personio), so it must be fast: 512 MB buys the CPU share that keeps a cold start (SDK clients,
   * zod) well under a second on arm64, and the work itself is one GetSecretValue (cached), two or
   * three DynamoDB writes and one SendMessage. The 6 s timeout is twice the sources' budget: a
   * request that is already late still finishes storing and enqueuing, so the source's retry (same
   * event id) is deduplicated instead of being lost, but a stuck call cannot hang the route.
   */
  intake: { file: 'intake.ts', memoryMb: 512, timeoutSeconds: 6 },
  /**
   * Worker: discovery and revocation across all vendors for a batch of offboardings. Vendor calls
   * are retried inside the function (Retry-After, then backoff with jitter, within the remaining
   * time), discovery at iTwin lists every iTwin, and verification repeats discovery up to 3 times:
   * 5 minutes leaves room for all of that on a slow vendor while a truly stuck batch still
   * surfaces within minutes. 1024 MB: parallel HTTPS and JSON work across vendors needs the CPU.
   */
  worker: { file: 'worker.ts', memoryMb: 1024, timeoutSeconds: 300 },
  /**
   * Management API: every /v1 route except the ones that call vendors (mostly DynamoDB reads and
   * commands that enqueue). It has no tenant credentials and refuses the vendor-calling routes
   * (LEAVER_API_VENDOR_CALLS=off), so it scales freely without touching a vendor's rate limit.
   * HTTP API integrations time out at 30 s, so 29 s is the useful maximum; 1024 MB for the
   * same reason as the worker.
   */
  api: { file: 'api.ts', memoryMb: 1024, timeoutSeconds: 29 },
  /**
   * The same handler for the /v1 routes that call vendors inside the request (dry-run plans,
   * previews, targeted revocations: lambdas/handlers/vendor-routes.ts), on its own function so its
   * concurrency can be capped (reserved concurrency `apiVendorConcurrency`) and counted in the
   * vendor rate-limit share. Same limits as `api`.
   */
  apiVendor: { file: 'api.ts', memoryMb: 1024, timeoutSeconds: 29 },
  /** Due sweep: one GSI query for due offboardings and a few enqueues, every minute. */
  dueSweep: { file: 'due-sweep.ts', memoryMb: 256, timeoutSeconds: 60 },
  /**
   * Reconciliation: re-runs discovery for recent leavers at every vendor (no revocation in the
   * request path, but many vendor calls): the Lambda maximum of 15 minutes, 1024 MB.
   */
  reconcile: { file: 'reconcile.ts', memoryMb: 1024, timeoutSeconds: 900 },
  /** Retry sweep: finds offboardings with failed actions whose backoff has elapsed, re-enqueues them. */
  retrySweep: { file: 'retry-sweep.ts', memoryMb: 256, timeoutSeconds: 60 },
  /**
   * Audit digests: reads the heads of the chains appended to since the last digest (index queries,
   * one read per chain), signs one digest with KMS and puts it in the Object Lock bucket. A busy
   * window names a few thousand chains: two minutes is ample, and the lease it holds lasts as long.
   */
  digest: { file: 'digest.ts', memoryMb: 256, timeoutSeconds: 120 },
  /**
   * Inventory sync: lists every tenant scope by scope (an iTwin tenant with thousands of iTwins is
   * thousands of calls at a share of the vendor's rate): the Lambda maximum, resumed by the next
   * tick when that is not enough.
   */
  inventorySync: { file: 'inventory-sync.ts', memoryMb: 1024, timeoutSeconds: 900 },
} as const;

export type FunctionName = keyof typeof FUNCTION_SPECS;

export interface LeaverProps {
  /** The validated configuration (`parseConfig` from lambdas/core/config.ts). */
  readonly config: LeaverConfig;
  /** Subscribes this address to the alerts topic (alarms and Leaver's own notifications). */
  readonly alarmEmail?: string;
  /**
   * The tables and the KMS key that encrypts them. RETAIN by default, so deleting the stack never
   * deletes the audit trail (the key stays too: a retained table is unreadable without it).
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection on both tables. Default true. */
  readonly deletionProtection?: boolean;
  /**
   * The vendor and HR secrets. DESTROY by default: they hold credentials that should not outlive
   * the deployment (revoke them at the vendor when you tear down). Use RETAIN to keep them.
   */
  readonly secretsRemovalPolicy?: RemovalPolicy;
  /**
   * Log groups and their key. DESTROY by default (operational logs; the audit is in DynamoDB).
   * The log groups are named `/leaver/<stack>/<id>/<function>`: with RETAIN, delete them before
   * deploying a stack of the same name again.
   */
  readonly logsRemovalPolicy?: RemovalPolicy;
  /** Retention of every log group (functions and API access logs). Default three months. */
  readonly logRetention?: RetentionDays;
  /**
   * Concurrent worker invocations at most (the SQS event source's maximum concurrency, 2..1000).
   * Configure each tenant's `rateLimit` as the vendor's own limit: every function that calls
   * vendors takes from one shared budget per tenant, so more workers never exceed it. Default 4.
   */
  readonly workerMaxConcurrency?: number;
  /**
   * Concurrent executions at most of the API's vendor-calling routes (dry-run plans, previews,
   * targeted revocations, and starting an offboarding, which shares the route): the reserved
   * concurrency of the `apiVendor` function, 1..100. Beyond it API Gateway answers 500 for the
   * throttled request. Default 2.
   */
  readonly apiVendorConcurrency?: number;
  /**
   * Reserved concurrency for the worker (guarantees capacity, and is a hard cap). Optional: on new
   * accounts with a small concurrency quota a reservation can fail the deployment.
   */
  readonly workerReservedConcurrency?: number;
  /** Throttling of the public webhook routes. Default 20 requests/s, burst 50. */
  readonly hooksThrottle?: { rateLimit: number; burstLimit: number };
  /** Throttling of every other route (the stage default). Default 50 requests/s, burst 100. */
  readonly apiThrottle?: { rateLimit: number; burstLimit: number };
  /** Where the handler entry files are. Default: the repository's lambdas/handlers. */
  readonly handlersDir?: string;
  /**
   * The built web console's files, when `console.enabled` (default: built from console/ with Vite
   * at synth time).
   */
  readonly consoleAssetsDir?: string;
  /**
   * How long every signed audit digest is locked (S3 Object Lock, compliance mode: nobody, the root
   * user included, can delete or change it before then). Default one year.
   */
  readonly auditDigestRetention?: Duration;
  /**
   * Node's source-map support (NODE_OPTIONS=--enable-source-maps): stack traces that name the
   * TypeScript files. Off by default, as in CDK's NodejsFunction: it costs every cold start 4-8 ms
   * (Node reads each start file's map and counts the lines of every file it loads; docs/performance.md).
   * The `.map` files ship either way, so a stack can be resolved offline.
   */
  readonly sourceMaps?: boolean;
}

/**
 * The most a resolved token in the Lambda environment takes, by what it names: a bucket name is at
 * most 63 bytes; a KMS key ARN about 90 (the longest region, a 12-digit account, a UUID); an SQS URL
 * at most about 140 (the host, the account and a generated queue name); a table name or topic ARN
 * CDK generates from the stack name, the construct path and a hash: 120 covers a 40-character stack
 * name. Anything unknown counts 200.
 */
function tokenBytes(variable: string): number {
  if (variable === 'DIGEST_BUCKET') return 63;
  if (variable === 'DIGEST_KEY_ID') return 90;
  if (variable.endsWith('_URL')) return 140;
  if (variable.endsWith('_TABLE') || variable === 'TOPIC_ARN') return 120;
  return 200;
}

/** Lambda's limit on the total size of a function's environment variables. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;

const DEFAULT_HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers/', import.meta.url));

/**
 * Actions every function may perform on the Offboardings table (and its GSIs): exactly what
 * lambdas/adapters/dynamo-offboarding-store.ts calls (conditional puts and updates, gets, queries).
 * No DeleteItem: offboardings are never deleted.
 */
export const OFFBOARDINGS_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
/** A Scan of the Offboardings table itself (never its indexes). */
export const OFFBOARDINGS_LIST_ACTIONS = ['dynamodb:Scan'];
/**
 * Functions that Scan the table: the API lists every offboarding (GET /v1/offboardings without
 * email or status); the due sweep reads a few pages per run of the recovery pass that finds
 * offboardings missing from the status index (lambdas/core/recovery.ts).
 */
export const OFFBOARDINGS_SCANNERS = ['api', 'dueSweep'] as const;
/** What the API function may do on the dead-letter queue: peek (receive, then release) and redrive. */
export const DEAD_LETTER_ACTIONS = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
];
/** Functions that enqueue work (intake, API commands, due and retry sweeps, and the worker, which
 * queues a full batch's verifications again so they share one listing). */
export const ENQUEUERS = ['intake', 'api', 'apiVendor', 'dueSweep', 'retrySweep', 'worker'] as const;
/**
 * Functions that read vendor tenant credentials: everything that calls a vendor, and only those,
 * each taking from the shared rate budget.
 */
export const TENANT_SECRET_READERS = ['worker', 'apiVendor', 'reconcile', 'inventorySync'] as const;
/**
 * The inventory: the sync replaces scopes (and drops gone ones), the worker reads a leaver's known
 * grants and forgets revoked ones, the API answers access lookups. Nothing else touches it.
 */
export const INVENTORY_WRITE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
export const INVENTORY_READ_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
export const INVENTORY_WRITERS = ['worker', 'inventorySync'] as const;
export const INVENTORY_READERS = ['api'] as const;

/**
 * Reconciliation runs one at a time (reserved concurrency 1): `reconcileMinutes` may be 1 while a
 * run may take 15 minutes, and overlapping runs would repeat the same discovery and multiply its
 * vendor calls.
 */
export const RECONCILE_CONCURRENCY = 1;
/** The inventory sync runs one at a time too (its leases would let a second one find nothing to do). */
export const INVENTORY_SYNC_CONCURRENCY = 1;
/** The sync's schedule ticks this often at most; each tick lists only the tenants that are due. */
export const INVENTORY_TICK_MINUTES = 5;
/** Default `apiVendorConcurrency`. */
export const DEFAULT_API_VENDOR_CONCURRENCY = 2;
/** Default `workerMaxConcurrency`. */
export const DEFAULT_WORKER_MAX_CONCURRENCY = 4;

/** Functions that read HR source secrets: only the intake verifies webhooks. */
export const SOURCE_SECRET_READERS = ['intake'] as const;
/**
 * The Audit table is append only: these are the only actions allowed on it (exactly what
 * lambdas/adapters/dynamo-audit-log.ts calls). PutItem is what appends; IAM has no condition key that
 * could require the adapter's `attribute_not_exists` condition, so PutItem could also replace an item:
 * the signed digests are what show it.
 */
export const AUDIT_ALLOWED_ACTIONS = ['dynamodb:PutItem', 'dynamodb:Query'];
/** The digest function only reads the audit (chains appended to, and their heads). */
export const AUDIT_READ_ACTIONS = ['dynamodb:Query'];
/** Functions that sign and store audit digests: the schedule's, and the worker (when an offboarding finishes). */
export const DIGEST_WRITERS = ['digest', 'worker'] as const;
/** Functions that read digests (verification, evidence packs, the public key). */
export const DIGEST_READERS = ['api'] as const;
/**
 * ...and these are denied explicitly, so no later grant can open them. There is no IAM action
 * `dynamodb:TransactWriteItems` (cfn-lint W3037): a transaction is authorised item by item with
 * PutItem/UpdateItem/DeleteItem/ConditionCheckItem, so denying UpdateItem and DeleteItem denies
 * transactional updates and deletes too. UpdateTimeToLive is denied because TTL would expire
 * records, UpdateContinuousBackups because it could switch point-in-time recovery off.
 */
export const AUDIT_DENIED_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:DeleteTable',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLUpdate',
  'dynamodb:UpdateContinuousBackups',
  'dynamodb:UpdateItem',
  'dynamodb:UpdateTable',
  'dynamodb:UpdateTimeToLive',
];
/** What a function needs on the data key to use the encrypted table, queue, topic and secrets. */
export const DATA_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** Every CloudWatch alarm of the stack's account and region (the topic policy's `aws:SourceArn`). */
export function alarmArnPattern(stack: Stack): string {
  return `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`;
}

/** A construct id from a free-form name ('/' separates construct paths). */
function idFor(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9-]/g, '-');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${clean}-${hash}`;
}

/** A CloudFormation logical-id-safe suffix from a source id (lower-case letters, digits, dashes). */
function pascal(id: string): string {
  return id
    .split('-')
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

export class Leaver extends Construct {
  readonly dataKey: Key;
  readonly logsKey: Key;
  readonly offboardingsTable: Table;
  readonly auditTable: Table;
  readonly inventoryTable: Table;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly topic: Topic;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly functions: Record<FunctionName, LambdaFn>;
  readonly roles: Record<FunctionName, Role>;
  /** Secret name -> the secret (one per distinct name in tenants and sources). */
  readonly secrets: Map<string, Secret>;
  readonly monitoring: LeaverMonitoring;
  /** The web console's hosting, when the configuration enables it. */
  readonly console?: LeaverConsole;
  /** The audit digests' signing key and Object Lock bucket. */
  readonly auditAnchor: AuditAnchor;
  /** `<api>/hooks/<sourceId>` per enabled source. */
  readonly webhookUrls: Record<string, string>;

  constructor(scope: Construct, id: string, props: LeaverProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const dataRemoval = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;
    const logsRemoval = props.logsRemovalPolicy ?? RemovalPolicy.DESTROY;
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const workerMaxConcurrency = props.workerMaxConcurrency ?? DEFAULT_WORKER_MAX_CONCURRENCY;
    if (!Number.isInteger(workerMaxConcurrency) || workerMaxConcurrency < 2 || workerMaxConcurrency > 1000) {
      throw new Error(`workerMaxConcurrency must be an integer from 2 to 1000 (got ${workerMaxConcurrency})`);
    }
    const apiVendorConcurrency = props.apiVendorConcurrency ?? DEFAULT_API_VENDOR_CONCURRENCY;
    if (!Number.isInteger(apiVendorConcurrency) || apiVendorConcurrency < 1 || apiVendorConcurrency > 100) {
      throw new Error(`apiVendorConcurrency must be an integer from 1 to 100 (got ${apiVendorConcurrency})`);
    }
    const handlersDir = props.handlersDir ?? DEFAULT_HANDLERS_DIR;

    // ---------------------------------------------------------------- keys
    this.dataKey = new Key(this, 'DataKey', {
      description: 'Leaver: tables, queue, topic, secrets and Lambda environment',
      enableKeyRotation: true,
      removalPolicy: dataRemoval,
    });
    // CloudWatch alarms publish to the encrypted topic: the service needs the key for that.
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheEncryptedTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    /** Every log group of this construct lives under this prefix (the logs key is scoped to it). */
    const logPrefix = `/leaver/${stack.stackName}/${this.node.id}`;
    this.logsKey = new Key(this, 'LogsKey', {
      description: 'Leaver: CloudWatch Logs (function logs and API access logs)',
      enableKeyRotation: true,
      removalPolicy: logsRemoval,
    });
    this.logsKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsForLeaverLogGroups',
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${logPrefix}/*`,
          },
        },
      }),
    );
    const logGroup = (name: string): LogGroup =>
      new LogGroup(this, `${name}Logs`, {
        logGroupName: `${logPrefix}/${name}`,
        encryptionKey: this.logsKey,
        retention: logRetention,
        removalPolicy: logsRemoval,
      });

    // ---------------------------------------------------------------- tables
    const tableProps = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      removalPolicy: dataRemoval,
    };
    // Each table's key schema and indexes as lambdas/adapters/tables.ts names them.
    const table = (
      id: string,
      layout: {
        partitionKey: string;
        sortKey: string;
        indexes: Record<string, { name: string; partitionKey: string; sortKey?: string }>;
      },
      sortKeyType: AttributeType = AttributeType.STRING,
    ): Table => {
      const t = new Table(this, id, {
        ...tableProps,
        partitionKey: { name: layout.partitionKey, type: AttributeType.STRING },
        sortKey: { name: layout.sortKey, type: sortKeyType },
      });
      for (const index of Object.values(layout.indexes)) {
        t.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          ...(index.sortKey ? { sortKey: { name: index.sortKey, type: AttributeType.STRING } } : {}),
        });
      }
      return t;
    };
    this.offboardingsTable = table('OffboardingsTable', OFFBOARDINGS);
    this.auditTable = table('AuditTable', AUDIT, AttributeType.NUMBER);
    // Who holds what at every vendor. The sync could rebuild it, but it names people and their
    // access: encrypted, recoverable and protected like the others.
    this.inventoryTable = table('InventoryTable', INVENTORY);

    // ---------------------------------------------------------------- audit digests
    this.auditAnchor = new AuditAnchor(this, 'AuditDigests', {
      dataKey: this.dataKey,
      retention: props.auditDigestRetention,
    });

    // ---------------------------------------------------------------- queue
    const workerTimeout = Duration.seconds(FUNCTION_SPECS.worker.timeoutSeconds);
    const queueRetention = Duration.days(4);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      enforceSSL: true,
      // The maximum: failed offboardings wait here for a human (and the DLQ alarm) for two weeks.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      retentionPeriod: queueRetention,
      // AWS's rule for Lambda event sources: at least 6x the function timeout, so a message is not
      // redelivered while an invocation (and the service's own retries of it) still holds it.
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * 6),
      // Five full attempts (each with the connectors' in-function retries) before a human looks.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    // ---------------------------------------------------------------- alerts topic
    this.topic = new Topic(this, 'AlertsTopic', {
      displayName: 'Leaver alerts',
      masterKey: this.dataKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    // enforceSSL gives the topic a policy, and with it no implicit Allow for CloudWatch: without this
    // statement an alarm's action may be refused. Only alarms of this account and region may publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccountToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': alarmArnPattern(stack) },
        },
      }),
    );

    // ---------------------------------------------------------------- secrets
    // Created by the stack (not imported): the stack then knows each secret's exact ARN, so every
    // read grant names one secret (no `name-??????` wildcard), the secrets are encrypted with the
    // data key, and `cdk deploy` on a fresh account needs no manual step before it. The generated
    // value is a placeholder that no source or connector accepts (fail closed) until an operator
    // puts the real value (docs/deploying.md#secrets); CloudFormation never regenerates it on later deploys.
    this.secrets = new Map();
    const secretFor = (name: string, purpose: string): Secret => {
      const existing = this.secrets.get(name);
      if (existing) return existing;
      const secret = new Secret(this, `Secret-${idFor(name)}`, {
        secretName: name,
        description: `Leaver: ${purpose}. Replace the placeholder value (see docs/deploying.md#secrets in the Leaver repository).`,
        encryptionKey: this.dataKey,
        removalPolicy: props.secretsRemovalPolicy ?? RemovalPolicy.DESTROY,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ placeholder: true }),
          generateStringKey: 'unset',
          excludePunctuation: true,
        },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is a credential issued by a vendor (iTwin/Atlas/Cloud Manager API client) or an HR ' +
          'system (webhook signing key); Secrets Manager cannot create a new one there, so rotation is ' +
          "done in the vendor's console and put here (docs/deploying.md#secrets), not by a rotation Lambda.",
      });
      this.secrets.set(name, secret);
      return secret;
    };
    const tenantSecrets = config.tenants.map((t) => secretFor(t.secretName, `${t.vendor} tenant ${t.id}`));
    const sourceSecrets = config.sources.map((s) => secretFor(s.secretName, `${s.type} HR source ${s.id}`));

    // ---------------------------------------------------------------- functions
    // In AWS the notifier is the SNS topic (TOPIC_ARN is always set), so a Slack webhook URL in the
    // configuration would be unused; it is a credential, so it is kept out of the environment.
    const lambdaConfig: LeaverConfig = { ...config, notifications: {} };
    if (config.notifications.slackWebhookUrl) {
      Annotations.of(this).addWarningV2(
        'leaver:slackWebhookUrlUnused',
        'notifications.slackWebhookUrl is not used in AWS (alerts go to the SNS topic; subscribe Slack to it ' +
          'with AWS Chatbot) and is not passed to the functions.',
      );
    }
    const environment: Record<string, string> = {
      LEAVER_CONFIG_JSON: JSON.stringify(lambdaConfig),
      OFFBOARDINGS_TABLE: this.offboardingsTable.tableName,
      AUDIT_TABLE: this.auditTable.tableName,
      INVENTORY_TABLE: this.inventoryTable.tableName,
      QUEUE_URL: this.queue.queueUrl,
      TOPIC_ARN: this.topic.topicArn,
      DIGEST_BUCKET: this.auditAnchor.bucket.bucketName,
      DIGEST_KEY_ID: this.auditAnchor.signingKey.keyArn,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      ...(props.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    };
    /** The general API function refuses the vendor-calling routes (lambdas/handlers/api.ts). */
    // Only the API reads the dead-letter queue (GET /v1/dead-letters, POST /v1/dead-letters/redrive).
    const apiOnlyEnvironment = {
      LEAVER_API_VENDOR_CALLS: 'off',
      DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
    };
    // Tokens resolve at deploy time to names, ARNs and URLs whose size is bounded by their kind.
    const envBytes = Object.entries({ ...environment, ...apiOnlyEnvironment }).reduce(
      (n, [k, v]) => n + k.length + (v.startsWith('${Token') ? tokenBytes(k) : Buffer.byteLength(v)),
      0,
    );
    if (envBytes > LAMBDA_ENV_LIMIT_BYTES) {
      throw new Error(
        `The configuration is too large for a Lambda environment (about ${envBytes} of ${LAMBDA_ENV_LIMIT_BYTES} bytes): ` +
          'shorten protectedEmails/protectedDomains or the tenant lists.',
      );
    }

    /** Reserved concurrency: runs that must not overlap, and the API's vendor calls. */
    const reserved: Partial<Record<FunctionName, number>> = {
      reconcile: RECONCILE_CONCURRENCY,
      inventorySync: INVENTORY_SYNC_CONCURRENCY,
      apiVendor: apiVendorConcurrency,
      ...(props.workerReservedConcurrency !== undefined ? { worker: props.workerReservedConcurrency } : {}),
    };
    const roles = {} as Record<FunctionName, Role>;
    const functions = {} as Record<FunctionName, LambdaFn>;
    for (const [name, spec] of Object.entries(FUNCTION_SPECS) as [
      FunctionName,
      (typeof FUNCTION_SPECS)[FunctionName],
    ][]) {
      const fnName = pascal(name.replace(/([A-Z])/g, '-$1').toLowerCase());
      const logs = logGroup(fnName);
      // One role per function, no managed policy: AWSLambdaBasicExecutionRole would allow writing to
      // every log group in the account; this one may write only to its own.
      const role = new Role(this, `${fnName}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Leaver ${name} function`,
      });
      role.addToPolicy(
        new PolicyStatement({
          sid: 'OwnLogGroupOnly',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logs.logGroupArn],
        }),
      );
      // Bundled by infra/function-code.ts (esbuild with code splitting, the SDK from the runtime).
      const fn = new LambdaFn(this, `${fnName}Function`, {
        description: `Leaver ${name}`,
        code: functionCode(`${handlersDir.replace(/\/?$/, '/')}${spec.file}`),
        handler: FUNCTION_HANDLER,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: spec.memoryMb,
        timeout: Duration.seconds(spec.timeoutSeconds),
        tracing: Tracing.ACTIVE,
        role,
        logGroup: logs,
        loggingFormat: LoggingFormat.JSON,
        environment: name === 'api' ? { ...environment, ...apiOnlyEnvironment } : environment,
        environmentEncryption: this.dataKey,
        ...(reserved[name] !== undefined ? { reservedConcurrentExecutions: reserved[name] } : {}),
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is chosen on purpose: the code is built and tested on Node 20/22 (package.json engines, ' +
          'CI on Node 20) and nodejs22.x is in AWS standard support; nodejs24.x follows once CI runs on Node 24.',
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by tracing: ACTIVE) use Resource *: ' +
          'X-Ray has no resource-level permissions for them. Every data action names its resource.',
      });
      roles[name] = role;
      functions[name] = fn;
      // CDK makes the function depend on its role and the role's policy; the role is already
      // referenced (GetAtt), so cfn-lint reports that DependsOn entry as redundant (W3005). Keep only
      // the policy: the function (and the worker's event source mapping) must wait for it.
      const cfnFn = fn.node.defaultChild as CfnFunction;
      const policy = role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
      cfnFn.addOverride('DependsOn', [stack.getLogicalId(policy as CfnElement)]);
    }
    this.roles = roles;
    this.functions = functions;

    // ---------------------------------------------------------------- permissions
    const offboardingsResources = [
      this.offboardingsTable.tableArn,
      ...Object.values(OFFBOARDINGS.indexes).map((i) => `${this.offboardingsTable.tableArn}/index/${i.name}`),
    ];
    const auditResources = [
      this.auditTable.tableArn,
      ...Object.values(AUDIT.indexes).map((i) => `${this.auditTable.tableArn}/index/${i.name}`),
    ];
    const can = {
      data: (role: Role, audit: 'append' | 'read') => {
        role.addToPolicy(
          new PolicyStatement({
            sid: 'OffboardingsReadWrite',
            actions: OFFBOARDINGS_ACTIONS,
            resources: offboardingsResources,
          }),
        );
        role.addToPolicy(
          new PolicyStatement({
            sid: audit === 'append' ? 'AuditAppendAndRead' : 'AuditRead',
            actions: audit === 'append' ? AUDIT_ALLOWED_ACTIONS : AUDIT_READ_ACTIONS,
            resources: auditResources,
          }),
        );
        role.addToPolicy(
          new PolicyStatement({
            sid: 'AuditIsAppendOnly',
            effect: Effect.DENY,
            actions: AUDIT_DENIED_ACTIONS,
            resources: auditResources,
          }),
        );
        role.addToPolicy(
          new PolicyStatement({
            sid: 'DataKeyUse',
            actions: DATA_KEY_ACTIONS,
            resources: [this.dataKey.keyArn],
          }),
        );
      },
      enqueue: (role: Role) =>
        role.addToPolicy(
          new PolicyStatement({
            sid: 'Enqueue',
            actions: ['sqs:SendMessage'],
            resources: [this.queue.queueArn],
          }),
        ),
      notify: (role: Role) =>
        role.addToPolicy(
          new PolicyStatement({ sid: 'Notify', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
        ),
      readSecrets: (role: Role, secrets: Secret[], sid: string) => {
        const arns = [...new Set(secrets.map((s) => s.secretArn))];
        if (arns.length === 0) return;
        role.addToPolicy(
          new PolicyStatement({
            sid,
            actions: ['secretsmanager:GetSecretValue'],
            resources: arns,
          }),
        );
      },
    };
    for (const [name, role] of Object.entries(roles) as [FunctionName, Role][]) {
      // Every function reads and writes offboardings, appends audit records (the digest function
      // only reads them) and may notify (the engine's notifier is its only alert path: quarantines,
      // failures, re-invited leavers).
      can.data(role, name === 'digest' ? 'read' : 'append');
      can.notify(role);
    }
    for (const name of DIGEST_WRITERS) this.auditAnchor.grantWrite(roles[name]);
    for (const name of DIGEST_READERS) this.auditAnchor.grantRead(roles[name]);
    for (const name of ENQUEUERS) can.enqueue(roles[name]);
    // Inspecting and redriving the DLQ (the API's dead-letter routes): peek with a visibility
    // timeout and put the messages back, or move them to the work queue (SendMessage above).
    roles.api.addToPolicy(
      new PolicyStatement({
        sid: 'DeadLetterQueueInspectAndRedrive',
        actions: DEAD_LETTER_ACTIONS,
        resources: [this.deadLetterQueue.queueArn],
      }),
    );
    for (const name of OFFBOARDINGS_SCANNERS) {
      roles[name].addToPolicy(
        new PolicyStatement({
          sid: 'OffboardingsList',
          actions: OFFBOARDINGS_LIST_ACTIONS,
          resources: [this.offboardingsTable.tableArn],
        }),
      );
    }
    for (const name of SOURCE_SECRET_READERS)
      can.readSecrets(roles[name], sourceSecrets, 'ReadHrSourceSecrets');
    for (const name of TENANT_SECRET_READERS)
      can.readSecrets(roles[name], tenantSecrets, 'ReadTenantSecrets');
    const inventoryResources = [
      this.inventoryTable.tableArn,
      ...Object.values(INVENTORY.indexes).map((i) => `${this.inventoryTable.tableArn}/index/${i.name}`),
    ];
    for (const name of INVENTORY_WRITERS) {
      roles[name].addToPolicy(
        new PolicyStatement({
          sid: 'InventoryReadWrite',
          actions: INVENTORY_WRITE_ACTIONS,
          resources: inventoryResources,
        }),
      );
    }
    for (const name of INVENTORY_READERS) {
      roles[name].addToPolicy(
        new PolicyStatement({
          sid: 'InventoryRead',
          actions: INVENTORY_READ_ACTIONS,
          resources: inventoryResources,
        }),
      );
    }

    // ---------------------------------------------------------------- worker event source
    const batchSize = config.worker.batchSize;
    functions.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        // Above 10 messages SQS requires a batching window; below it, deliver at once (seconds matter).
        ...(batchSize > 10 ? { maxBatchingWindow: Duration.seconds(1) } : {}),
        reportBatchItemFailures: true,
        maxConcurrency: workerMaxConcurrency,
      }),
    );

    // ---------------------------------------------------------------- HTTP API
    const accessLogs = logGroup('ApiAccess');
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Leaver: HR webhooks (/hooks) and the management API (/v1)',
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.apiThrottle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // routeKey, not path: a /v1 path may carry an email address, and logs never hold one.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            principal: '$context.identity.userArn',
          }),
        ) as AccessLogFormatType,
      },
    });

    const intakeIntegration = new HttpLambdaIntegration('IntakeIntegration', functions.intake);
    const hookRoutes: HttpRoute[] = this.api.addRoutes({
      path: '/hooks/{source}',
      methods: [HttpMethod.POST, HttpMethod.GET],
      integration: intakeIntegration,
    });
    for (const route of hookRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'HR webhooks (Standard Webhooks, Okta, BambooHR, HiBob) cannot sign SigV4 or fetch a JWT; the intake ' +
          "verifies every request against the source's secret (HMAC signature or Okta's shared header) before " +
          'storing anything, answers 401 otherwise, and the route is throttled at the stage.',
      });
    }
    const authorizer: IHttpRouteAuthorizer =
      config.api.auth === 'jwt' && config.api.jwt
        ? new HttpJwtAuthorizer('JwtAuthorizer', config.api.jwt.issuer, {
            jwtAudience: config.api.jwt.audience,
          })
        : new HttpIamAuthorizer();
    const apiIntegration = new HttpLambdaIntegration('ApiIntegration', functions.api);
    this.api.addRoutes({
      path: '/v1/{proxy+}',
      methods: [HttpMethod.ANY],
      integration: apiIntegration,
      authorizer,
    });
    // The vendor-calling routes go to their own, capped function (more specific routes win over
    // the proxy), with the same authoriser.
    const apiVendorIntegration = new HttpLambdaIntegration('ApiVendorIntegration', functions.apiVendor);
    for (const r of VENDOR_CALLING_ROUTES) {
      this.api.addRoutes({
        path: r.path,
        methods: [HttpMethod[r.method]],
        integration: apiVendorIntegration,
        authorizer,
      });
    }
    // Liveness and the OpenAPI document need no credentials (the router serves them to anyone).
    for (const r of PUBLIC_API_ROUTES) {
      for (const route of this.api.addRoutes({
        path: r.path,
        methods: [HttpMethod[r.method]],
        integration: apiIntegration,
      })) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            `${r.method} ${r.path} is public on purpose (the router's public route): it answers liveness and ` +
            'the API description only, no offboarding, audit or vendor data, reads nothing but the kill ' +
            'switch, and is throttled at the stage; every other /v1 route keeps the authoriser.',
        });
      }
    }

    // Route-level throttling for the public routes, on the stage the L2 created.
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    const hooksThrottle = props.hooksThrottle ?? { rateLimit: 20, burstLimit: 50 };
    cfnStage.routeSettings = Object.fromEntries(
      ['POST /hooks/{source}', 'GET /hooks/{source}'].map((key) => [
        key,
        // CfnStage.routeSettings is raw JSON (no casing conversion): CloudFormation's own names.
        { ThrottlingRateLimit: hooksThrottle.rateLimit, ThrottlingBurstLimit: hooksThrottle.burstLimit },
      ]),
    );
    // Route settings name routes by key: the routes must exist before the stage is created.
    for (const route of hookRoutes) cfnStage.node.addDependency(route);

    if (config.console.enabled) {
      this.console = new LeaverConsole(this, 'Console', {
        config,
        api: this.api,
        ...(props.consoleAssetsDir ? { assetsDir: props.consoleAssetsDir } : {}),
      });
    }

    this.webhookUrls = Object.fromEntries(
      config.sources.filter((s) => s.enabled).map((s) => [s.id, `${this.api.apiEndpoint}/hooks/${s.id}`]),
    );

    // ---------------------------------------------------------------- schedules
    const every = (minutes: number) => Schedule.rate(Duration.minutes(minutes));
    const schedules: [string, number, LambdaFn, string][] = [
      ['DueSweepSchedule', config.schedules.dueSweepMinutes, functions.dueSweep, 'due sweep'],
      ['ReconcileSchedule', config.schedules.reconcileMinutes, functions.reconcile, 'reconciliation'],
      ['RetrySweepSchedule', config.schedules.retryMinutes, functions.retrySweep, 'retry sweep'],
      ['DigestSchedule', config.schedules.digestMinutes, functions.digest, 'audit digest'],
      [
        'InventorySyncSchedule',
        Math.min(config.inventory.syncMinutes, INVENTORY_TICK_MINUTES),
        functions.inventorySync,
        'inventory sync',
      ],
    ];
    // Reserved concurrency 1 throttles a reconcile tick that arrives while a run is still going;
    // Lambda would keep such an asynchronous event for up to 6 hours and run the missed ticks back
    // to back. Drop it once the next tick is due instead.
    // A failed run throws (its Errors alarm fires) and the next tick runs it again: Lambda's own
    // retries of the asynchronous event would repeat up to 15 minutes of vendor discovery twice.
    functions.reconcile.configureAsyncInvoke({
      maxEventAge: Duration.seconds(Math.min(Math.max(config.schedules.reconcileMinutes * 60, 60), 21_600)),
      retryAttempts: 0,
    });
    // The sync, likewise: a failed run alarms and the next tick resumes it after its cursor.
    functions.inventorySync.configureAsyncInvoke({
      maxEventAge: Duration.seconds(
        Math.max(Math.min(config.inventory.syncMinutes, INVENTORY_TICK_MINUTES) * 60, 60),
      ),
      retryAttempts: 0,
    });
    for (const [ruleId, minutes, fn, what] of schedules) {
      new Rule(this, ruleId, {
        description: `Leaver ${what} every ${minutes} minute(s)`,
        schedule: every(minutes),
        // The next tick runs the sweep again, so a failed run is retried once, not piled up.
        targets: [
          new LambdaFunction(fn, {
            retryAttempts: 1,
            maxEventAge: Duration.minutes(Math.min(minutes, 1440)),
          }),
        ],
      });
    }

    // ---------------------------------------------------------------- monitoring
    this.monitoring = new LeaverMonitoring(this, 'Monitoring', {
      config,
      topic: this.topic,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      functions,
      api: this.api,
      stage: this.stage,
    });
  }
}
