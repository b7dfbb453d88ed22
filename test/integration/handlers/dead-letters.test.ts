/**
 * Inspecting and redriving the dead-letter queue as in AWS: the API function wired from the Lambda
 * environment (DEAD_LETTER_QUEUE_URL, QUEUE_URL on moto's SQS), called with an IAM principal.
 * Peeking leaves every message in the DLQ; redriving moves the same bodies to the work queue,
 * audits each offboarding with the caller, and a work queue that refuses loses nothing.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/adapters/dynamo-audit-log.ts';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { SqsDeadLetterQueue } from '../../../lambdas/adapters/sqs-dead-letter-queue.ts';
import { systemClock } from '../../../lambdas/adapters/system-clock.ts';
import { resetConfigCache } from '../../../lambdas/handlers/config-loader.ts';
import { runtimeMode, setDeps } from '../../../lambdas/handlers/wiring.ts';
import { call } from '../../api/helpers.ts';
import { offboarding } from '../adapters/support.ts';
import { applyEnv, type MotoEnv, setupMoto } from './support.ts';

const endpoint = inject('motoEndpoint');
const ARN = 'arn:aws:sts::123456789012:assumed-role/ItSecurity/jordan';
const iam = { token: null, authorizer: { iam: { userArn: ARN, accountId: '123456789012' } } };
let moto: MotoEnv;
let dlqUrl: string;
let store: DynamoOffboardingStore;
let audit: DynamoAuditLog;
const known = offboarding({ status: 'running', leaseUntil: '2020-01-01T00:00:00.000Z' });

beforeAll(async () => {
  moto = await setupMoto(endpoint, {}, () => ({}));
  dlqUrl = (await moto.sqs.send(new CreateQueueCommand({ QueueName: `${moto.prefix}-dlq` }))).QueueUrl!;
  applyEnv({ ...moto.env, DEAD_LETTER_QUEUE_URL: dlqUrl });
  delete process.env.TOPIC_ARN;
  resetConfigCache();
  setDeps(undefined);
  store = new DynamoOffboardingStore({ client: moto.dynamo, tableName: moto.tables.offboardingsTable });
  audit = new DynamoAuditLog({ client: moto.dynamo, tableName: moto.tables.auditTable, clock: systemClock });
  await store.create(known);
});

afterAll(() => {
  delete process.env.DEAD_LETTER_QUEUE_URL;
  resetConfigCache();
  setDeps(undefined);
  moto.close();
});

async function deadLetter(body: string): Promise<void> {
  await moto.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
}

/** Every message now visible in `url` (received, and so hidden for a while). */
async function drainBodies(url: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await moto.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (!r.Messages?.length) return out.sort();
    out.push(...r.Messages.map((m) => m.Body!));
  }
}

