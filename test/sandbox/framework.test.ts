import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ControllableClock } from '../../sandbox/core/clock.ts';
import { FaultInjector, sampleLatency } from '../../sandbox/core/faults.ts';
import { RequestLog } from '../../sandbox/core/request-log.ts';
import { TokenBucket } from '../../sandbox/core/token-bucket.ts';
import { ATLAS_DEMO } from '../../sandbox/demo.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';

let sb: Sandbox;
let token: string;
const INVITES = `/api/atlas/v2/orgs/${ATLAS_DEMO.orgId}/invites`;

async function getToken(): Promise<string> {
  const res = await fetch(sb.urls.atlas.token, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${ATLAS_DEMO.clientId}:${ATLAS_DEMO.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const atlasGet = (path = INVITES, init: RequestInit = {}) =>
  fetch(`${sb.urls.atlas.base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.atlas.2023-01-01+json' },
  });

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sb.url}/_control${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  sb = await startSandbox({ seed: 'demo' });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(async () => {
  sb.control.reset();
  token = await getToken();
});

describe('startSandbox', () => {
  it('listens on a random loopback port and returns the contract URLs', () => {
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.url.endsWith(':0')).toBe(false);
    expect(sb.urls).toEqual({
      itwin: {
        accessControl: `${sb.url}/itwin/accesscontrol`,
        token: `${sb.url}/itwin/ims/connect/token`,
        itwins: `${sb.url}/itwin/itwins`,
      },
      atlas: { base: `${sb.url}/atlas`, token: `${sb.url}/atlas/api/oauth/token` },
      cloudmanager: { base: `${sb.url}/cloudmanager/api/public/v1.0` },
      control: `${sb.url}/_control`,
    });
  });

  it('answers 404 JSON for an unknown root', async () => {
    const res = await fetch(`${sb.url}/nope/x`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { error: string }).error).toBe('not_found');
  });

  it('keeps connections alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${sb.url}/_control/clock`, { agent }, (res) => {
          expect(res.headers.connection).toBe('keep-alive');
          ports.push(req.socket?.localPort ?? -1);
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
    }
    agent.destroy();
    expect(ports[0]).toBe(ports[1]);
  });

  it('serves an empty seed when asked', async () => {
    const empty = await startSandbox({ seed: 'empty' });
    try {
      const state = empty.control.state('cloudmanager') as { orgs: unknown[]; apiKeys: unknown[] };
      expect(state.orgs).toEqual([]);
      expect(state.apiKeys).toEqual([]);
    } finally {
      await empty.close();
    }
  });
});

describe('request log', () => {
  it('records vendor, method, path, query, status, time, duration and identity, never secrets', async () => {
    sb.control.clearRequests();
    const res = await atlasGet(`${INVITES}?username=dana.leaver@example.com`);
    expect(res.status).toBe(200);
    const [entry] = sb.control.requests({ vendor: 'atlas' });
    expect(entry).toMatchObject({
      vendor: 'atlas',
      method: 'GET',
      path: INVITES,
      query: 'username=dana.leaver@example.com',
      status: 200,
      identity: `serviceAccount:${ATLAS_DEMO.clientId}`,
    });
    expect(Date.parse(entry!.at)).toBeGreaterThan(0);
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
    const dump = JSON.stringify(sb.control.requests());
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(ATLAS_DEMO.clientSecret);
  });

  it('filters by vendor, method and path regex and can be cleared', async () => {
    sb.control.clearRequests();
    await atlasGet();
    await atlasGet(`/api/atlas/v2/orgs/${ATLAS_DEMO.orgId}/teams`);
    await fetch(`${sb.urls.cloudmanager.base}/orgs`, { method: 'DELETE' });
    expect(sb.control.requests({ vendor: 'atlas' })).toHaveLength(2);
    expect(sb.control.requests({ method: 'delete' })).toHaveLength(1);
    expect(sb.control.requests({ path: '/teams$' })).toHaveLength(1);
    const http = await control('GET', '/requests?vendor=cloudmanager');
    expect((http.body.requests as unknown[]).length).toBe(1);
    expect((await control('DELETE', '/requests')).status).toBe(200);
    expect(sb.control.requests()).toHaveLength(0);
  });
});

