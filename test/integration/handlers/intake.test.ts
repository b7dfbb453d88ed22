/**
 * The intake Lambda handler against the real adapters on moto_server: DynamoDB tables, an SQS
 * queue and Secrets Manager, wired from the Lambda environment exactly as in AWS.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/adapters/dynamo-audit-log.ts';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { systemClock } from '../../../lambdas/adapters/system-clock.ts';
import { getConfig, resetConfigCache } from '../../../lambdas/handlers/config-loader.ts';
import { handler } from '../../../lambdas/handlers/intake.ts';
import { createAwsDeps, setDeps } from '../../../lambdas/handlers/wiring.ts';
import {
  answer,
  applyEnv,
  bamboohrHook,
  captureOutput,
  type HookRequest,
  hibobHook,
  hookEvent,
  lambdaContext,
  type MotoEnv,
  OKTA_TOKEN,
  oktaHook,
  SOURCE_SECRETS,
  STANDARD_SECRET,
  setupMoto,
  sourcesConfig,
  standardHook,
  terminationBody,
} from './support.ts';

const endpoint = inject('motoEndpoint');
let moto: MotoEnv;
let store: DynamoOffboardingStore;
let audit: DynamoAuditLog;
let output: ReturnType<typeof captureOutput>;
let captured = '';

const LEAVER = 'intake.leaver@example.com';

/** The one answer to every failed verification: the same whatever check failed. */
const UNVERIFIED = {
  type: 'https://leaver.dev/problems/invalid_signature',
  title: 'Unauthorized',
  status: 401,
  detail: 'The webhook signature or credentials could not be verified',
  code: 'invalid_signature',
};
const NO_SOURCE = {
  type: 'https://leaver.dev/problems/not_found',
  title: 'Not Found',
  status: 404,
  detail: 'No such webhook source',
  code: 'not_found',
};

async function call(req: HookRequest | APIGatewayProxyEventV2) {
  const event = 'requestContext' in req ? req : hookEvent(req);
  return answer(await handler(event, lambdaContext('leaver-intake')));
}

async function offboardingsOf(email: string) {
  return (await store.query({ email })).items;
}

beforeAll(async () => {
  moto = await setupMoto(endpoint, SOURCE_SECRETS, (prefix) => ({ sources: sourcesConfig(prefix) }));
  applyEnv(moto.env);
  resetConfigCache();
  setDeps(undefined); // build everything from the Lambda environment, as a cold start does
  store = new DynamoOffboardingStore({ client: moto.dynamo, tableName: moto.tables.offboardingsTable });
  audit = new DynamoAuditLog({ client: moto.dynamo, tableName: moto.tables.auditTable, clock: systemClock });
});

afterAll(() => moto.close());

beforeEach(async () => {
  await moto.receiveIds(); // start each test with an empty queue
  output = captureOutput();
});

afterEach(() => {
  captured += output.text();
  output.restore();
});