describe('the dead-letter routes in AWS mode (moto SQS)', () => {
  it('GET /v1/dead-letters peeks: every message with its offboarding status, all left in the queue', async () => {
    expect(runtimeMode()).toBe('aws');
    await deadLetter(JSON.stringify({ offboardingId: known.id }));
    await deadLetter(JSON.stringify({ offboardingId: 'off_not_stored' }));
    await deadLetter('not a job message');

    for (let look = 0; look < 2; look++) {
      const res = await call('GET', '/v1/dead-letters', iam);
      expect(res.status).toBe(200);
      expect(res.body.more).toBe(false);
      const items = res.body.items as Array<Record<string, unknown>>;
      expect(items).toHaveLength(3);
      expect(items.find((d) => d.offboardingId === known.id)).toMatchObject({ status: 'running' });
      const unknown = items.find((d) => d.offboardingId === 'off_not_stored')!;
      expect(unknown.status).toBeUndefined();
      expect(items.filter((d) => d.offboardingId === undefined)).toHaveLength(1);
      for (const d of items) {
        expect(d.messageId).toEqual(expect.any(String));
        expect(d.receiveCount).toBeGreaterThanOrEqual(1);
        expect(Date.parse(d.sentAt as string)).not.toBeNaN();
      }
    }
    const page = await call('GET', '/v1/dead-letters?limit=2', iam);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.more).toBe(true);
  });

  it('refuses a bad limit with 400 and changes nothing', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=x']) {
      expect((await call('GET', `/v1/dead-letters?${q}`, iam)).status).toBe(400);
    }
    for (const limit of [0, 501, 'ten']) {
      expect((await call('POST', '/v1/dead-letters/redrive', { ...iam, body: { limit } })).status).toBe(400);
    }
    expect((await call('POST', '/v1/dead-letters/redrive', { ...iam, body: { every: true } })).status).toBe(
      400,
    );
    expect((await call('GET', '/v1/dead-letters', iam)).body.items).toHaveLength(3);
  });

  it('a work queue that refuses loses nothing: the messages stay in the DLQ, visible at once', async () => {
    const own = (await moto.sqs.send(new CreateQueueCommand({ QueueName: `${moto.prefix}-dlq2` }))).QueueUrl!;
    for (const id of ['off_a', 'off_b']) {
      await moto.sqs.send(
        new SendMessageCommand({ QueueUrl: own, MessageBody: JSON.stringify({ offboardingId: id }) }),
      );
    }
    const options = { client: moto.sqs, queueUrl: own, waitSeconds: 0 };
    const refusing = new SqsDeadLetterQueue({ ...options, targetQueueUrl: `${moto.queueUrl}-no-such-queue` });
    await expect(refusing.redrive(10)).rejects.toMatchObject({ name: 'LeaverError' });
    const working = new SqsDeadLetterQueue({ ...options, targetQueueUrl: moto.queueUrl });
    const still = await working.peek(10);
    expect(still.items.map((d) => d.offboardingId).sort()).toEqual(['off_a', 'off_b']);
    // Past its `until` (the request's deadline) a redrive starts no batch: nothing moves.
    expect(await working.redrive(10, { until: Date.now() - 1 })).toEqual({
      moved: 0,
      failed: 0,
      offboardingIds: [],
    });
    expect((await working.peek(10)).items).toHaveLength(2);
    await working.redrive(10); // leave the shared work queue as the next test expects it: with these two
    await moto.receiveIds();
  });

  it('POST /v1/dead-letters/redrive moves the same bodies to the work queue, by limit, audited', async () => {
    const before = (await call('GET', '/v1/dead-letters', iam)).body.items.length;
    expect(before).toBe(3);
    const first = await call('POST', '/v1/dead-letters/redrive', { ...iam, body: { limit: 2 } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ moved: 2, failed: 0 });
    const rest = await call('POST', '/v1/dead-letters/redrive', iam);
    expect(rest.body).toEqual({ moved: 1, failed: 0 });
    expect((await call('GET', '/v1/dead-letters', iam)).body.items).toEqual([]);
    expect(await drainBodies(moto.queueUrl)).toEqual(
      [
        JSON.stringify({ offboardingId: known.id }),
        JSON.stringify({ offboardingId: 'off_not_stored' }),
        'not a job message',
      ].sort(),
    );
    const records = (await audit.stream(known.id)).items;
    expect(records.filter((r) => r.event === 'retry_scheduled')).toEqual([
      expect.objectContaining({ actor: ARN, detail: { manual: true, deadLetterRedrive: true } }),
    ]);
    expect((await call('POST', '/v1/dead-letters/redrive', iam)).body).toEqual({ moved: 0, failed: 0 });
  });

  it('are described in the OpenAPI document, with the held marker and the resume count', async () => {
    const doc = (await call('GET', '/v1/openapi.json', { token: null })).body;
    const list = doc.paths['/v1/dead-letters'].get;
    expect(list.operationId).toBe('listDeadLetters');
    expect(JSON.stringify(list.responses['200'])).toContain('DeadLetter');
    expect(list.parameters.map((q: { name: string }) => q.name)).toEqual(['limit']);
    const redrive = doc.paths['/v1/dead-letters/redrive'].post;
    expect(redrive.operationId).toBe('redriveDeadLetters');
    expect(Object.keys(redrive.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '503']));
    expect(doc.components.schemas.OffboardingSummary.properties.heldAt).toBeDefined();
    expect(JSON.stringify(doc.paths['/v1/kill-switch'].put.responses['200'])).toContain('resumed');
  });
});
