/**
 * The routes the console polls, against the local runtime's real store (dynalite): the newest-first
 * listing across statuses, counts by status, and time-to-revoke p50/p95 by day and vendor with the
 * slowest offboardings. Historical offboardings are written through the store port (a run cannot be
 * back-dated); one real run shows up in today's figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Offboarding, OffboardingStatus, VendorId } from '../../lambdas/core/model.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { call, settle, startRuntime } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

let n = 0;
/** A stored offboarding effective at `at` (a back-dated record, as a run would have left it). */
async function seed(
  at: string,
  status: OffboardingStatus,
  ttr?: { ms: number; byVendor?: Partial<Record<VendorId, number>> },
  email = `stats-${++n}@example.com`,
): Promise<Offboarding> {
  const id = `01STATS${String(++n).padStart(19, '0')}`;
  const o: Offboarding = {
    id,
    subject: { email, aliases: [] },
    origin: { type: 'hr', id: 'standard' },
    sourceEventId: `evt-${id}`,
    status,
    effectiveAt: at,
    receivedAt: at,
    counts: { planned: 1, revoked: ttr ? 1 : 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
    attempts: 1,
    version: 1,
    ...(ttr
      ? {
          startedAt: at,
          finishedAt: new Date(Date.parse(at) + ttr.ms).toISOString(),
          lastRevokedAt: new Date(Date.parse(at) + ttr.ms).toISOString(),
          timeToRevokeMs: ttr.ms,
          timeToRevokeByVendorMs: ttr.byVendor ?? {},
        }
      : {}),
  };
  await rt.deps.store.create(o);
  return o;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('GET /v1/offboardings?order=desc', () => {
  const window = { from: '2025-01-01T00:00:00.000Z', to: '2025-01-31T23:59:59.999Z' };
  const made: Offboarding[] = [];

  beforeAll(async () => {
    const statuses: OffboardingStatus[] = [
      'completed',
      'running',
      'quarantined',
      'scheduled',
      'completed_with_failures',
      'cancelled',
      'completed',
    ];
    for (const [i, status] of statuses.entries()) {
      made.push(await seed(`2025-01-${String(10 + i).padStart(2, '0')}T09:00:00.000Z`, status));
    }
    // Outside the window: never listed.
    await seed('2025-02-10T09:00:00.000Z', 'completed');
  });

  it('lists every status newest first, page by page, within the window', async () => {
    const seen: string[] = [];
    let next: string | undefined = `/v1/offboardings?order=desc&limit=3&from=${window.from}&to=${window.to}`;
    let pages = 0;
    while (next) {
      const res = await call('GET', next);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((o: { id: string }) => o.id));
      next = res.body.next;
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...made].reverse().map((o) => o.id));
  });

  it('oldest first with order=asc, and a cursor is bound to its order', async () => {
    const res = await call('GET', `/v1/offboardings?order=asc&limit=4&from=${window.from}&to=${window.to}`);
    expect(res.body.items.map((o: { id: string }) => o.id)).toEqual(made.slice(0, 4).map((o) => o.id));
    const wrong = await call(
      'GET',
      `/v1/offboardings?order=desc&limit=4&from=${window.from}&to=${window.to}&cursor=${res.body.cursor}`,
    );
    expect(wrong.status).toBe(400);
  });

  it('with a status or an email, newest first too', async () => {
    const done = await call(
      'GET',
      `/v1/offboardings?status=completed&order=desc&from=${window.from}&to=${window.to}`,
    );
    expect(done.body.items.map((o: { id: string }) => o.id)).toEqual([made[6]!.id, made[0]!.id]);
    const email = 'twice@example.com';
    const first = await seed('2025-01-20T09:00:00.000Z', 'completed', undefined, email);
    const second = await seed('2025-01-21T09:00:00.000Z', 'running', undefined, email);
    const mine = await call('GET', `/v1/offboardings?email=${email}&order=desc`);
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([second.id, first.id]);
  });

  it('refuses an unknown order', async () => {
    const res = await call('GET', '/v1/offboardings?order=sideways');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('query.order');
  });
});

