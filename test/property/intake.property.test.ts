/**
 * Property-based tests (fast-check) of the intake Lambda handler with the real DynamoDB adapters on
 * moto_server and a counting queue: random bodies and headers never produce a 5xx, and nothing is
 * ever enqueued (or stored) without a valid signature. With a valid signature, random bodies still
 * never produce a 5xx, and a message is enqueued only for a 202.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DynamoAuditLog,
  DynamoOffboardingStore,
  LogNotifier,
  systemClock,
  UlidIds,
} from '../../lambdas/adapters/index.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import type { JobQueue, Log, SecretStore } from '../../lambdas/core/ports.ts';
import { handler } from '../../lambdas/handlers/intake.ts';
import { localContext } from '../../lambdas/handlers/middleware.ts';
import { logger } from '../../lambdas/handlers/observability.ts';
import { type HandlerDeps, setDeps } from '../../lambdas/handlers/wiring.ts';
import { createTables } from '../../local/adapters/table-setup.ts';
import { apiGatewayEvent } from '../../local/api-gateway-event.ts';

const SECRET = 'whsec_UHJvcGVydHlUZXN0U2VjcmV0S2V5MDAwMDE=';
const OKTA = 'Bearer property-okta-token';
const signer = new Webhook(SECRET);

const secrets: SecretStore = {
  async get<T>(name: string) {
    const values: Record<string, unknown> = {
      'p/standard': { secret: SECRET },
      'p/okta': { token: OKTA },
      'p/bamboohr': { privateKey: 'property-bamboo-key' },
      'p/hibob': { secret: 'property-hibob-secret' },
    };
    return values[name] as T;
  },
  invalidate() {},
};

class CountingQueue implements JobQueue {
  ids: string[] = [];
  async enqueue(id: string) {
    this.ids.push(id);
  }
}

const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };
const queue = new CountingQueue();
let dynamo: DynamoDBClient;
let store: DynamoOffboardingStore;

beforeAll(async () => {
  // Thousands of rejected webhooks: keep the run's output readable.
  logger.setLogLevel('SILENT');
  dynamo = new DynamoDBClient({
    endpoint: inject('motoEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const prefix = `prop-${randomUUID().slice(0, 8)}`;
  const tables = { offboardingsTable: `${prefix}-offboardings`, auditTable: `${prefix}-audit` };
  await createTables(dynamo, tables);
  store = new DynamoOffboardingStore({ client: dynamo, tableName: tables.offboardingsTable });
  const deps: HandlerDeps = {
    config: parseConfig({
      sources: [
        { id: 'standard', type: 'standard', secretName: 'p/standard' },
        { id: 'okta', type: 'okta', secretName: 'p/okta', headerName: 'authorization' },
        { id: 'bamboohr', type: 'bamboohr', secretName: 'p/bamboohr' },
        { id: 'hibob', type: 'hibob', secretName: 'p/hibob' },
      ],
      safety: { blastRadius: { maxOffboardings: 100_000, windowMinutes: 1, maxPercentOfPeople: 100 } },
    }),
    store,
    audit: new DynamoAuditLog({ client: dynamo, tableName: tables.auditTable, clock: systemClock }),
    queue,
    notifier: new LogNotifier({ log: silent }),
    connectors: {},
    clock: systemClock,
    ids: new UlidIds(),
    log: silent,
    secrets,
  };
  setDeps(deps);
});

afterAll(() => {
  setDeps(undefined);
  dynamo?.destroy();
});

function event(source: string, headers: Record<string, string>, body: string | undefined, method = 'POST') {
  return apiGatewayEvent({
    method,
    url: `/hooks/${source}`,
    headers,
    routeKey: `${method} /hooks/{source}`,
    pathParameters: { source },
    sourceIp: '203.0.113.7',
    ...(body === undefined ? {} : { body }),
  });
}

async function call(e: APIGatewayProxyEventV2): Promise<{ statusCode: number; body?: string }> {
  return (await handler(e, localContext('leaver-intake', 30_000))) as { statusCode: number; body?: string };
}

/** Header names the sources read, mixed with arbitrary ones; values arbitrary. */
const headerName = fc.oneof(
  fc.constantFrom(
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'authorization',
    'x-bamboohr-signature',
    'x-bamboohr-timestamp',
    'bob-signature',
    'content-type',
    'x-okta-verification-challenge',
  ),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.toLowerCase()),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.constantFrom('v1,', 'v1,abc', 'v2,xyz', `${Math.floor(Date.now() / 1000)}`, 'Bearer x', '0'.repeat(64)),
  fc.integer().map(String),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 8 });
