import { afterEach, describe, expect, it } from 'vitest';
import { testCtx } from '../support/ctx.ts';
import { fakeTiming, makeHttp } from '../support/http.ts';
import { json, startServer, type TestServer } from '../support/test-server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Answers from a script, one entry per request; the last entry repeats. */
function scripted(
  steps: Array<(res: import('node:http').ServerResponse, raw: import('node:http').IncomingMessage) => void>,
) {
  let i = 0;
  return (
    _req: unknown,
    res: import('node:http').ServerResponse,
    raw: import('node:http').IncomingMessage,
  ) => {
    const step = steps[Math.min(i, steps.length - 1)]!;
    i += 1;
    step(res, raw);
  };
}

const ok = (res: import('node:http').ServerResponse) =>
  json(res, 200, { ok: true }, { 'x-request-id': 'req-42' });

describe('VendorHttp retries', () => {
  it('retries a 429 after its Retry-After (seconds) and tells onVendorCall the route template', async () => {
    server = await startServer(
      scripted([(res) => json(res, 429, { error: 429 }, { 'retry-after': '3' }), ok]),
    );
    const timing = fakeTiming();
    const { http } = makeHttp({ timing });
    const ctx = testCtx();
    const res = await http.request(
      {
        method: 'GET',
        url: `${server.url}/orgs/5f1a0000000000000000c001/invites`,
        route: '/orgs/{id}/invites',
      },
      ctx,
    );
    expect(res).toMatchObject({ status: 200, body: { ok: true }, attempts: 2, vendorRequestId: 'req-42' });
    expect(server.seen).toHaveLength(2);
    expect(timing.sleeps).toContain(3000);
    expect(ctx.calls.map((c) => [c.status, c.route, c.attempt])).toEqual([
      [429, '/orgs/{id}/invites', 1],
      [200, '/orgs/{id}/invites', 2],
    ]);
  });

  it('reads Retry-After as an HTTP date', async () => {
    const when = new Date(Date.now() + 60_000).toUTCString();
    server = await startServer(scripted([(res) => json(res, 503, {}, { 'retry-after': when }), ok]));
    const timing = fakeTiming();
    const { http } = makeHttp({ timing });
    await http.request(
      { method: 'GET', url: `${server.url}/x`, route: '/x' },
      testCtx({ deadlineMs: 120_000 }),
    );
    expect(timing.sleeps).toHaveLength(1);
    expect(timing.sleeps[0]).toBeGreaterThan(50_000);
    expect(timing.sleeps[0]).toBeLessThanOrEqual(60_000);
  });

  it('retries 5xx with full-jitter backoff and gives up after maxAttempts as vendor_unavailable', async () => {
    server = await startServer((_req, res) => json(res, 502, { error: 'bad gateway' }));
    const timing = fakeTiming(0.999);
    const { http } = makeHttp({ timing, retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 } });
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_unavailable', vendorStatus: 502, retryable: true });
    expect(server.seen).toHaveLength(4);
    // Full jitter: uniform in [0, min(cap, base*2^n)): with random ~1 each is just under its ceiling.
    expect(timing.sleeps).toEqual([99, 199, 249]);
  });

  it('retries a reset connection (socket destroyed) and succeeds', async () => {
    server = await startServer(scripted([(_res, raw) => void raw.socket.destroy(), ok]));
    const { http } = makeHttp({});
    const res = await http.request({ method: 'DELETE', url: `${server.url}/x`, route: '/x' }, testCtx());
    expect(res.attempts).toBe(2);
    expect(server.seen).toHaveLength(2);
  });

  it('a connection that keeps resetting ends as vendor_network', async () => {
    server = await startServer((_req, _res, raw) => void raw.socket.destroy());
    const { http } = makeHttp({ retry: { maxAttempts: 3 } });
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_network', retryable: true });
    expect(server.seen).toHaveLength(3);
  });

  it.each([
    [400, 'vendor_bad_request'],
    [422, 'vendor_bad_request'],
    [403, 'vendor_forbidden'],
    [404, 'vendor_not_found'],
    [409, 'vendor_conflict'],
  ])('does not retry %i (%s)', async (status, code) => {
    server = await startServer((_req, res) => json(res, status, { errorCode: 'SOME_CODE', detail: 'x' }));
    const { http } = makeHttp({});
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx())
      .catch((e) => e);
    expect(err).toMatchObject({
      code,
      vendorStatus: status,
      details: { vendorCode: 'SOME_CODE', route: '/x' },
    });
    expect(server.seen).toHaveLength(1);
  });

  it('answers an accepted status (404 on DELETE) as a result', async () => {
    server = await startServer((_req, res) =>
      json(res, 404, { errorCode: 'NOT_FOUND' }, { 'request-id': 'r-9' }),
    );
    const { http } = makeHttp({});
    const res = await http.request(
      { method: 'DELETE', url: `${server.url}/x`, route: '/x', acceptStatuses: [404] },
      testCtx(),
    );
    expect(res).toMatchObject({ status: 404, attempts: 1, vendorRequestId: 'r-9' });
  });

  it('an unparsable success body is vendor_unexpected_response', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"results": [');
    });
    const { http } = makeHttp({});
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_unexpected_response' });
  });

  it('times out a hung request (vendor_timeout), retrying within maxAttempts', async () => {
    server = await startServer(() => {
      // never answers
    });
    const { http } = makeHttp({ timeoutMs: 150, retry: { maxAttempts: 2 } });
    const ctx = testCtx();
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, ctx)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_timeout', retryable: true });
    expect(server.seen).toHaveLength(2);
    expect(ctx.calls.map((c) => c.status)).toEqual(['timeout', 'timeout']);
  });

  it('never sleeps past the deadline: a Retry-After beyond it ends as deadline_exceeded', async () => {
    server = await startServer((_req, res) => json(res, 429, {}, { 'retry-after': '30' }));
    const timing = fakeTiming();
    const { http } = makeHttp({ timing });
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx({ deadlineMs: 5_000 }))
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'deadline_exceeded', details: { lastError: 'vendor_rate_limited' } });
    expect(server.seen).toHaveLength(1);
    expect(timing.sleeps).toEqual([]);
  });

  it('never starts an attempt after the deadline', async () => {
    server = await startServer((_req, res) => ok(res));
    const { http } = makeHttp({});
    const ctx = testCtx();
    ctx.deadline = Date.now() - 1;
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, ctx)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'deadline_exceeded' });
    expect(server.seen).toHaveLength(0);
  });

  it('caps a request timeout at the deadline', async () => {
    server = await startServer(() => {});
    const { http } = makeHttp({ timeoutMs: 10_000, timing: { ...fakeTiming(), now: () => Date.now() } });
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx({ deadlineMs: 200 }))
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'deadline_exceeded' });
    expect(server.seen).toHaveLength(1);
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    server = await startServer((_req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        ok(res);
      }, 20);
    });
    const { http } = makeHttp({ maxConcurrency: 2 });
    const ctx = testCtx();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        http.request({ method: 'GET', url: `${server!.url}/x${i}`, route: '/x' }, ctx),
      ),
    );
    expect(server.seen).toHaveLength(8);
    expect(most).toBe(2);
  });

  it('a 429 slows the tenant bucket shared by every caller', async () => {
    let first = true;
    server = await startServer((_req, res) => {
      if (first) {
        first = false;
        json(res, 429, {}, { 'retry-after': '2' });
      } else ok(res);
    });
    const { http, limiter } = makeHttp({ rate: { perSecond: 40, burst: 40 } });
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    // Halved by the 429, then one success step back (+5 % of the configured rate).
    expect(limiter.bucket().rate).toBeCloseTo(22, 5);
  });
});