describe('request log bound', () => {
  it('keeps only the newest entries', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 10; i++) {
      log.add({
        vendor: 'atlas',
        method: 'GET',
        path: `/p${i}`,
        query: '',
        status: 200,
        at: '',
        durationMs: 0,
      });
    }
    expect(log.list().map((e) => e.path)).toEqual(['/p7', '/p8', '/p9']);
    expect(log.list()[2]!.seq).toBe(10);
  });
});

describe('npm run sandbox', () => {
  it('starts standalone on PORT with the demo seed and prints URLs and demo credentials', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('Ctrl-C')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(base).toBeDefined();
      for (const text of [
        '/cloudmanager/api/public/v1.0',
        '/atlas/api/oauth/token',
        '/itwin/accesscontrol',
        'cmdemopub',
        'cm-demo-private-key-0001',
        'mdb_sa_id_demo0001',
        'atlasdemopub',
        'service-leaver-demo',
      ]) {
        expect(out).toContain(text);
      }
      const st = (await (await fetch(`${base}/_control/state/cloudmanager`)).json()) as {
        orgs: { id: string }[];
      };
      expect(st.orgs[0]!.id).toBe('5f1a0000000000000000c001');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('faults', () => {
  it('resets the connection', async () => {
    sb.control.addFault({ type: 'reset', vendor: 'atlas' });
    await expect(atlasGet()).rejects.toThrow();
    const [entry] = sb.control.requests({ vendor: 'atlas', path: 'invites' });
    expect(entry?.status).toBeNull();
    expect(entry?.fault).toMatch(/^fault-/);
  });

  it('answers a share of 5xx with the vendor error body', async () => {
    const id = sb.control.addFault({ type: 'error', status: 503, vendor: 'atlas', share: 1 });
    const res = await atlasGet();
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      error: 503,
      errorCode: 'UNEXPECTED_ERROR',
      reason: 'Service Unavailable',
    });
    expect(sb.control.removeFault(id)).toBe(true);
    expect((await atlasGet()).status).toBe(200);
  });

  it('hits roughly the configured share', async () => {
    sb.control.addFault({ type: 'error', vendor: 'atlas', share: 0.5 });
    let errors = 0;
    for (let i = 0; i < 200; i++) if ((await atlasGet()).status === 500) errors++;
    expect(errors).toBeGreaterThan(40);
    expect(errors).toBeLessThan(160);
  });

  it('share 0 never fires; vendor, path and method scoping hold', async () => {
    sb.control.addFault({ type: 'error', vendor: 'atlas', share: 0 });
    sb.control.addFault({ type: 'error', vendor: 'cloudmanager' });
    sb.control.addFault({ type: 'error', pathPattern: '/teams$' });
    sb.control.addFault({ type: 'error', method: 'DELETE' });
    expect((await atlasGet()).status).toBe(200);
    expect((await atlasGet(`/api/atlas/v2/orgs/${ATLAS_DEMO.orgId}/teams`)).status).toBe(500);
    expect((await fetch(`${sb.urls.cloudmanager.base}/orgs`)).status).toBe(500);
    const del = await fetch(`${sb.urls.atlas.base}${INVITES}/6a1b0000000000000000e001`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.atlas.2023-01-01+json' },
    });
    expect(del.status).toBe(500);
  });

  it('answers a share of 429 with Retry-After and the vendor body', async () => {
    sb.control.addFault({ type: 'rate-limit', vendor: 'cloudmanager', retryAfterSeconds: 7 });
    const res = await fetch(`${sb.urls.cloudmanager.base}/orgs`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ error: 429, errorCode: 'RATE_LIMITED' });
  });

  it('runs a 429 storm for N requests', async () => {
    sb.control.addFault({ type: 'storm', vendor: 'atlas', requests: 3, retryAfterSeconds: 2 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await atlasGet()).status);
    expect(statuses).toEqual([429, 429, 429, 200, 200]);
    expect(sb.control.faults()).toHaveLength(0);
  });

  it('runs a 429 storm for T seconds of the sandbox clock', async () => {
    sb.control.addFault({ type: 'storm', vendor: 'atlas', seconds: 30 });
    const first = await atlasGet();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await atlasGet()).status).toBe(429);
    sb.control.advanceClock(30_000);
    expect((await atlasGet()).status).toBe(200);
  });

  it('adds latency', async () => {
    sb.control.addFault({ type: 'latency', vendor: 'atlas', distribution: { kind: 'fixed', ms: 120 } });
    sb.control.clearRequests();
    expect((await atlasGet()).status).toBe(200);
    expect(sb.control.requests()[0]!.durationMs).toBeGreaterThanOrEqual(119);
  });

  it('samples the latency distributions: uniform spans [min, max], normal applies mean and stddev', () => {
    const seq = (...values: number[]) => {
      let i = 0;
      return () => values[i++ % values.length]!;
    };
    expect(sampleLatency({ kind: 'fixed', ms: 40 }, seq(0.5))).toBe(40);
    const uniform = { kind: 'uniform', minMs: 10, maxMs: 30 } as const;
    expect(sampleLatency(uniform, seq(0))).toBe(10);
    expect(sampleLatency(uniform, seq(0.25))).toBe(15);
    expect(sampleLatency(uniform, seq(0.999_999))).toBeCloseTo(30, 3);
    // Box-Muller: u = 1 - r1, v = r2, z = sqrt(-2 ln u) * cos(2 pi v). r1 = 1 - e^-2, r2 = 0 -> z = 2;
    // r2 = 0.5 -> z = -2. So the answer is mean +/- 2 stddev, and only a working sampler gets it.
    const plus2 = seq(1 - Math.exp(-2), 0);
    const minus2 = seq(1 - Math.exp(-2), 0.5);
    expect(sampleLatency({ kind: 'normal', meanMs: 100, stddevMs: 10 }, plus2)).toBeCloseTo(120, 9);
    expect(sampleLatency({ kind: 'normal', meanMs: 100, stddevMs: 25 }, plus2)).toBeCloseTo(150, 9);
    expect(sampleLatency({ kind: 'normal', meanMs: 100, stddevMs: 10 }, minus2)).toBeCloseTo(80, 9);
    // Clamped at 0, never negative.
    expect(sampleLatency({ kind: 'normal', meanMs: 10, stddevMs: 100 }, minus2)).toBe(0);
  });

  it('the spread of many samples matches the distribution (seeded random source)', () => {
    // mulberry32: a small deterministic PRNG, so the check never flakes.
    let a = 0x2f6b_9d3c;
    const rng = () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const stats = (xs: number[]) => {
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
      return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
    };
    const n = 20_000;
    const normal = stats(
      Array.from({ length: n }, () => sampleLatency({ kind: 'normal', meanMs: 200, stddevMs: 30 }, rng)),
    );
    expect(normal.mean).toBeGreaterThan(199);
    expect(normal.mean).toBeLessThan(201);
    expect(normal.sd).toBeGreaterThan(29);
    expect(normal.sd).toBeLessThan(31);
    const uniform = stats(
      Array.from({ length: n }, () => sampleLatency({ kind: 'uniform', minMs: 50, maxMs: 150 }, rng)),
    );
    expect(uniform.min).toBeGreaterThanOrEqual(50);
    expect(uniform.max).toBeLessThanOrEqual(150);
    expect(uniform.min).toBeLessThan(51);
    expect(uniform.max).toBeGreaterThan(149);
    expect(uniform.mean).toBeGreaterThan(99);
    expect(uniform.mean).toBeLessThan(101);
    // sd of U(a, b) = (b - a) / sqrt(12) = 28.87
    expect(uniform.sd).toBeGreaterThan(28);
    expect(uniform.sd).toBeLessThan(29.7);
  });

  it('a latency rule delays by what its distribution samples from the injector’s random source', () => {
    const injector = new FaultInjector(
      new ControllableClock(),
      (() => {
        const values = [1 - Math.exp(-2), 0];
        let i = 0;
        return () => values[i++ % 2]!;
      })(),
    );
    injector.add({
      type: 'latency',
      vendor: 'atlas',
      distribution: { kind: 'normal', meanMs: 100, stddevMs: 10 },
    });
    injector.add({ type: 'latency', vendor: 'atlas', distribution: { kind: 'fixed', ms: 5 } });
    expect(injector.decide('atlas', 'GET', '/x').delayMs).toBeCloseTo(125, 9);
    expect(injector.decide('itwin', 'GET', '/x').delayMs).toBe(0);
  });

  it('hangs a request until the client gives up, and close() still finishes', async () => {
    const other = await startSandbox({ seed: 'demo' });
    other.control.addFault({ type: 'hang', vendor: 'cloudmanager' });
    await expect(
      fetch(`${other.urls.cloudmanager.base}/orgs`, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow(/timeout|aborted/i);
    const again = fetch(`${other.urls.cloudmanager.base}/orgs`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(other.control.requests({ vendor: 'cloudmanager' }).every((e) => e.status === null)).toBe(true);
    await other.close();
    expect(await again).toBeInstanceOf(Error);
  });

  it('refuses bad fault specs with 400 over HTTP', async () => {
    expect((await control('POST', '/faults', { type: 'meteor' })).status).toBe(400);
    expect((await control('POST', '/faults', { type: 'error', share: 2 })).status).toBe(400);
    expect((await control('POST', '/faults', { type: 'storm' })).status).toBe(400);
    expect(
      (
        await control('POST', '/faults', {
          type: 'latency',
          distribution: { kind: 'uniform', minMs: 5, maxMs: 1 },
        })
      ).status,
    ).toBe(400);
  });
});

describe('mangled answers (fault type mangle)', () => {
  const USERS = `/api/atlas/v2/orgs/${ATLAS_DEMO.orgId}/users`;
  const usersGet = () =>
    fetch(`${sb.urls.atlas.base}${USERS}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.atlas.2025-02-19+json' },
    });
  const mangle = (spec: Record<string, unknown>) =>
    control('POST', '/faults', { type: 'mangle', vendor: 'atlas', ...spec });

  it('rename-field renames the field everywhere; the request log names the rule', async () => {
    const { body } = await mangle({ pathPattern: '/invites$', shape: 'rename-field', field: 'username' });
    const res = await atlasGet();
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<Record<string, unknown>>;
    expect(list.length).toBeGreaterThan(0);
    for (const inv of list) {
      expect(inv).not.toHaveProperty('username');
      expect(typeof inv.usernameRenamed).toBe('string');
    }
    const [entry] = sb.control.requests({ vendor: 'atlas', path: '/invites$' });
    expect(entry).toMatchObject({ status: 200, fault: body.id });
  });

  it('drop-array takes the listing away: a bare array becomes {}, a page loses its results', async () => {
    await mangle({ shape: 'drop-array' });
    expect(await (await atlasGet()).json()).toEqual({});
    const page = (await (await usersGet()).json()) as Record<string, unknown>;
    expect(page).not.toHaveProperty('results');
    expect(page).toHaveProperty('links');
  });

  it('wrong-type changes the type of a field everywhere, or of the list itself', async () => {
    await mangle({ pathPattern: '/users$', shape: 'wrong-type', field: 'username' });
    const page = (await (await usersGet()).json()) as { results: Array<{ username: unknown }> };
    expect(page.results.length).toBeGreaterThan(0);
    expect(page.results.every((u) => typeof u.username === 'number')).toBe(true);
    sb.control.clearFaults();
    await mangle({ shape: 'wrong-type' });
    expect(typeof ((await (await usersGet()).json()) as { results: unknown }).results).toBe('string');
    expect(typeof (await (await atlasGet()).json())).toBe('string');
  });

  it('html answers 200 with an HTML page', async () => {
    await mangle({ shape: 'html' });
    const res = await usersGet();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
  });

  it('extra-fields adds unknown fields to every object', async () => {
    await mangle({ shape: 'extra-fields' });
    const page = (await (await usersGet()).json()) as Record<string, unknown> & {
      results: Array<Record<string, unknown>>;
    };
    expect(page.sandboxAddedField).toBeDefined();
    expect(
      page.results.every((u) => u.sandboxAddedField !== undefined && typeof u.username === 'string'),
    ).toBe(true);
  });

  it('skip lets the first matching requests through untouched', async () => {
    await mangle({ shape: 'html', pathPattern: '/invites$', skip: 2 });
    expect((await atlasGet()).headers.get('content-type')).toMatch(/json/);
    expect((await atlasGet()).headers.get('content-type')).toMatch(/json/);
    expect((await atlasGet()).headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('leaves error answers and bodiless answers alone', async () => {
    await mangle({ shape: 'html' });
    const missing = await atlasGet(`/api/atlas/v2/orgs/${ATLAS_DEMO.orgId}/invites/6a1b0000000000000000ffff`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/json/);
    const invites = await (
      await fetch(`${sb.urls.atlas.base}${INVITES}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.atlas.2023-01-01+json' },
      })
    ).text();
    expect(invites).toMatch(/^<!DOCTYPE/);
  });

  it('refuses bad mangle specs with 400', async () => {
    expect((await mangle({ shape: 'confetti' })).status).toBe(400);
    expect((await mangle({ shape: 'rename-field' })).status).toBe(400);
    expect((await mangle({ shape: 'html', skip: -1 })).status).toBe(400);
    expect((await mangle({ shape: 'wrong-type', field: '' })).status).toBe(400);
  });
});

