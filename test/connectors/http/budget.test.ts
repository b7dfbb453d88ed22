/**
 * The limiter's share for share-limited callers (the inventory sync) and the door to the budget
 * every process shares, on a clock that moves only when the code sleeps (deterministic).
 */
import { describe, expect, it } from 'vitest';
import { type BudgetAnswer, BudgetGate, type RateBudget } from '../../../lambdas/connectors/http/budget.ts';
import { type RateSpec, TenantLimiter } from '../../../lambdas/connectors/http/limiter.ts';
import { fakeTiming } from '../support/http.ts';

/** A GCRA budget in memory, as the DynamoDB one keeps it (what several processes would share). */
class MemoryBudget implements RateBudget {
  tat = new Map<string, number>();
  calls = 0;
  async take(key: string, want: number, spec: RateSpec, now: number): Promise<BudgetAnswer> {
    this.calls++;
    const T = 1000 / spec.perSecond;
    const tau = spec.burst * T;
    const tat = Math.max(this.tat.get(key) ?? 0, now);
    const left = Math.floor((now + tau - tat) / T + 1e-9);
    if (left < 1) return { granted: 0, waitMs: Math.ceil(tat + T - tau - now) };
    const g = Math.min(want, left);
    this.tat.set(key, tat + g * T);
    return { granted: g, readyInMs: Math.max(0, Math.ceil(tat + g * T + T - tau - now)) };
  }
}

describe('TenantLimiter with a share (the inventory sync)', () => {
  it('gives share-limited callers at most that share of the rate and the burst', async () => {
    const timing = fakeTiming();
    const limiter = new TenantLimiter({ perSecond: 10, burst: 10 }, 16, timing);
    const start = timing.now();
    const at: number[] = [];
    for (let i = 0; i < 25; i++) {
      expect(await limiter.take(undefined, Number.POSITIVE_INFINITY, undefined, 0.5)).toBe(true);
      at.push(timing.now() - start);
    }
    // Half the burst at once, then half the rate: 5 at t=0, then one every 200 ms.
    expect(at.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(at[24]).toBe(4000);
    for (let i = 0; i < at.length; i++) expect(i + 1).toBeLessThanOrEqual(5 + (5 * at[i]!) / 1000);
  });

  it('leaves the rest to everyone else: other callers still find the rest of the bucket', async () => {
    const timing = fakeTiming();
    const limiter = new TenantLimiter({ perSecond: 10, burst: 10 }, 16, timing);
    for (let i = 0; i < 5; i++) await limiter.take(undefined, Number.POSITIVE_INFINITY, undefined, 0.5);
    const t = timing.now();
    for (let i = 0; i < 5; i++) await limiter.take(undefined, Number.POSITIVE_INFINITY);
    expect(timing.now()).toBe(t);
  });
});

describe('BudgetGate', () => {
  it('leases tokens for the requests waiting, one lease at a time, and a lone caller gets the whole rate', async () => {
    const timing = fakeTiming();
    const budget = new MemoryBudget();
    const spec = { perSecond: 100, burst: 20 };
    const gate = new BudgetGate(budget, 'k', spec, timing);
    const start = timing.now();
    await Promise.all(Array.from({ length: 220 }, () => gate.take(Number.POSITIVE_INFINITY)));
    // The burst at once (less a small reserve kept for late arrivals), then the whole rate: about
    // two seconds (never less: the rate holds), and far fewer leases than requests.
    const elapsed = timing.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThanOrEqual(2100);
    expect(budget.calls).toBeLessThan(220 / 4);
  });

  it('two processes sharing the budget together never exceed it', async () => {
    const timing = fakeTiming();
    const budget = new MemoryBudget();
    const spec = { perSecond: 50, burst: 10 };
    const a = new BudgetGate(budget, 'k', spec, timing);
    const b = new BudgetGate(budget, 'k', spec, timing);
    const start = timing.now();
    const times: number[] = [];
    const go = (g: BudgetGate) =>
      g.take(Number.POSITIVE_INFINITY).then(() => times.push(timing.now() - start));
    await Promise.all([
      ...Array.from({ length: 60 }, () => go(a)),
      ...Array.from({ length: 60 }, () => go(b)),
    ]);
    times.sort((x, y) => x - y);
    times.forEach((t, i) => {
      expect(i + 1).toBeLessThanOrEqual(spec.burst + (spec.perSecond * t) / 1000);
    });
    // And they used it: within a lease of the rate bound.
    expect(times.at(-1)).toBeLessThanOrEqual(((120 - spec.burst) / 50) * 1000 + 200);
  });

  it('gives up (false) when the wait would pass the deadline', async () => {
    const timing = fakeTiming();
    const gate = new BudgetGate(new MemoryBudget(), 'k', { perSecond: 1, burst: 1 }, timing);
    expect(await gate.take(timing.now() + 10)).toBe(true);
    expect(await gate.take(timing.now() + 10)).toBe(false);
  });
});
