/**
 * The API function as Lambda runs it: dependencies built by the wiring from the environment
 * (DynamoDB tables and the SQS queue on moto_server), AWS runtime mode, and the caller's IAM
 * principal from the API Gateway authoriser context. Bearer tokens mean nothing here.
 */

import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resetConfigCache } from '../../lambdas/handlers/config-loader.ts';
import { getDeps, runtimeMode, setDeps } from '../../lambdas/handlers/wiring.ts';
import { createTables } from '../../local/adapters/table-setup.ts';
import { call } from './helpers.ts';

const ARN = 'arn:aws:sts::123456789012:assumed-role/ItSecurity/jordan';
const suffix = Math.random().toString(36).slice(2, 8);
const saved = { ...process.env };
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  const endpoint = inject('motoEndpoint');
  const clientConfig = {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const dynamo = new DynamoDBClient(clientConfig);
  const tables = { offboardingsTable: `api-off-${suffix}`, auditTable: `api-audit-${suffix}` };
  await createTables(dynamo, tables);
  sqs = new SQSClient(clientConfig);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `api-jobs-${suffix}` }))).QueueUrl!;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    OFFBOARDINGS_TABLE: tables.offboardingsTable,
    AUDIT_TABLE: tables.auditTable,
    QUEUE_URL: queueUrl,
    LEAVER_CONFIG_JSON: readFileSync('local/demo-config.json', 'utf8'),
  });
  delete process.env.TOPIC_ARN;
  resetConfigCache();
  setDeps(undefined);
});

afterAll(() => {
  process.env = saved;
  resetConfigCache();
  setDeps(undefined);
});

describe('the Lambda handler in AWS mode (moto)', () => {
  it('runs in aws mode with dependencies from the environment', async () => {
    expect(runtimeMode()).toBe('aws');
    const deps = await getDeps();
    expect(deps.config.api.auth).toBe('iam');
  });

  it('takes the principal from the IAM authoriser, stores, enqueues and audits with it', async () => {
    const res = await call('POST', '/v1/offboardings', {
      token: null,
      authorizer: { iam: { userArn: ARN, accountId: '123456789012', callerId: 'AROAEXAMPLE:jordan' } },
      body: { email: 'aws-leaver@example.com', reason: 'left (AWS)' },
    });
    expect(res.status).toBe(202);
    expect(res.body.origin).toEqual({ type: 'api', id: ARN });

    const got = await call('GET', `/v1/offboardings/${res.body.id}`, {
      token: null,
      authorizer: { iam: { userArn: ARN } },
    });
    expect(got.status).toBe(200);
    expect(got.body.email).toBe('aws-leaver@example.com');

    const messages = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(JSON.stringify(messages.Messages ?? [])).toContain(res.body.id);

    const audit = await call('GET', `/v1/offboardings/${res.body.id}/audit`, {
      token: null,
      authorizer: { iam: { userArn: ARN } },
    });
    expect(audit.body.records[0]).toMatchObject({ event: 'received', actor: ARN });
    expect(audit.body.chain.valid).toBe(true);
  });

  it('refuses a call without the authoriser context, even with the local token (401)', async () => {
    const res = await call('GET', '/v1/offboardings?status=scheduled');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    expect((await call('GET', '/v1/health', { token: null })).body.checks.store).toBe('ok');
  });

  it('answers a broken deployment (invalid configuration) with a 500 that reveals nothing', async () => {
    process.env.LEAVER_CONFIG_JSON = '{"tenants": "nope", "secret": "hunter2"}';
    resetConfigCache();
    setDeps(undefined);
    try {
      const res = await call('GET', '/v1/health', { token: null });
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal');
      expect(res.text).not.toMatch(/tenants|hunter2|LEAVER_CONFIG/);
    } finally {
      process.env.LEAVER_CONFIG_JSON = readFileSync('local/demo-config.json', 'utf8');
      resetConfigCache();
      setDeps(undefined);
    }
  });
});