describe('control plane over HTTP', () => {
  it('reads state per vendor and for all', async () => {
    const all = await control('GET', '/state');
    expect(Object.keys(all.body).sort()).toEqual(['atlas', 'cloudmanager', 'itwin']);
    const cm = await control('GET', '/state/cloudmanager');
    expect((cm.body.orgs as { id: string }[])[0]!.id).toBe('5f1a0000000000000000c001');
    expect((await control('GET', '/state/nope')).status).toBe(404);
  });

  it('404s unknown routes and 400s bad JSON', async () => {
    expect((await control('GET', '/nothing-here')).status).toBe(404);
    expect((await control('POST', '/atlas')).status).toBe(404);
    const bad = await fetch(`${sb.url}/_control/seed`, { method: 'POST', body: '{oops' });
    expect(bad.status).toBe(400);
  });

  it('seeds, and reset restores the current seed, clears faults, log and clock', async () => {
    const seed = {
      cloudmanager: { orgs: [{ id: '5f1a00000000000000000bad', name: 'Solo' }] },
    };
    expect((await control('POST', '/seed', seed)).status).toBe(200);
    expect((sb.control.state('cloudmanager') as { orgs: { name: string }[] }).orgs).toEqual([
      { id: '5f1a00000000000000000bad', name: 'Solo' },
    ]);
    expect((sb.control.state('atlas') as { orgs: unknown[] }).orgs).toEqual([]);
    sb.control.vendorAction('cloudmanager', 'add-user', { username: 'x@example.com' });
    await control('POST', '/faults', { type: 'error' });
    await control('POST', '/clock/advance', { seconds: 60 });
    expect((await control('POST', '/reset')).status).toBe(200);
    expect((sb.control.state('cloudmanager') as { users: unknown[] }).users).toEqual([]);
    expect(sb.control.faults()).toEqual([]);
    expect(Math.abs(sb.control.now() - Date.now())).toBeLessThan(5_000);
    expect((await control('POST', '/seed', 'demo')).status).toBe(200);
    expect((sb.control.state('atlas') as { orgs: unknown[] }).orgs).toHaveLength(1);
  });

  it('advances the clock', async () => {
    const before = (await control('GET', '/clock')).body.now as number;
    const after = await control('POST', '/clock/advance', { ms: 86_400_000 });
    expect((after.body.now as number) - before).toBeGreaterThanOrEqual(86_400_000);
    expect((await control('POST', '/clock/advance', { ms: -1 })).status).toBe(400);
  });

  it('sets and disables rate limits', async () => {
    expect((await control('PUT', '/rate-limits/atlas', { capacity: 1, refillPerSecond: 0 })).status).toBe(
      200,
    );
    expect((await atlasGet()).status).toBe(200);
    expect((await atlasGet()).status).toBe(429);
    expect((await control('DELETE', '/rate-limits/atlas')).status).toBe(200);
    expect((await atlasGet()).status).toBe(200);
    expect((await control('PUT', '/rate-limits/atlas', { capacity: -1, refillPerSecond: 1 })).status).toBe(
      400,
    );
  });

  it('adds, lists and clears faults', async () => {
    const { body } = await control('POST', '/faults', { type: 'error', vendor: 'atlas' });
    expect(body.id).toMatch(/^fault-/);
    expect(((await control('GET', '/faults')).body.faults as unknown[]).length).toBe(1);
    expect((await atlasGet()).status).toBe(500);
    expect((await control('DELETE', `/faults/${body.id}`)).status).toBe(200);
    expect((await control('DELETE', `/faults/${body.id}`)).status).toBe(404);
    await control('POST', '/faults', { type: 'error', vendor: 'atlas' });
    await control('DELETE', '/faults?vendor=atlas');
    expect((await atlasGet()).status).toBe(200);
  });

  it('forwards vendor actions', async () => {
    const r = await control('POST', '/cloudmanager/accept-invitation', {
      invitationId: '5f1a0000000000000000e002',
    });
    expect(r.status).toBe(200);
    expect((r.body.result as { accepted: string[] }).accepted).toEqual(['5f1a0000000000000000e002']);
    expect(
      (await control('POST', '/cloudmanager/accept-invitation', { invitationId: '5f1a0000000000000000e002' }))
        .status,
    ).toBe(404);
    expect((await control('POST', '/cloudmanager/no-such-action', {})).status).toBe(404);
  });
});