const jsonBody = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .record({
      type: fc.constantFrom('employee.terminated', 'employee.termination_cancelled', 'employee.rehired', 'x'),
      data: fc.record(
        { email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 30 })) },
        { requiredKeys: [] },
      ),
    })
    .map((o) => JSON.stringify(o)),
);
const anyBody = fc.option(fc.oneof(fc.string({ maxLength: 300 }), jsonBody), { nil: undefined });
const source = fc.oneof(
  fc.constantFrom('standard', 'okta', 'bamboohr', 'hibob'),
  fc.string({ maxLength: 12 }),
);
const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE');

describe('intake handler, random input (fast-check, real adapters on moto)', () => {
  it('random bodies and headers never answer 5xx and never enqueue or store without a valid signature', async () => {
    const before = queue.ids.length;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(source, method, headers, anyBody, async (src, m, h, body) => {
        // A random header set never carries the okta token or a valid HMAC by chance; make sure.
        fc.pre(h.authorization !== OKTA);
        const res = await call(event(src, h, body, m));
        answered++;
        expect(res.statusCode).toBeLessThan(500);
        expect(res.statusCode).not.toBe(202);
        expect(queue.ids.length).toBe(before);
      }),
      { numRuns: 250 },
    );
    expect(answered).toBeGreaterThan(200);
    // Nothing was stored either: no offboarding of any status exists.
    const stored = await store.query({ status: 'scheduled', limit: 10 });
    expect(stored.items).toEqual([]);
  });

  it('a valid signature over a random body answers 202, 400 or 413, never 5xx; it enqueues only on 202', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), jsonBody), fc.boolean(), async (body, dup) => {
        const id = `msg_${randomUUID()}`;
        const at = new Date();
        const h = {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(id, at, body),
        };
        const before = queue.ids.length;
        const res = await call(event('standard', h, body));
        expect([202, 400, 413]).toContain(res.statusCode);
        const enqueued = queue.ids.length - before;
        if (res.statusCode !== 202) expect(enqueued).toBe(0);
        else expect(enqueued).toBeLessThanOrEqual(1);
        if (dup && res.statusCode === 202) {
          // The same delivery again (a sender retry) is idempotent: same answer. An offboarding
          // still waiting for a worker is queued again (a crash may have lost its message), nothing else.
          const again = await call(event('standard', h, body));
          expect(again.statusCode).toBe(202);
          expect(again.body).toBe(res.body);
          expect(queue.ids.slice(before + enqueued)).toEqual(queue.ids.slice(before, before + enqueued));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a signed termination with any byte of body or signature changed is refused 401 and enqueues nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.emailAddress(),
        fc.constantFrom('body', 'signature', 'timestamp', 'id'),
        fc.nat(),
        fc.integer({ min: 1, max: 25 }),
        async (email, part, pos, delta) => {
          const id = `msg_${randomUUID()}`;
          const at = new Date();
          const body = JSON.stringify({ type: 'employee.terminated', data: { email } });
          const h: Record<string, string> = {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(id, at, body),
          };
          const flip = (s: string, skip = 0) => {
            const i = skip + (pos % Math.max(1, s.length - skip));
            const c = s.charCodeAt(i);
            const d = String.fromCharCode(c + delta <= 126 ? c + delta : c - delta);
            return s.slice(0, i) + d + s.slice(i + 1);
          };
          let sent = body;
          if (part === 'body') sent = flip(body);
          else if (part === 'signature') h['webhook-signature'] = flip(h['webhook-signature']!, 3);
          else if (part === 'timestamp')
            h['webhook-timestamp'] = String(Number(h['webhook-timestamp']) + delta);
          else h['webhook-id'] = `${id}${delta}`;
          const before = queue.ids.length;
          const res = await call(event('standard', h, sent));
          expect(res.statusCode).toBe(401);
          expect(queue.ids.length).toBe(before);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('the unmodified signed termination is accepted and enqueued once (the properties above are not vacuous)', async () => {
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    const body = JSON.stringify({ type: 'employee.terminated', data: { email: 'prop.leaver@example.com' } });
    const before = queue.ids.length;
    const res = await call(
      event(
        'standard',
        {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(id, at, body),
        },
        body,
      ),
    );
    expect(res.statusCode).toBe(202);
    expect(queue.ids.length).toBe(before + 1);
    const { offboardingId } = JSON.parse(res.body!) as { offboardingId: string };
    expect(queue.ids.at(-1)).toBe(offboardingId);
    expect((await store.get(offboardingId))?.status).toBe('scheduled');
  });
});
