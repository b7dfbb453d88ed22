/**
 * Shared by the handler and end-to-end integration tests: real AWS adapters on moto_server (tables,
 * an SQS queue, Secrets Manager secrets, all uniquely named per file), the Lambda environment the
 * handlers read, signing helpers for every HR source, and capture of the Powertools log output.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { vi } from 'vitest';
import type { LeaverConfigInput } from '../../../lambdas/core/config.ts';
import { localContext } from '../../../lambdas/handlers/middleware.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { apiGatewayEvent } from '../../../local/api-gateway-event.ts';

export const region = 'us-east-1';
export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface MotoEnv {
  prefix: string;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  secretsClient: SecretsManagerClient;
  queueUrl: string;
  tables: { offboardingsTable: string; auditTable: string };
  /** The environment a Lambda of the stack gets (set on process.env by `applyEnv`). */
  env: Record<string, string>;
  /** Receives (and deletes) every message currently visible; returns their offboarding ids. */
  receiveIds(): Promise<string[]>;
  purge(): Promise<void>;
  close(): void;
}

/** Creates tables, a queue and the given secrets (names prefixed) on moto. */
export async function setupMoto(
  endpoint: string,
  secrets: Record<string, unknown>,
  config: (prefix: string) => LeaverConfigInput,
): Promise<MotoEnv> {
  const prefix = uniqueName('t');
  const clientConfig = { endpoint, region, credentials, maxAttempts: 2 };
  const dynamo = new DynamoDBClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const secretsClient = new SecretsManagerClient(clientConfig);
  const tables = { offboardingsTable: `${prefix}-offboardings`, auditTable: `${prefix}-audit` };
  await createTables(dynamo, tables);
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-jobs` }));
  const queueUrl = queue.QueueUrl!;
  for (const [name, value] of Object.entries(secrets)) {
    await secretsClient.send(
      new CreateSecretCommand({ Name: `${prefix}/${name}`, SecretString: JSON.stringify(value) }),
    );
  }
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    OFFBOARDINGS_TABLE: tables.offboardingsTable,
    AUDIT_TABLE: tables.auditTable,
    QUEUE_URL: queueUrl,
    LEAVER_CONFIG_JSON: JSON.stringify(config(prefix)),
    POWERTOOLS_SERVICE_NAME: 'leaver',
    POWERTOOLS_METRICS_NAMESPACE: 'LeaverTest',
  };
  return {
    prefix,
    dynamo,
    sqs,
    secretsClient,
    queueUrl,
    tables,
    env,
    async receiveIds() {
      const ids: string[] = [];
      for (;;) {
        const r = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 30,
          }),
        );
        const messages = r.Messages ?? [];
        if (messages.length === 0) return ids;
        for (const m of messages) ids.push((JSON.parse(m.Body!) as { offboardingId: string }).offboardingId);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    },
    async purge() {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    },
    close() {
      dynamo.destroy();
      sqs.destroy();
      secretsClient.destroy();
    },
  };
}

export function applyEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
}

/** Everything Powertools (and anything else) writes to stdout/stderr from now on. */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const grab = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab);
  return {
    text: () => chunks.join(''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

// ---------------------------------------------------------------- HR source requests

export const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OKTA_TOKEN = 'Bearer okta-test-shared-secret';
export const BAMBOO_KEY = 'bamboo-test-private-key';
export const HIBOB_SECRET = 'hibob-test-secret';

export const SOURCE_SECRETS = {
  'hooks/standard': { secret: STANDARD_SECRET },
  'hooks/okta': { token: OKTA_TOKEN },
  'hooks/bamboohr': { privateKey: BAMBOO_KEY },
  'hooks/hibob': { secret: HIBOB_SECRET },
};

export function sourcesConfig(prefix: string): LeaverConfigInput['sources'] {
  return [
    { id: 'standard', type: 'standard', secretName: `${prefix}/hooks/standard` },
    { id: 'okta', type: 'okta', secretName: `${prefix}/hooks/okta`, headerName: 'authorization' },
    { id: 'bamboohr', type: 'bamboohr', secretName: `${prefix}/hooks/bamboohr` },
    { id: 'hibob', type: 'hibob', secretName: `${prefix}/hooks/hibob` },
    { id: 'paused', type: 'standard', enabled: false, secretName: `${prefix}/hooks/standard` },
  ];
}

export interface HookRequest {
  source: string;
  method?: string;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** An API Gateway HTTP API v2 event for POST/GET /hooks/{source}. */
export function hookEvent(req: HookRequest): APIGatewayProxyEventV2 {
  const method = req.method ?? 'POST';
  return apiGatewayEvent({
    method,
    url: `/hooks/${req.source}`,
    headers: req.headers,
    body: req.body,
    isBase64Encoded: req.isBase64Encoded ?? false,
    routeKey: `${method} /hooks/{source}`,
    pathParameters: { source: req.source },
    sourceIp: '203.0.113.1',
  });
}

export function standardHook(
  body: unknown,
  opts: { id?: string; at?: Date; secret?: string; signature?: string } = {},
): HookRequest {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const at = opts.at ?? new Date();
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    source: 'standard',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': opts.signature ?? new Webhook(opts.secret ?? STANDARD_SECRET).sign(id, at, text),
    },
    body: text,
  };
}

export function terminationBody(email: string, extra: Record<string, unknown> = {}) {
  return { type: 'employee.terminated', data: { email, ...extra } };
}

export function oktaHook(events: Array<{ uuid?: string; eventType?: string; email: string }>): HookRequest {
  const body = JSON.stringify({
    eventType: 'com.okta.event_hook',
    data: {
      events: events.map((e) => ({
        uuid: e.uuid ?? randomUUID(),
        eventType: e.eventType ?? 'user.lifecycle.deactivate',
        published: new Date().toISOString(),
        target: [
          {
            type: 'User',
            alternateId: e.email,
            id: `00u${randomUUID().slice(0, 8)}`,
            displayName: 'Someone',
          },
        ],
      })),
    },
  });
  return { source: 'okta', headers: { authorization: OKTA_TOKEN, 'content-type': 'application/json' }, body };
}

export function bamboohrHook(
  employees: Array<{ id: string; email: string; date?: string }>,
  at = new Date(),
): HookRequest {
  const body = JSON.stringify({
    employees: employees.map((e) => ({
      id: e.id,
      changedFields: ['Status', 'Termination Date'],
      fields: {
        'Work Email': e.email,
        Status: 'Inactive',
        'Termination Date': e.date ?? at.toISOString().slice(0, 10),
      },
    })),
  });
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', BAMBOO_KEY)
    .update(body + timestamp)
    .digest('hex');
  return {
    source: 'bamboohr',
    headers: {
      'content-type': 'application/json',
      'x-bamboohr-timestamp': timestamp,
      'x-bamboohr-signature': signature,
    },
    body,
  };
}

export function hibobHook(
  email: string,
  opts: { id?: string; type?: string; data?: Record<string, unknown> } = {},
): HookRequest {
  const body = JSON.stringify({
    id: opts.id ?? randomUUID(),
    companyId: 1234,
    type: opts.type ?? 'employee.access.revoked.immediately',
    triggeredBy: 'hr-admin',
    triggeredAt: new Date().toISOString(),
    version: 'v2',
    data: { employeeId: '3000', email, ...opts.data },
  });
  const signature = createHmac('sha512', HIBOB_SECRET).update(body).digest('base64');
  return {
    source: 'hibob',
    headers: { 'content-type': 'application/json', 'bob-signature': signature },
    body,
  };
}

export function lambdaContext(name = 'leaver-test', remainingMs = 60_000): Context {
  return localContext(name, remainingMs);
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json: Record<string, unknown>;
}

export function answer(result: unknown): HttpAnswer {
  const r = result as { statusCode: number; headers?: Record<string, string>; body?: string };
  let json: Record<string, unknown> = {};
  try {
    json = r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  return { statusCode: r.statusCode, headers: r.headers ?? {}, body: r.body ?? '', json };
}