describe('POST /hooks/standard', () => {
  it('stores a signed termination, enqueues it and answers 202 with its id', async () => {
    const res = await call(standardHook(terminationBody(LEAVER, { name: 'In Take' })));
    expect(res.statusCode).toBe(202);
    const id = res.json.offboardingId as string;
    expect(id).toMatch(/^off_/);
    const stored = await store.get(id);
    expect(stored?.subject.email).toBe(LEAVER);
    expect(stored?.origin).toEqual({ type: 'hr', id: 'standard' });
    expect(await moto.receiveIds()).toEqual([id]);
    const records = (await audit.stream(id)).items;
    expect(records.map((r) => r.event)).toContain('received');
  });

  it('a duplicate delivery (same webhook-id, new timestamp) answers the same id; it queues it again only while unfinished', async () => {
    const email = 'dup.leaver@example.com';
    const first = await call(standardHook(terminationBody(email), { id: 'msg_dup_1' }));
    expect(first.statusCode).toBe(202);
    const id = first.json.offboardingId as string;
    // The first message is consumed and lost (as by a worker that crashed): the retry queues it again.
    expect(await moto.receiveIds()).toEqual([id]);
    const again = await call(
      standardHook(terminationBody(email), { id: 'msg_dup_1', at: new Date(Date.now() + 30_000) }),
    );
    expect(again.statusCode).toBe(202);
    expect(again.json.offboardingId).toBe(id);
    expect(await moto.receiveIds()).toEqual([id]);
    expect(await offboardingsOf(email)).toHaveLength(1);
    // Once it is finished, a retry answers the same id and queues nothing.
    await store.transition(id, ['scheduled'], 'completed', { finishedAt: new Date().toISOString() });
    const late = await call(standardHook(terminationBody(email), { id: 'msg_dup_1' }));
    expect(late.statusCode).toBe(202);
    expect(late.json.offboardingId).toBe(id);
    expect(await moto.receiveIds()).toEqual([]);
  });

  it.each([
    ['a wrong signature', { signature: 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }],
    ['a signature made with another secret', { secret: 'whsec_bm90IHRoZSByaWdodCBzZWNyZXQ=' }],
    ['an unknown signature version only', { signature: 'v2,abc' }],
  ])(
    '%s answers a 401 problem that says nothing of which check failed, and stores nothing',
    async (_name, opts) => {
      const email = `sig.${Math.random().toString(36).slice(2, 8)}@example.com`;
      const res = await call(standardHook(terminationBody(email), opts));
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.json).toEqual(UNVERIFIED);
      expect(await offboardingsOf(email)).toEqual([]);
      expect(await moto.receiveIds()).toEqual([]);
    },
  );

  it('a missing signature header answers 401 and stores nothing', async () => {
    const email = 'nosig.leaver@example.com';
    const req = standardHook(terminationBody(email));
    delete req.headers['webhook-signature'];
    const res = await call(req);
    expect(res.statusCode).toBe(401);
    expect(res.json).toEqual(UNVERIFIED);
    expect(await offboardingsOf(email)).toEqual([]);
  });

  it.each([
    ['stale', -301],
    ['future', 301],
  ])('a %s timestamp (over 300 s), correctly signed, answers 401', async (_name, offsetSeconds) => {
    const email = `time.${offsetSeconds < 0 ? 'stale' : 'future'}@example.com`;
    const res = await call(
      standardHook(terminationBody(email), { at: new Date(Date.now() + offsetSeconds * 1000) }),
    );
    expect(res.statusCode).toBe(401);
    expect(res.json).toEqual(UNVERIFIED);
    expect(await offboardingsOf(email)).toEqual([]);
    expect(await moto.receiveIds()).toEqual([]);
  });

  it('malformed JSON (correctly signed) answers 400 naming the problem, enqueues nothing, audits the rejection', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const res = await call(standardHook('{"type": "employee.terminated", "data": {'));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json.code).toBe('invalid_request');
    expect(res.json.detail).toMatch(/not valid JSON/);
    expect(await moto.receiveIds()).toEqual([]);
    const to = new Date(Date.now() + 1000).toISOString();
    const records = (await audit.query({ from, to, limit: 1000 })).items;
    const rejected = records.filter((r) => r.event === 'rejected' && r.actor === 'hr:standard');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.streamId).toMatch(/^rejected:standard:/);
    expect(JSON.stringify(rejected[0]!.detail)).toMatch(/not valid JSON/);
    expect(rejected[0]!.email).toBeUndefined();
    expect(JSON.stringify(rejected[0])).not.toContain(STANDARD_SECRET);
  });

  it('a body without an email answers 400 naming the field and enqueues nothing', async () => {
    const res = await call(standardHook({ type: 'employee.terminated', data: { name: 'Nobody' } }));
    expect(res.statusCode).toBe(400);
    expect(res.json.detail).toContain('data.email');
    expect(await moto.receiveIds()).toEqual([]);
  });

  it('a body over 64 KiB answers 413 before verification (even unsigned)', async () => {
    const big = JSON.stringify(terminationBody('big.leaver@example.com', { pad: 'x'.repeat(64 * 1024) }));
    const res = await call({
      source: 'standard',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json.code).toBe('payload_too_large');
    expect(await offboardingsOf('big.leaver@example.com')).toEqual([]);
  });

  it('counts decoded bytes of a base64 body: over the limit is 413, a long encoding of a small body is not', async () => {
    const over = Buffer.alloc(64 * 1024 + 1, 0x61).toString('base64');
    expect(
      (await call({ source: 'standard', headers: {}, body: over, isBase64Encoded: true })).statusCode,
    ).toBe(413);

    const text = JSON.stringify(terminationBody('b64.leaver@example.com', { pad: 'y'.repeat(60 * 1024) }));
    const signed = standardHook(text);
    const encoded = Buffer.from(text).toString('base64');
    expect(encoded.length).toBeGreaterThan(64 * 1024);
    const res = await call({ ...signed, body: encoded, isBase64Encoded: true });
    expect(res.statusCode).toBe(202);
    expect((await store.get(res.json.offboardingId as string))?.subject.email).toBe('b64.leaver@example.com');
  });
});

