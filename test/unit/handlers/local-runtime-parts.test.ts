/** The local runtime's plumbing: HTTP <-> API Gateway v2 events, SQS-shaped batching, the scheduler. */
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Log } from '../../../lambdas/core/ports.ts';
import { MemoryJobQueue } from '../../../local/adapters/memory-job-queue.ts';
import { readBody, sendResult, toApiGatewayEvent } from '../../../local/http-bridge.ts';
import { startScheduler } from '../../../local/scheduler.ts';
import { createBatchingWorker } from '../../../local/worker-pump.ts';

const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };

describe('http bridge', () => {
  let url: string;
  let seen: APIGatewayProxyEventV2 | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    void readBody(req).then((body) => {
      seen = toApiGatewayEvent(req, body, {
        routeKey: 'POST /hooks/{source}',
        pathParameters: { source: 'okta' },
      });
      sendResult(res, {
        statusCode: 202,
        headers: { 'Content-Type': 'application/json', 'X-Thing': 'y' },
        body: Buffer.from('{"ok":true}').toString('base64'),
        isBase64Encoded: true,
      });
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function send(
    path: string,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('builds a v2 event: raw path and query, lower-case headers, text body, route and path parameters', async () => {
    const res = await send('/hooks/okta?a=1&a=2&b=x%20y', Buffer.from('{"x":1}'), {
      'X-Okta-Verification-Challenge': 'abc',
      'Content-Type': 'application/json',
    });
    expect(res.status).toBe(202);
    expect(res.headers['x-thing']).toBe('y');
    expect(res.body).toBe('{"ok":true}');
    expect(seen!.rawPath).toBe('/hooks/okta');
    expect(seen!.rawQueryString).toBe('a=1&a=2&b=x%20y');
    expect(seen!.queryStringParameters).toEqual({ a: '1,2', b: 'x y' });
    expect(seen!.headers['x-okta-verification-challenge']).toBe('abc');
    expect(seen!.headers['X-Okta-Verification-Challenge' as string]).toBeUndefined();
    expect(seen!.requestContext.http.method).toBe('POST');
    expect(seen!.requestContext.http.path).toBe('/hooks/okta');
    expect(seen!.routeKey).toBe('POST /hooks/{source}');
    expect(seen!.pathParameters).toEqual({ source: 'okta' });
    expect(seen!.body).toBe('{"x":1}');
    expect(seen!.isBase64Encoded).toBe(false);
  });

  it('base64-encodes a body that is not UTF-8', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    await send('/hooks/okta', bytes, { 'content-type': 'application/octet-stream' });
    expect(seen!.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen!.body!, 'base64').equals(bytes)).toBe(true);
  });
});

describe('batching worker', () => {
  it('delivers messages arriving together in one SQS-shaped batch and maps batchItemFailures back', async () => {
    const batches: SQSEvent[] = [];
    let failNext = true;
    const onMessage = createBatchingWorker({
      batchSize: 10,
      windowMs: 5,
      invoke: async (event) => {
        batches.push(event);
        const failures = failNext
          ? event.Records.filter((r) => JSON.parse(r.body).offboardingId === 'off_b').map((r) => ({
              itemIdentifier: r.messageId,
            }))
          : [];
        failNext = false;
        return { batchItemFailures: failures };
      },
    });
    const queue = new MemoryJobQueue({ onMessage, concurrency: 20, retryBaseMs: 1 });
    await Promise.all(['off_a', 'off_b', 'off_c'].map((id) => queue.enqueue(id)));
    await queue.drain();
    expect(batches[0]!.Records.map((r) => JSON.parse(r.body).offboardingId).sort()).toEqual([
      'off_a',
      'off_b',
      'off_c',
    ]);
    expect(batches[0]!.Records[0]!.eventSource).toBe('aws:sqs');
    // off_b failed once and was redelivered alone, as attempt 2.
    expect(batches).toHaveLength(2);
    expect(batches[1]!.Records.map((r) => JSON.parse(r.body).offboardingId)).toEqual(['off_b']);
    expect(batches[1]!.Records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(queue.deadLetters()).toEqual([]);
  });

  it("a 'retry' for an offboarding a live run holds becomes a wait for that run; any other stays a retry", async () => {
    const busy = new Map<string, number | Error | undefined>([
      ['off_busy', 42_000],
      ['off_free', undefined],
      ['off_unknown', new Error('store down')],
    ]);
    const onMessage = createBatchingWorker({
      batchSize: 1,
      windowMs: 1,
      invoke: async (event) => ({
        batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
      }),
      busyFor: async (id) => {
        const v = busy.get(id);
        if (v instanceof Error) throw v;
        return v;
      },
    });
    const message = (offboardingId: string) => ({ offboardingId, attempt: 1, enqueuedAt: new Date() });
    expect(await onMessage(message('off_busy'))).toEqual({ waitMs: 42_000 });
    expect(await onMessage(message('off_free'))).toBe('retry');
    expect(await onMessage(message('off_unknown'))).toBe('retry');
  });

  it('splits more messages than batchSize into several batches', async () => {
    const sizes: number[] = [];
    const onMessage = createBatchingWorker({
      batchSize: 2,
      windowMs: 5,
      invoke: async (event) => {
        sizes.push(event.Records.length);
        return { batchItemFailures: [] };
      },
    });
    const queue = new MemoryJobQueue({ onMessage, concurrency: 10 });
    await Promise.all(['1', '2', '3', '4', '5'].map((id) => queue.enqueue(`off_${id}`)));
    await queue.drain();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
  });

  it('a thrown invocation fails every message of the batch (redelivered, then dead-lettered)', async () => {
    const onMessage = createBatchingWorker({
      batchSize: 5,
      windowMs: 1,
      invoke: async () => {
        throw new Error('boom');
      },
    });
    const queue = new MemoryJobQueue({ onMessage, maxAttempts: 2, retryBaseMs: 1 });
    await queue.enqueue('off_x');
    await queue.drain();
    expect(queue.deadLetters().map((m) => m.offboardingId)).toEqual(['off_x']);
  });
});

describe('scheduler', () => {
  it('runNow runs a job once even when asked twice at the same time, and stop waits for it', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const scheduler = startScheduler(
      [
        {
          name: 'due-sweep',
          everyMs: 60_000,
          run: async () => {
            runs++;
            await gate;
          },
        },
      ],
      silent,
    );
    const a = scheduler.runNow('due-sweep');
    const b = scheduler.runNow('due-sweep');
    release();
    await Promise.all([a, b]);
    expect(runs).toBe(1);
    await scheduler.runNow('due-sweep');
    expect(runs).toBe(2);
    await scheduler.stop();
    await expect(scheduler.runNow('nope')).rejects.toThrow('no scheduled job nope');
  });

  it('a failing job is logged, not thrown', async () => {
    const errors: string[] = [];
    const log: Log = { ...silent, error: (m) => errors.push(m) };
    const scheduler = startScheduler(
      [{ name: 'reconcile', everyMs: 60_000, run: async () => Promise.reject(new Error('x')) }],
      log,
    );
    await scheduler.runNow('reconcile');
    expect(errors).toEqual(['scheduled job failed']);
    await scheduler.stop();
  });
});
