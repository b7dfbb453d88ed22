/**
 * Encryption, tables, queue, functions, API, schedules, alarms and outputs of the synthesized stack.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { FUNCTION_SPECS, type FunctionName } from '../../infra/leaver-construct.ts';
import { THRESHOLDS } from '../../infra/monitoring.ts';
import { AUDIT, OFFBOARDINGS } from '../../lambdas/adapters/tables.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import { buildStack, exampleConfig, exampleConfigInput, logicalId, only, resources } from './support.ts';

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
  it('two customer-managed keys, rotation on', () => {
    const keys = resources(template, 'AWS::KMS::Key');
    expect(Object.keys(keys)).toHaveLength(2);
    for (const k of Object.values(keys)) expect(k.Properties.EnableKeyRotation).toBe(true);
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

  it('on demand, point-in-time recovery, deletion protection, retained on delete and replace', () => {
    expect(Object.keys(tables)).toHaveLength(2);
    for (const t of [offboardings, audit]) {
      expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(t.Properties.DeletionProtectionEnabled).toBe(true);
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.UpdateReplacePolicy).toBe('Retain');
    }
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

  it('a DESTROY data removal policy is honoured only when asked for', () => {
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

  it('the cap, the batch size and a reservation follow the props and the configuration', () => {
    const input = exampleConfigInput();
    input.worker = { batchSize: 25 };
    const { template: t } = buildStack(parseConfig(input), {
      leaver: { workerMaxConcurrency: 7, workerReservedConcurrency: 9 },
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
  });

  it('refuses a concurrency cap SQS does not accept', () => {
    expect(() => buildStack(exampleConfig(), { leaver: { workerMaxConcurrency: 1 } })).toThrow(/2 to 1000/);
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

  it.each(NAMES)('%s: the environment of contracts.md', (n) => {
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
    expect(vars.NODE_OPTIONS).toBe('--enable-source-maps');
    // Four worker instances (the default cap) plus the reconciler share each vendor rate limit.
    expect(vars.LEAVER_RATE_SHARE).toBe('5');
  });

  it('a Slack webhook URL (a credential, unused in AWS) never reaches the environment', () => {
    const input = exampleConfigInput();
    input.notifications = { slackWebhookUrl: 'https://hooks.slack.com/services/T000/B000/secretpart' };
    const { template: t } = buildStack(parseConfig(input));
    const fns = Object.values(resources(t, 'AWS::Lambda::Function'));
    expect(fns).toHaveLength(6);
    for (const fn of fns) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(vars.LEAVER_CONFIG_JSON).not.toContain('hooks.slack.com');
      expect(JSON.parse(vars.LEAVER_CONFIG_JSON!).notifications).toEqual({});
    }
  });

  it('the default entries are the handler files of contracts.md, and they exist', () => {
    expect(
      Object.values(FUNCTION_SPECS)
        .map((s) => s.file)
        .sort(),
    ).toEqual(['api.ts', 'due-sweep.ts', 'intake.ts', 'reconcile.ts', 'retry-sweep.ts', 'worker.ts'].sort());
    const dir = fileURLToPath(new URL('../../lambdas/handlers/', import.meta.url));
    for (const s of Object.values(FUNCTION_SPECS)) expect(existsSync(join(dir, s.file)), s.file).toBe(true);
  });

  it('a configuration too large for a Lambda environment stops the synth with a clear message', () => {
    const input = exampleConfigInput();
    input.safety = {
      protectedEmails: Array.from({ length: 200 }, (_, i) => `service-account-${i}@example.com`),
    };
    expect(() => buildStack(parseConfig(input))).toThrow(/too large for a Lambda environment/);
  });
});

describe('HTTP API', () => {
  const routes = resources(template, 'AWS::ApiGatewayV2::Route');
  const byKey = Object.fromEntries(Object.values(routes).map((r) => [r.Properties.RouteKey as string, r]));

  it('has exactly the webhook routes and the /v1 proxy', () => {
    expect(Object.keys(byKey).sort()).toEqual([
      'ANY /v1/{proxy+}',
      'GET /hooks/{source}',
      'POST /hooks/{source}',
    ]);
  });

  it('the webhook routes are public (verified by signature in the intake)', () => {
    for (const key of ['POST /hooks/{source}', 'GET /hooks/{source}']) {
      expect(byKey[key]!.Properties.AuthorizationType).toBe('NONE');
      expect(byKey[key]!.Properties.AuthorizerId).toBeUndefined();
    }
  });

  it('every /v1 route requires IAM by default', () => {
    const v1 = Object.values(routes).filter((r) => String(r.Properties.RouteKey).includes(' /v1'));
    expect(v1.length).toBeGreaterThan(0);
    for (const r of v1) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
    expect(Object.keys(resources(template, 'AWS::ApiGatewayV2::Authorizer'))).toHaveLength(0);
  });

  it('every /v1 route uses the JWT authoriser when config.api.auth is "jwt", and /hooks stays public', () => {
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
    for (const r of all) {
      if (String(r.Properties.RouteKey).includes(' /v1')) {
        expect(r.Properties.AuthorizationType).toBe('JWT');
        expect(r.Properties.AuthorizerId).toEqual({ Ref: authId });
      } else {
        expect(r.Properties.AuthorizationType).toBe('NONE');
      }
    }
  });

  it('the webhook routes go to the intake, /v1 to the API function', () => {
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
    expect(target('ANY /v1/{proxy+}')).toContain(logicalId(template, 'AWS::Lambda::Function', 'ApiFunction'));
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

  it('due sweep, reconciliation and retry sweep run on the configured rates', () => {
    expect(rules).toHaveLength(3);
    expect(ruleFor('dueSweep')?.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(ruleFor('reconcile')?.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(ruleFor('retrySweep')?.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    for (const r of rules) expect(r.Properties.State).toBe('ENABLED');
  });

  it('the rates follow config.schedules', () => {
    const input = exampleConfigInput();
    input.schedules = { dueSweepMinutes: 2, reconcileMinutes: 30, retryMinutes: 7 };
    const { template: t } = buildStack(parseConfig(input));
    const all = Object.values(resources(t, 'AWS::Events::Rule'))
      .map((r) => r.Properties.ScheduleExpression)
      .sort();
    expect(all).toEqual(['rate(2 minutes)', 'rate(30 minutes)', 'rate(7 minutes)']);
  });

  it('EventBridge may invoke exactly the scheduled functions', () => {
    const perms = Object.values(resources(template, 'AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(perms.map((p) => JSON.stringify(p.Properties.FunctionName)).sort()).toEqual(
      (['dueSweep', 'reconcile', 'retrySweep'] as const)
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

  it('only the vendors in use get a failure-rate alarm', () => {
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

  it('the alerts topic gets the e-mail subscription only when one is given', () => {
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

  it('a disabled source gets no webhook URL (its secret is kept for when it is enabled)', () => {
    const input = exampleConfigInput();
    input.sources = input.sources!.map((s) => (s.id === 'hibob' ? { ...s, enabled: false } : s));
    const { template: t } = buildStack(parseConfig(input));
    const out = t.toJSON().Outputs as Record<string, unknown>;
    expect(out.WebhookUrlHibob).toBeUndefined();
    expect(out.WebhookUrlOkta).toBeDefined();
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'leaver/sources/hibob' });
  });
});