describe('one validation edge: bad input is a 400 problem naming the field; nothing stored or queued', () => {
  async function refused(req: HookRequest, email: string, field: string, rule: RegExp) {
    const res = await call(req);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(res.json.detail).toContain(field);
    expect(res.json.errors).toEqual([{ path: field, message: expect.stringMatching(rule) }]);
    expect(JSON.stringify(res.json)).not.toContain(email);
    expect(await offboardingsOf(email)).toEqual([]);
    expect(await moto.receiveIds()).toEqual([]);
  }

  it.each([
    ['an empty effectiveAt (never "run at once")', '', /must not be empty/],
    ['30 February (never 2 March)', '2027-02-30', /not a calendar date/],
    ['a date-time without an offset', '2027-03-01T09:00:00', /with an offset/],
  ])('standard: %s', async (_name, effectiveAt, rule) => {
    const email = `edge.std.${Math.random().toString(36).slice(2, 8)}@example.com`;
    await refused(standardHook(terminationBody(email, { effectiveAt })), email, 'data.effectiveAt', rule);
  });

  it('standard: a name with terminal control characters', async () => {
    const email = 'edge.name@example.com';
    await refused(
      standardHook(terminationBody(email, { name: 'Dana\u001b[2J\u001b[H status completed' })),
      email,
      'data.name',
      /control characters/,
    );
  });

  it('BambooHR: a termination on 30 February', async () => {
    const email = 'edge.bamboo@example.com';
    await refused(
      bamboohrHook([{ id: '4711', email, date: '2027-02-30' }]),
      email,
      'employees[0].fields["Termination Date"]',
      /not a calendar date/,
    );
  });

  it('HiBob: a termination on 30 February', async () => {
    const email = 'edge.bob@example.com';
    await refused(
      hibobHook(email, { type: 'employee.left', data: { effectiveDate: '2027-02-30' } }),
      email,
      'data.effectiveDate',
      /not a calendar date/,
    );
  });

  it('an address the API looks up is accepted by a webhook, lower-cased: =1+2@example.com', async () => {
    const res = await call(standardHook(terminationBody('=1+2@Example.com')));
    expect(res.statusCode).toBe(202);
    expect((await store.get(res.json.offboardingId as string))?.subject.email).toBe('=1+2@example.com');
    expect(await moto.receiveIds()).toEqual([res.json.offboardingId]);
  });
});

describe('cancellations and rehires', () => {
  it('a cancellation of a scheduled termination answers 202 with its id and enqueues nothing', async () => {
    const email = 'later.leaver@example.com';
    const effectiveAt = new Date(Date.now() + 86_400_000).toISOString();
    const first = await call(standardHook(terminationBody(email, { effectiveAt })));
    expect(first.statusCode).toBe(202);
    expect(await moto.receiveIds()).toEqual([]); // scheduled for tomorrow: not queued
    const cancel = await call(standardHook({ type: 'employee.termination_cancelled', data: { email } }));
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json.offboardingId).toBe(first.json.offboardingId);
    expect((await store.get(first.json.offboardingId as string))?.status).toBe('cancelled');
    expect(await moto.receiveIds()).toEqual([]);
  });

  it('a cancellation for someone never offboarded answers 202 with no id', async () => {
    const res = await call(
      standardHook({ type: 'employee.termination_cancelled', data: { email: 'nobody.here@example.com' } }),
    );
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ offboardingId: null });
  });

  it('a rehire is recorded, never granted back, and enqueues nothing', async () => {
    const res = await call(
      standardHook({ type: 'employee.rehired', data: { email: 'back.again@example.com' } }),
    );
    expect(res.statusCode).toBe(202);
    expect(await moto.receiveIds()).toEqual([]);
    expect(await offboardingsOf('back.again@example.com')).toEqual([]);
  });
});