describe('clock and token bucket', () => {
  it('clock advances by an offset', () => {
    let base = 1000;
    const c = new ControllableClock(() => base);
    expect(c.now()).toBe(1000);
    c.advance(500);
    base = 2000;
    expect(c.now()).toBe(2500);
    expect(() => c.advance(-1)).toThrow();
    c.reset();
    expect(c.now()).toBe(2000);
  });

  it('token bucket takes, refuses with retry-after, refills and reconfigures', () => {
    let now = 0;
    const b = new TokenBucket({ capacity: 2, refillPerSecond: 0.5, clock: { now: () => now } });
    expect(b.take()).toEqual({ ok: true, remaining: 1 });
    expect(b.take()).toEqual({ ok: true, remaining: 0 });
    expect(b.take()).toEqual({ ok: false, retryAfterSeconds: 2 });
    now += 2000;
    expect(b.take()).toEqual({ ok: true, remaining: 0 });
    now += 60_000;
    expect(b.remaining()).toBe(2);
    expect(b.take(3)).toEqual({ ok: false, retryAfterSeconds: 2 });
    b.configure({ capacity: 5, refillPerSecond: 1 });
    expect(b.take(5)).toEqual({ ok: true, remaining: 0 });
    expect(() => b.configure({ capacity: -1, refillPerSecond: 1 })).toThrow();
  });
});