describe('GET /v1/stats/offboardings', () => {
  it('counts each status within the window, and every offboarding without one', async () => {
    const from = '2025-03-01T00:00:00.000Z';
    const to = '2025-03-31T23:59:59.999Z';
    await seed('2025-03-02T00:00:00.000Z', 'quarantined');
    await seed('2025-03-03T00:00:00.000Z', 'quarantined');
    await seed('2025-03-04T00:00:00.000Z', 'completed');
    await seed('2025-04-04T00:00:00.000Z', 'completed');
    const res = await call('GET', `/v1/stats/offboardings?from=${from}&to=${to}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from,
      to,
      counts: {
        scheduled: 0,
        running: 0,
        completed: 1,
        completed_with_failures: 0,
        cancelled: 0,
        quarantined: 2,
      },
      total: 3,
    });
    const all = await call('GET', '/v1/stats/offboardings');
    expect(all.body.from).toBeUndefined();
    expect(all.body.total).toBeGreaterThanOrEqual(4);
    expect(all.body.counts.quarantined).toBeGreaterThanOrEqual(2);
  });

  it('refuses a window that ends before it starts', async () => {
    const res = await call('GET', '/v1/stats/offboardings?from=2025-03-02&to=2025-03-01');
    expect(res.status).toBe(400);
  });
});

describe('GET /v1/stats/time-to-revoke', () => {
  const from = '2025-05-01T00:00:00.000Z';
  const to = '2025-05-31T23:59:59.999Z';

  beforeAll(async () => {
    // 1 May: ten offboardings taking 1..10 minutes; iTwin took half of each, Atlas all of it.
    for (let i = 1; i <= 10; i++) {
      await seed(`2025-05-01T0${i % 10}:00:00.000Z`, i === 10 ? 'completed_with_failures' : 'completed', {
        ms: i * MIN,
        byVendor: { itwin: (i * MIN) / 2, atlas: i * MIN },
      });
    }
    // 2 May: one within the 4-hour target, one over it, and one that revoked nothing.
    await seed('2025-05-02T08:00:00.000Z', 'completed', {
      ms: 3 * HOUR,
      byVendor: { cloudmanager: 3 * HOUR },
    });
    await seed('2025-05-02T09:00:00.000Z', 'completed', {
      ms: 5 * HOUR,
      byVendor: { cloudmanager: 5 * HOUR },
    });
    await seed('2025-05-02T10:00:00.000Z', 'completed');
    // Not finished, or outside the window: not counted.
    await seed('2025-05-03T10:00:00.000Z', 'running');
    await seed('2025-06-03T10:00:00.000Z', 'completed', { ms: 9 * HOUR });
  });

  it('gives nearest-rank p50 and p95 per day, overall and per vendor, against the 4-hour target', async () => {
    const res = await call('GET', `/v1/stats/time-to-revoke?from=${from}&to=${to}&slowest=2`);
    expect(res.status).toBe(200);
    const b = res.body;
    expect(b).toMatchObject({
      from,
      to,
      targetMs: 4 * HOUR,
      offboardings: 13,
      measured: 12,
      truncated: false,
    });
    expect(b.withinTarget).toBe(11);
    const day = (d: string, vendor: string) =>
      b.days.find((s: { day: string; vendor: string }) => s.day === d && s.vendor === vendor);
    expect(day('2025-05-01', 'all')).toEqual({
      day: '2025-05-01',
      vendor: 'all',
      count: 10,
      p50Ms: 5 * MIN,
      p95Ms: 10 * MIN,
      maxMs: 10 * MIN,
      overTarget: 0,
    });
    expect(day('2025-05-01', 'itwin')).toMatchObject({ count: 10, p50Ms: 2.5 * MIN, p95Ms: 5 * MIN });
    expect(day('2025-05-01', 'atlas')).toMatchObject({ count: 10, p50Ms: 5 * MIN });
    expect(day('2025-05-01', 'cloudmanager')).toBeUndefined();
    expect(day('2025-05-02', 'all')).toMatchObject({
      count: 2,
      p50Ms: 3 * HOUR,
      p95Ms: 5 * HOUR,
      overTarget: 1,
    });
    expect(day('2025-05-02', 'cloudmanager')).toMatchObject({ count: 2, overTarget: 1 });
    expect(b.slowest.map((o: { timeToRevokeMs: number }) => o.timeToRevokeMs)).toEqual([5 * HOUR, 3 * HOUR]);
  });

  it("includes a real run's figures in today's day", async () => {
    const res = await call('POST', '/v1/offboardings', {
      body: { email: 'dana.leaver@example.com', reason: 'left' },
    });
    expect(res.status).toBe(202);
    await settle(rt);
    const done = await call('GET', `/v1/offboardings/${res.body.id}`);
    const stats = await call('GET', '/v1/stats/time-to-revoke');
    const today = new Date().toISOString().slice(0, 10);
    const all = stats.body.days.find(
      (s: { day: string; vendor: string }) => s.day === today && s.vendor === 'all',
    );
    expect(all.count).toBeGreaterThanOrEqual(1);
    expect(all.maxMs).toBeGreaterThanOrEqual(done.body.timeToRevokeMs);
    expect(stats.body.slowest.map((o: { id: string }) => o.id)).toContain(res.body.id);
  });

  it('refuses a window longer than a year or reversed', async () => {
    expect((await call('GET', '/v1/stats/time-to-revoke?from=2024-01-01&to=2025-06-01')).status).toBe(400);
    expect((await call('GET', '/v1/stats/time-to-revoke?from=2025-06-01&to=2025-05-01')).status).toBe(400);
    expect((await call('GET', '/v1/stats/time-to-revoke?slowest=51')).status).toBe(400);
  });
});