describe('routing and other sources', () => {
  it('an unknown source answers a 404 problem', async () => {
    const res = await call({ ...standardHook(terminationBody(LEAVER)), source: 'workday' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toEqual(NO_SOURCE);
  });

  it('a disabled source answers 404 even when correctly signed', async () => {
    const email = 'paused.leaver@example.com';
    const res = await call({ ...standardHook(terminationBody(email)), source: 'paused' });
    expect(res.statusCode).toBe(404);
    expect(res.json).toEqual(NO_SOURCE);
    expect(await offboardingsOf(email)).toEqual([]);
  });

  it('a path that is not /hooks/{source} answers a 404 problem', async () => {
    const event = hookEvent(standardHook(terminationBody(LEAVER)));
    event.rawPath = '/hooks';
    event.pathParameters = {};
    const res = await call(event);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toEqual(NO_SOURCE);
  });

  it('GET on a source without a handshake answers 405', async () => {
    const res = await call({ source: 'standard', method: 'GET', headers: {}, body: '' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json.code).toBe('method_not_allowed');
  });

  it('answers the Okta verification challenge once the shared secret checks out', async () => {
    const ok = await call({
      source: 'okta',
      method: 'GET',
      headers: { authorization: OKTA_TOKEN, 'x-okta-verification-challenge': 'challenge-123' },
      body: '',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json).toEqual({ verification: 'challenge-123' });
    const wrong = await call({
      source: 'okta',
      method: 'GET',
      headers: { authorization: 'Bearer nope', 'x-okta-verification-challenge': 'challenge-123' },
      body: '',
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('Okta batches answer a list of ids, one per termination, all enqueued', async () => {
    const res = await call(oktaHook([{ email: 'okta.one@example.com' }, { email: 'okta.two@example.com' }]));
    expect(res.statusCode).toBe(202);
    const ids = res.json.offboardingIds as string[];
    expect(ids).toHaveLength(2);
    expect((await moto.receiveIds()).sort()).toEqual([...ids].sort());
  });

  it('HiBob: a signed delivery is accepted, a tampered one is 401', async () => {
    const req = hibobHook('bob.leaver@example.com');
    const res = await call(req);
    expect(res.statusCode).toBe(202);
    expect(typeof res.json.offboardingId).toBe('string');
    const tampered = await call({ ...req, body: req.body.replace('bob.leaver', 'bob.other') });
    expect(tampered.statusCode).toBe(401);
  });

  it('answers 503, not 500, when the source secret cannot be read', async () => {
    const { sources } = JSON.parse(moto.env.LEAVER_CONFIG_JSON!) as {
      sources: Array<Record<string, unknown>>;
    };
    expect(sources.length).toBeGreaterThan(0);
    // A source whose secret does not exist in Secrets Manager.
    const broken = {
      ...moto.env,
      LEAVER_CONFIG_JSON: JSON.stringify({
        sources: [{ id: 'standard', type: 'standard', secretName: 'missing/secret' }],
      }),
    };
    applyEnv(broken);
    resetConfigCache();
    setDeps(undefined);
    try {
      const res = await call(standardHook(terminationBody(LEAVER)));
      expect(res.statusCode).toBe(503);
      expect(res.json.code).toBe('secret_unavailable');
    } finally {
      applyEnv(moto.env);
      resetConfigCache();
      setDeps(undefined);
    }
  });
});

describe('unknown errors', () => {
  it('answer a 500 problem that reveals nothing internal', async () => {
    const deps = createAwsDeps(process.env, getConfig());
    const store = Object.create(deps.store) as typeof deps.store;
    store.create = async () => {
      throw new TypeError('secret internals: table leaver-offboardings at 10.0.0.1');
    };
    setDeps({ ...deps, store }, 'aws');
    try {
      const res = await call(standardHook(terminationBody('boom.leaver@example.com')));
      expect(res.statusCode).toBe(500);
      expect(res.json.code).toBe('internal');
      expect(res.body).not.toMatch(/TypeError|internals|10\.0\.0\.1|stack/);
      expect(await moto.receiveIds()).toEqual([]);
    } finally {
      setDeps(undefined);
    }
  });
});

describe('logs', () => {
  it('never carry a raw email, the webhook secret or a signature', () => {
    expect(captured.length).toBeGreaterThan(0);
    expect(captured).toContain('"service":"leaver"');
    expect(captured).not.toMatch(/[a-z0-9.]+@example\.com/i);
    expect(captured).not.toContain(STANDARD_SECRET);
    expect(captured).not.toContain(STANDARD_SECRET.slice('whsec_'.length));
    expect(captured).not.toContain(OKTA_TOKEN);
    expect(captured).not.toMatch(/v1,[A-Za-z0-9+/]{20,}/);
  });
});