describe("VendorHttp and the vendor's rate-limit headers", () => {
  it('RateLimit-Remaining: 0 on a success makes the next call wait for a token', async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { ok: true }, { 'ratelimit-limit': '10', 'ratelimit-remaining': '0' }),
    );
    const timing = fakeTiming();
    const { http } = makeHttp({ timing, rate: { perSecond: 2, burst: 10 } });
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(timing.sleeps).toEqual([]);
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(timing.sleeps).toEqual([500]);
  });

  it('a vendor that says it has plenty left is not throttled to the configured refill', async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { ok: true }, { 'ratelimit-limit': '100', 'ratelimit-remaining': '90' }),
    );
    const timing = fakeTiming();
    const { http } = makeHttp({ timing, rate: { perSecond: 5 / 60, burst: 2 } });
    for (let i = 0; i < 6; i++)
      await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(timing.sleeps).toEqual([]);
  });

  it('without the header the burst is used as configured, then the configured refill', async () => {
    server = await startServer((_req, res) => ok(res));
    const timing = fakeTiming();
    const { http } = makeHttp({ timing, rate: { perSecond: 2, burst: 10 } });
    for (let i = 0; i < 10; i++)
      await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(timing.sleeps).toEqual([]);
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(timing.sleeps).toEqual([500]);
  });

  it('a 429 with Retry-After at the documented Atlas rate retries right after the pause', async () => {
    server = await startServer(
      scripted([(res) => json(res, 429, { error: 429 }, { 'retry-after': '1' }), ok]),
    );
    const timing = fakeTiming();
    const { http } = makeHttp({ timing, rate: { perSecond: 5 / 60, burst: 10 } });
    const res = await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(res.status).toBe(200);
    expect(timing.sleeps).toEqual([1000]);
  });
});

describe('VendorHttp credentials', () => {
  it('an unreadable secret fails at once as secret_unavailable, without a vendor call', async () => {
    server = await startServer((_req, res) => ok(res));
    const { http } = makeHttp({
      auth: {
        header: async () => {
          throw new Error('AccessDeniedException: secret leaver/x');
        },
        onUnauthorized: () => 'rejected',
        reset: () => {},
      },
    });
    const err = await http
      .request({ method: 'GET', url: `${server.url}/x`, route: '/x' }, testCtx())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'secret_unavailable' });
    expect(err.message).not.toContain('AccessDenied');
    expect(server.seen).toHaveLength(0);
  });

  it('an aborted caller (ctx.signal) ends as deadline_exceeded', async () => {
    const controller = new AbortController();
    // The caller gives up while the vendor is still working on the request.
    server = await startServer(() => controller.abort(new Error('lambda ending')));
    const { http } = makeHttp({ timeoutMs: 5000 });
    const pending = http.request(
      { method: 'GET', url: `${server.url}/x`, route: '/x' },
      testCtx({ signal: controller.signal }),
    );
    await expect(pending).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(server.seen).toHaveLength(1);
  });
});
