/**
 * Encryption, tables, queue, functions, API, schedules, alarms and outputs of the synthesized stack.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_SPECS,
  type FunctionName,
  INVENTORY_SYNC_CONCURRENCY,
  RECONCILE_CONCURRENCY,
  TENANT_SECRET_READERS,
} from '../../infra/leaver-construct.ts';
import { THRESHOLDS } from '../../infra/monitoring.ts';
import { AUDIT, INVENTORY, OFFBOARDINGS } from '../../lambdas/adapters/tables.ts';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import { PUBLIC_API_ROUTES, VENDOR_CALLING_ROUTES } from '../../lambdas/handlers/vendor-routes.ts';
import {
  buildStack,
  exampleConfig,
  exampleConfigInput,
  logicalId,
  only,
  resources,
  SLOW_TEST_TIMEOUT_MS,
} from './support.ts';

const built = buildStack();
const { template, config } = built;
const NAMES = Object.keys(FUNCTION_SPECS) as FunctionName[];
const pascal = (n: string) => n.charAt(0).toUpperCase() + n.slice(1);
const dataKeyId = logicalId(template, 'AWS::KMS::Key', 'DataKey');
const logsKeyId = logicalId(template, 'AWS::KMS::Key', 'LogsKey');
const dataKeyArn = { 'Fn::GetAtt': [dataKeyId, 'Arn'] };
const fnOf = (n: FunctionName) =>
  resources(template, 'AWS::Lambda::Function')[
    logicalId(template, 'AWS::Lambda::Function', `${pascal(n)}Function`)
  ]!;

describe('encryption everywhere', () => {
  it('two customer-managed symmetric keys, rotation on, and the audit signing key (asymmetric: KMS cannot rotate it)', () => {
    const keys = resources(template, 'AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(3);
    const symmetric = Object.values(keys).filter((k) => k.Properties.KeySpec === undefined);
    expect(symmetric).toHaveLength(2);
    for (const k of symmetric) expect(k.Properties.EnableKeyRotation).toBe(true);
    const signing = Object.values(keys).filter((k) => k.Properties.KeyUsage === 'SIGN_VERIFY');
    expect(signing).toHaveLength(1);
  });

  it('the data key is retained (a retained table is unreadable without it)', () => {
    const key = resources(template, 'AWS::KMS::Key')[dataKeyId]!;
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  it("the logs key is usable by CloudWatch Logs only for this stack's log groups", () => {
    const policy = JSON.stringify(resources(template, 'AWS::KMS::Key')[logsKeyId]!.Properties.KeyPolicy);
    expect(policy).toContain('kms:EncryptionContext:aws:logs:arn');
    expect(policy).toContain(':log-group:/leaver/Leaver/Leaver/*');
  });

  it('tables use the data key (SSE KMS)', () => {
    for (const t of Object.values(resources(template, 'AWS::DynamoDB::Table'))) {
      expect(t.Properties.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: dataKeyArn,
      });
    }
  });

  it('queue, dead-letter queue and topic use the data key and refuse plain HTTP', () => {
    for (const q of Object.values(resources(template, 'AWS::SQS::Queue'))) {
      expect(q.Properties.KmsMasterKeyId).toEqual(dataKeyArn);
    }
    const queuePolicies = Object.values(resources(template, 'AWS::SQS::QueuePolicy'));
    expect(queuePolicies).toHaveLength(2);
    for (const p of [...queuePolicies, ...Object.values(resources(template, 'AWS::SNS::TopicPolicy'))]) {
      expect(p.Properties.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: dataKeyArn });
  });

  it('every log group (functions and API access logs) uses the logs key and has a retention', () => {
    const groups = Object.values(resources(template, 'AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(NAMES.length + 1);
    for (const g of groups) {
      expect(g.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logsKeyId, 'Arn'] });
      expect(g.Properties.RetentionInDays).toBe(90);
      expect(String(g.Properties.LogGroupName)).toMatch(/^\/leaver\/Leaver\/Leaver\//);
    }
  });

  it('function environments are encrypted with the data key', () => {
    for (const n of NAMES) expect(fnOf(n).Properties.KmsKeyArn).toEqual(dataKeyArn);
  });
});

describe('tables', () => {
  const tables = resources(template, 'AWS::DynamoDB::Table');
  const offboardings = tables[logicalId(template, 'AWS::DynamoDB::Table', 'OffboardingsTable')]!;
  const audit = tables[logicalId(template, 'AWS::DynamoDB::Table', 'AuditTable')]!;
  const inventory = tables[logicalId(template, 'AWS::DynamoDB::Table', 'InventoryTable')]!;

  it('on demand, point-in-time recovery, deletion protection, retained on delete and replace', () => {
    expect(Object.keys(tables)).toHaveLength(3);
    for (const t of [offboardings, audit, inventory]) {
      expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.Properties.DeletionProtectionEnabled).toBe(true);
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('Inventory has the key schema and the byScope GSI of lambdas/adapters/tables.ts', () => {
    expect(inventory.Properties.KeySchema).toEqual([
      { AttributeName: INVENTORY.partitionKey, KeyType: 'HASH' },
      { AttributeName: INVENTORY.sortKey, KeyType: 'RANGE' },
    ]);
    const gsis = inventory.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>;
    expect(gsis.map((g) => g.IndexName)).toEqual([INVENTORY.indexes.byScope.name]);
  });

  it('Offboardings has the key schema and GSIs of lambdas/adapters/tables.ts', () => {
    expect(offboardings.Properties.KeySchema).toEqual([
      { AttributeName: OFFBOARDINGS.partitionKey, KeyType: 'HASH' },
      { AttributeName: OFFBOARDINGS.sortKey, KeyType: 'RANGE' },
    ]);
    const gsis = offboardings.Properties.GlobalSecondaryIndexes as Array<{
      IndexName: string;
      KeySchema: unknown;
    }>;
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(
      Object.values(OFFBOARDINGS.indexes)
        .map((i) => i.name)
        .sort(),
    );
    for (const i of Object.values(OFFBOARDINGS.indexes)) {
      const g = gsis.find((x) => x.IndexName === i.name)!;
      expect(g.KeySchema).toEqual([
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        ...(i.sortKey ? [{ AttributeName: i.sortKey, KeyType: 'RANGE' }] : []),
      ]);
      expect(g).toMatchObject({ Projection: { ProjectionType: 'ALL' } });
    }
    const attrs = offboardings.Properties.AttributeDefinitions as Array<{
      AttributeName: string;
      AttributeType: string;
    }>;
    expect(attrs.every((a) => a.AttributeType === 'S')).toBe(true);
  });

  it('Audit has the key schema (numeric seq) and GSIs of lambdas/adapters/tables.ts', () => {
    expect(audit.Properties.KeySchema).toEqual([
      { AttributeName: AUDIT.partitionKey, KeyType: 'HASH' },
      { AttributeName: AUDIT.sortKey, KeyType: 'RANGE' },
    ]);
    const attrs = audit.Properties.AttributeDefinitions as Array<{
      AttributeName: string;
      AttributeType: string;
    }>;
    expect(attrs.find((a) => a.AttributeName === AUDIT.sortKey)?.AttributeType).toBe('N');
    const gsis = audit.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string; KeySchema: unknown }>;
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(
      Object.values(AUDIT.indexes)
        .map((i) => i.name)
        .sort(),
    );
    for (const i of Object.values(AUDIT.indexes)) {
      expect(gsis.find((x) => x.IndexName === i.name)!.KeySchema).toEqual([
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        { AttributeName: i.sortKey, KeyType: 'RANGE' },
      ]);
    }
  });

  it('a DESTROY data removal policy is honoured only when asked for', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const { template: t } = buildStack(exampleConfig(), {
      leaver: { dataRemovalPolicy: RemovalPolicy.DESTROY, deletionProtection: false },
    });
    for (const table of Object.values(resources(t, 'AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});

describe('queue and dead-letter queue', () => {
  const queues = resources(template, 'AWS::SQS::Queue');
  const queueId = logicalId(template, 'AWS::SQS::Queue', 'LeaverQueue');
  const dlqId = logicalId(template, 'AWS::SQS::Queue', 'DeadLetterQueue');
  const queue = queues[queueId]!;
  const dlq = queues[dlqId]!;
  const workerTimeout = fnOf('worker').Properties.Timeout as number;

  it('redrives to the DLQ after at least 5 receives', () => {
    const redrive = queue.Properties.RedrivePolicy as {
      deadLetterTargetArn: unknown;
      maxReceiveCount: number;
    };
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(dlq.Properties.RedrivePolicy).toBeUndefined();
  });

  it('visibility timeout is at least 6x the worker timeout', () => {
    expect(workerTimeout).toBe(FUNCTION_SPECS.worker.timeoutSeconds);
    expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('the DLQ keeps messages longer than the queue', () => {
    expect(dlq.Properties.MessageRetentionPeriod as number).toBeGreaterThan(
      queue.Properties.MessageRetentionPeriod as number,
    );
  });

  it('the worker consumes it with partial batch failures and a concurrency cap', () => {
    const [, esm] = only(template, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', 'WorkerFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: config.worker.batchSize,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it('the cap, the batch size and a reservation follow the props and the configuration', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const input = exampleConfigInput();
    input.worker = { batchSize: 25 };
    const { template: t } = buildStack(parseConfig(input), {
      leaver: { workerMaxConcurrency: 7, workerReservedConcurrency: 9, apiVendorConcurrency: 3 },
    });
    const [, esm] = only(t, 'AWS::Lambda::EventSourceMapping');
    expect(esm.Properties).toMatchObject({
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 7 },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Leaver worker',
      ReservedConcurrentExecutions: 9,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Leaver apiVendor',
      ReservedConcurrentExecutions: 3,
    });
    // no fixed split of the vendor limits any more: the functions share one budget per limit
    for (const fn of Object.values(resources(t, 'AWS::Lambda::Function'))) {
      expect(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.LEAVER_RATE_SHARE,
      ).toBeUndefined();
    }
  });

  it("sourceMaps: Node reads the bundles' source maps in every function", {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const { template: t } = buildStack(exampleConfig(), { leaver: { sourceMaps: true } });
    const fns = Object.values(resources(t, 'AWS::Lambda::Function')).filter(
      (fn) =>
        typeof fn.Properties.Description === 'string' && fn.Properties.Description.startsWith('Leaver '),
    );
    expect(fns.length).toBeGreaterThan(5);
    for (const fn of fns) {
      expect(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS,
      ).toBe('--enable-source-maps');
    }
  });

  it('refuses a concurrency cap SQS does not accept, and an API vendor cap outside 1..100', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    expect(() => buildStack(exampleConfig(), { leaver: { workerMaxConcurrency: 1 } })).toThrow(/2 to 1000/);
    expect(() => buildStack(exampleConfig(), { leaver: { apiVendorConcurrency: 0 } })).toThrow(/1 to 100/);
  });
});

describe('functions', () => {
  it.each(NAMES)('%s: nodejs22.x, arm64, active tracing, its own log group, memory and timeout', (n) => {
    const p = fnOf(n).Properties;
    expect(p.Runtime).toBe('nodejs22.x');
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.TracingConfig).toEqual({ Mode: 'Active' });
    expect(p.Handler).toBe('index.handler');
    expect(p.MemorySize).toBe(FUNCTION_SPECS[n].memoryMb);
    expect(p.Timeout).toBe(FUNCTION_SPECS[n].timeoutSeconds);
    expect(p.LoggingConfig).toEqual({
      LogFormat: 'JSON',
      LogGroup: { Ref: logicalId(template, 'AWS::Logs::LogGroup', `${pascal(n)}Logs`) },
    });
  });

  it.each(NAMES)('%s waits for its role policy (and not redundantly for the role: cfn-lint W3005)', (n) => {
    const fnId = logicalId(template, 'AWS::Lambda::Function', `${pascal(n)}Function`);
    const policyId = logicalId(template, 'AWS::IAM::Policy', `${pascal(n)}RoleDefaultPolicy`);
    expect(resources(template, 'AWS::Lambda::Function')[fnId]!.DependsOn).toEqual([policyId]);
  });

  it('timeouts fit their triggers: intake well under the API limit, API under 30 s, worker long', () => {
    expect(FUNCTION_SPECS.intake.timeoutSeconds).toBeLessThanOrEqual(10);
    expect(FUNCTION_SPECS.api.timeoutSeconds).toBeLessThan(30);
    expect(FUNCTION_SPECS.worker.timeoutSeconds).toBeGreaterThanOrEqual(120);
  });

  it.each(NAMES)('%s: the environment lambdas/handlers/wiring.ts reads', (n) => {
    const vars = (fnOf(n).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(vars.LEAVER_CONFIG_JSON as string)).toEqual(config);
    expect(vars.OFFBOARDINGS_TABLE).toEqual({
      Ref: logicalId(template, 'AWS::DynamoDB::Table', 'OffboardingsTable'),
    });
    expect(vars.AUDIT_TABLE).toEqual({ Ref: logicalId(template, 'AWS::DynamoDB::Table', 'AuditTable') });
    expect(vars.QUEUE_URL).toEqual({ Ref: logicalId(template, 'AWS::SQS::Queue', 'LeaverQueue') });
    expect(vars.TOPIC_ARN).toEqual({ Ref: logicalId(template, 'AWS::SNS::Topic', 'AlertsTopic') });
    expect(vars.POWERTOOLS_SERVICE_NAME).toBe('leaver');
    expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBe('Leaver');
    // Node's source maps cost every cold start: on only when asked for (sourceMaps).
    expect(vars.NODE_OPTIONS).toBeUndefined();
    expect(vars.INVENTORY_TABLE).toEqual({
      Ref: logicalId(template, 'AWS::DynamoDB::Table', 'InventoryTable'),
    });
    // every vendor caller takes from one shared budget per vendor limit: no fixed split
    expect(vars.LEAVER_RATE_SHARE).toBeUndefined();
    // only the general API function refuses the vendor-calling routes
    expect(vars.LEAVER_API_VENDOR_CALLS).toBe(n === 'api' ? 'off' : undefined);
  });

  it('a Slack webhook URL (a credential, unused in AWS) never reaches the environment', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const input = exampleConfigInput();
    input.notifications = { slackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/secretpart' };
    const { template: t } = buildStack(parseConfig(input));
    const fns = Object.values(resources(t, 'AWS::Lambda::Function'));
    expect(fns).toHaveLength(NAMES.length);
    for (const fn of fns) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(vars.LEAVER_CONFIG_JSON).not.toContain('hooks.slack.com');
      expect(JSON.parse(vars.LEAVER_CONFIG_JSON!).notifications).toEqual({});
    }
  });

  it('the default entries are the handler files in lambdas/handlers, and they exist', () => {
    expect([...new Set(Object.values(FUNCTION_SPECS).map((s) => s.file))].sort()).toEqual(
      [
        'api.ts',
        'digest.ts',
        'due-sweep.ts',
        'intake.ts',
        'inventory-sync.ts',
        'reconcile.ts',
        'retry-sweep.ts',
        'worker.ts',
      ].sort(),
    );
    // the API's vendor-calling routes run the same handler on their own, capped function
    expect(FUNCTION_SPECS.apiVendor).toEqual(FUNCTION_SPECS.api);
    const dir = fileURLToPath(new URL('../../lambdas/handlers/', import.meta.url));
    for (const s of Object.values(FUNCTION_SPECS)) expect(existsSync(join(dir, s.file)), s.file).toBe(true);
  });

  it('a configuration too large for a Lambda environment stops the synth with a clear message', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const input = exampleConfigInput();
    input.safety = {
      protectedEmails: Array.from({ length: 200 }, (_, i) => `service-account-${i}@example.com`),
    };
    expect(() => buildStack(parseConfig(input))).toThrow(/too large for a Lambda environment/);
  });
});

describe('vendor callers', () => {
  const reservedOf = (n: FunctionName) => fnOf(n).Properties.ReservedConcurrentExecutions;

  it('every function that may call a vendor is capped; they share one rate budget per vendor limit', () => {
    // the vendor callers are exactly the tenant-secret readers (iam.test.ts pins the grants)
    expect([...TENANT_SECRET_READERS].sort()).toEqual(['apiVendor', 'inventorySync', 'reconcile', 'worker']);
    const [, esm] = only(template, 'AWS::Lambda::EventSourceMapping');
    const workerCap = (esm.Properties.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency;
    expect(workerCap).toBe(4);
    expect(reservedOf('reconcile')).toBe(RECONCILE_CONCURRENCY);
    expect(RECONCILE_CONCURRENCY).toBe(1);
    expect(reservedOf('inventorySync')).toBe(INVENTORY_SYNC_CONCURRENCY);
    expect(INVENTORY_SYNC_CONCURRENCY).toBe(1);
    expect(reservedOf('apiVendor')).toBe(2);
    // nothing else reserves concurrency (a reservation is taken from the account's pool)
    for (const n of NAMES.filter((x) => !['reconcile', 'apiVendor', 'inventorySync'].includes(x))) {
      expect(reservedOf(n), n).toBeUndefined();
    }
  });

  it('reconciliation never overlaps: one at a time, and a throttled tick is dropped when the next is due', () => {
    // a run may outlast the shortest schedule (reconcileMinutes: 1), hence reserved concurrency 1
    expect(FUNCTION_SPECS.reconcile.timeoutSeconds).toBeGreaterThan(60);
    const reconcileId = logicalId(template, 'AWS::Lambda::Function', 'ReconcileFunction');
    const invoke = Object.values(resources(template, 'AWS::Lambda::EventInvokeConfig')).find(
      (r) => JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: reconcileId }),
    )!;
    expect(invoke.Properties).toEqual({
      FunctionName: { Ref: reconcileId },
      Qualifier: '$LATEST',
      MaximumEventAgeInSeconds: config.schedules.reconcileMinutes * 60,
      // a failed run alarms and the next tick repeats it; Lambda's retries would only double it
      MaximumRetryAttempts: 0,
    });
  });

  it('the API vendor routes are exactly the router routes that call vendors, and exist in it', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    for (const r of [...VENDOR_CALLING_ROUTES, ...PUBLIC_API_ROUTES]) {
      expect(keys).toContain(`${r.method} ${r.path}`);
    }
    const ops = ROUTES.filter((r) =>
      VENDOR_CALLING_ROUTES.some((v) => v.method === r.method && v.path === r.path),
    ).map((r) => r.operationId);
    expect(ops.sort()).toEqual(['previewOffboarding', 'revokeGrant', 'startOffboarding']);
  });
});

describe('HTTP API', () => {
  const routes = resources(template, 'AWS::ApiGatewayV2::Route');
  const byKey = Object.fromEntries(Object.values(routes).map((r) => [r.Properties.RouteKey as string, r]));
  const PUBLIC_V1 = ['GET /v1/health', 'GET /v1/openapi.json'];
  const VENDOR_V1 = ['POST /v1/offboardings', 'POST /v1/preview', 'POST /v1/revocations'];

  it('has exactly the webhook routes, the /v1 proxy, the vendor-calling routes and the two public /v1 routes', () => {
    expect(Object.keys(byKey).sort()).toEqual(
      ['ANY /v1/{proxy+}', 'GET /hooks/{source}', 'POST /hooks/{source}', ...PUBLIC_V1, ...VENDOR_V1].sort(),
    );
  });

  it('the webhook routes are public (verified by signature in the intake)', () => {
    for (const key of ['POST /hooks/{source}', 'GET /hooks/{source}']) {
      expect(byKey[key]!.Properties.AuthorizationType).toBe('NONE');
      expect(byKey[key]!.Properties.AuthorizerId).toBeUndefined();
    }
  });

  it('GET /v1/health and GET /v1/openapi.json need no credentials: exactly the router public routes', () => {
    for (const key of PUBLIC_V1) {
      expect(byKey[key]!.Properties.AuthorizationType).toBe('NONE');
      expect(byKey[key]!.Properties.AuthorizerId).toBeUndefined();
    }
    expect(
      ROUTES.filter((r) => r.public)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual(PUBLIC_V1);
    expect(PUBLIC_API_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual(PUBLIC_V1);
  });

  it('every other /v1 route requires IAM by default', () => {
    const v1 = Object.values(routes).filter(
      (r) =>
        String(r.Properties.RouteKey).includes(' /v1') && !PUBLIC_V1.includes(String(r.Properties.RouteKey)),
    );
    expect(v1).toHaveLength(1 + VENDOR_V1.length);
    for (const r of v1) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(Object.keys(resources(template, 'AWS::ApiGatewayV2::Authorizer'))).toHaveLength(0);
  });

  it('every other /v1 route uses the JWT authoriser when config.api.auth is "jwt"; /hooks, health and openapi.json stay public', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const input = exampleConfigInput();
    input.api = { auth: 'jwt', jwt: { issuer: 'https://login.example.com/', audience: ['leaver-api'] } };
    const { template: t } = buildStack(parseConfig(input));
    const [authId, authorizer] = only(t, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['leaver-api'] },
    });
    const all = Object.values(resources(t, 'AWS::ApiGatewayV2::Route'));
    expect(all).toHaveLength(Object.keys(byKey).length);
    for (const r of all) {
      const key = String(r.Properties.RouteKey);
      if (key.includes(' /v1') && !PUBLIC_V1.includes(key)) {
        expect(r.Properties.AuthorizationType).toBe('JWT');
        expect(r.Properties.AuthorizerId).toEqual({ Ref: authId });
      } else {
        expect(r.Properties.AuthorizationType).toBe('NONE');
      }
    }
  });

  it('the webhook routes go to the intake, the vendor-calling routes to apiVendor, the rest of /v1 to api', () => {
    const integrations = resources(template, 'AWS::ApiGatewayV2::Integration');
    const target = (key: string) => {
      const id = JSON.stringify(byKey[key]!.Properties.Target).match(/"Ref":"([^"]+)"/)![1]!;
      return JSON.stringify(integrations[id]!.Properties.IntegrationUri);
    };
    expect(target('POST /hooks/{source}')).toContain(
      logicalId(template, 'AWS::Lambda::Function', 'IntakeFunction'),
    );
    expect(target('GET /hooks/{source}')).toContain(
      logicalId(template, 'AWS::Lambda::Function', 'IntakeFunction'),
    );
    const api = logicalId(template, 'AWS::Lambda::Function', 'ApiFunction');
    const apiVendor = logicalId(template, 'AWS::Lambda::Function', 'ApiVendorFunction');
    for (const key of ['ANY /v1/{proxy+}', ...PUBLIC_V1]) expect(target(key), key).toContain(api);
    for (const key of VENDOR_V1) {
      expect(target(key), key).toContain(apiVendor);
      expect(target(key), key).not.toContain(`"${api}"`);
    }
  });

  it('the stage logs access (without paths) to the encrypted log group and throttles routes', () => {
    const [, stage] = only(template, 'AWS::ApiGatewayV2::Stage');
    const p = stage.Properties;
    expect(p.StageName).toBe('$default');
    expect(p.AutoDeploy).toBe(true);
    const log = p.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(log.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'ApiAccessLogs'), 'Arn'],
    });
    const format = JSON.parse(log.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(log.Format).not.toContain('$context.path');
    expect(p.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    expect(p.RouteSettings).toEqual({
      'POST /hooks/{source}': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 },
      'GET /hooks/{source}': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 50 },
    });
    // route settings name routes: the stage waits for them
    const routeIds = Object.entries(resources(template, 'AWS::ApiGatewayV2::Route'))
      .filter(([, r]) => String(r.Properties.RouteKey).includes('/hooks'))
      .map(([id]) => id);
    for (const id of routeIds) expect(stage.DependsOn).toContain(id);
  });
});

describe('schedules', () => {
  const rules = Object.values(resources(template, 'AWS::Events::Rule'));
  const targetOf = (n: FunctionName) => logicalId(template, 'AWS::Lambda::Function', `${pascal(n)}Function`);
  const ruleFor = (n: FunctionName, t = rules) =>
    t.find((r) => JSON.stringify(r.Properties.Targets).includes(`"${targetOf(n)}"`));

  it('due sweep, reconciliation, retry sweep, audit digests and inventory sync run on the configured rates', () => {
    expect(rules).toHaveLength(5);
    expect(ruleFor('dueSweep')?.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(ruleFor('reconcile')?.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(ruleFor('retrySweep')?.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(ruleFor('digest')?.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    // each tick lists only the tenants due (inventory.syncMinutes), resuming an open pass
    expect(ruleFor('inventorySync')?.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    for (const r of rules) expect(r.Properties.State).toBe('ENABLED');
  });

  it('the rates follow config.schedules (and the reconcile event age its rate)', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const input = exampleConfigInput();
    input.schedules = { dueSweepMinutes: 2, reconcileMinutes: 30, retryMinutes: 7, digestMinutes: 3 };
    const { template: t } = buildStack(parseConfig(input));
    const all = Object.values(resources(t, 'AWS::Events::Rule'))
      .map((r) => r.Properties.ScheduleExpression)
      .sort();
    expect(all).toEqual([
      'rate(2 minutes)',
      'rate(3 minutes)',
      'rate(30 minutes)',
      'rate(5 minutes)',
      'rate(7 minutes)',
    ]);
    const reconcileId = logicalId(t, 'AWS::Lambda::Function', 'ReconcileFunction');
    const invoke = Object.values(resources(t, 'AWS::Lambda::EventInvokeConfig')).find(
      (r) => JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: reconcileId }),
    )!;
    expect(invoke.Properties.MaximumEventAgeInSeconds).toBe(1800);
  });

  it('EventBridge may invoke exactly the scheduled functions', () => {
    const perms = Object.values(resources(template, 'AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(perms.map((p) => JSON.stringify(p.Properties.FunctionName)).sort()).toEqual(
      (['dueSweep', 'reconcile', 'retrySweep', 'digest', 'inventorySync'] as const)
        .map((n) => JSON.stringify({ 'Fn::GetAtt': [targetOf(n), 'Arn'] }))
        .sort(),
    );
  });
});

describe('alerts', () => {
  const topicId = logicalId(template, 'AWS::SNS::Topic', 'AlertsTopic');
  const alarms = Object.values(resources(template, 'AWS::CloudWatch::Alarm'));
  const byDescription = (re: RegExp) => alarms.filter((a) => re.test(String(a.Properties.AlarmDescription)));

  it('every alarm notifies the alerts topic', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(5);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('DLQ depth > 0', () => {
    const [a] = byDescription(/dead-letter queue/);
    expect(a!.Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'DeadLetterQueue'), 'QueueName'] },
        },
      ],
    });
  });

  it('worker errors and intake errors', () => {
    for (const [re, fn] of [
      [/worker function failed/, 'WorkerFunction'],
      [/webhook intake failed/, 'IntakeFunction'],
    ] as const) {
      const [a] = byDescription(re);
      expect(a!.Properties).toMatchObject({
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Threshold: 0,
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: logicalId(template, 'AWS::Lambda::Function', fn) } },
        ],
      });
    }
  });

  it('age of the oldest message', () => {
    const [a] = byDescription(/waited over/);
    expect(a!.Properties).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Namespace: 'AWS/SQS',
      Threshold: THRESHOLDS.oldestMessageAgeSeconds,
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', 'LeaverQueue'), 'QueueName'] },
        },
      ],
    });
  });

  it('quarantines (custom metric Leaver/Offboardings status=quarantined)', () => {
    const [a] = byDescription(/quarantined/);
    expect(a!.Properties).toMatchObject({
      Namespace: 'Leaver',
      MetricName: 'Offboardings',
      Threshold: 0,
    });
    expect(a!.Properties.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: 'leaver' },
        { Name: 'status', Value: 'quarantined' },
      ]),
    );
  });

  it('vendor failure rate: one alarm per configured vendor on failed / attempted Actions', () => {
    const rate = byDescription(/revocations failed/);
    expect(rate).toHaveLength(3);
    for (const vendor of ['itwin', 'atlas', 'cloudmanager']) {
      const a = rate.find((x) => String(x.Properties.AlarmDescription).includes(` ${vendor} `))!;
      expect(a.Properties.Threshold).toBe(THRESHOLDS.vendorFailureRatePercent);
      const metrics = a.Properties.Metrics as Array<{
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown[] } };
      }>;
      expect(metrics.find((m) => m.Expression)!.Expression).toMatch(/100 \* FILL\(f,0\)/);
      const stats = metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric);
      expect(stats.map((s) => s.MetricName)).toEqual(['Actions', 'Actions', 'Actions']);
      for (const s of stats) {
        expect(s.Namespace).toBe('Leaver');
        expect(s.Dimensions).toEqual(expect.arrayContaining([{ Name: 'vendor', Value: vendor }]));
      }
      expect(JSON.stringify(stats)).toContain('"failed"');
    }
  });

  it('only the vendors in use get a failure-rate alarm', { timeout: SLOW_TEST_TIMEOUT_MS }, () => {
    const input = exampleConfigInput();
    input.tenants = input.tenants!.filter((t) => t.vendor === 'cloudmanager');
    const { template: t } = buildStack(parseConfig(input));
    const rate = Object.values(resources(t, 'AWS::CloudWatch::Alarm')).filter((a) =>
      /revocations failed/.test(String(a.Properties.AlarmDescription)),
    );
    expect(rate).toHaveLength(1);
  });

  it('a dashboard with time to revoke and actions by outcome', () => {
    const [, dash] = only(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dash.Properties.DashboardBody);
    expect(body).toContain('TimeToRevoke');
    expect(body).toContain('Actions by outcome');
    for (const o of ['revoked', 'already_absent', 'skipped', 'failed']) expect(body).toContain(o);
  });

  it('the alerts topic gets the e-mail subscription only when one is given', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    expect(Object.keys(resources(template, 'AWS::SNS::Subscription'))).toHaveLength(0);
    const { template: t } = buildStack(exampleConfig(), { alarmEmail: 'secops@example.com' });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'secops@example.com' });
  });

  it('CloudWatch may use the data key to publish alarms to the encrypted topic', () => {
    const policy = JSON.stringify(resources(template, 'AWS::KMS::Key')[dataKeyId]!.Properties.KeyPolicy);
    expect(policy).toContain('cloudwatch.amazonaws.com');
  });
});

describe('outputs', () => {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

  it('one webhook URL per enabled source, the API URL, table names and the topic ARN', () => {
    for (const id of ['Standard', 'Okta', 'Bamboohr', 'Hibob']) {
      expect(JSON.stringify(outputs[`WebhookUrl${id}`]!.Value)).toContain(`/hooks/${id.toLowerCase()}`);
    }
    for (const id of ['ApiUrl', 'OffboardingsTableName', 'AuditTableName', 'AlertsTopicArn']) {
      expect(outputs[id], id).toBeDefined();
    }
  });

  it('a disabled source gets no webhook URL (its secret is kept for when it is enabled)', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const input = exampleConfigInput();
    input.sources = input.sources!.map((s) => (s.id === 'hibob' ? { ...s, enabled: false } : s));
    const { template: t } = buildStack(parseConfig(input));
    const out = t.toJSON().Outputs as Record<string, unknown>;
    expect(out.WebhookUrlHibob).toBeUndefined();
    expect(out.WebhookUrlOkta).toBeDefined();
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'leaver/sources/hibob' });
  });
});
