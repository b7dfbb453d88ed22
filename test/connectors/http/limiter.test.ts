import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullJitterDelay, parseRetryAfter } from '../../../lambdas/connectors/http/backoff.ts';
import { Semaphore, TenantLimiter, TokenBucket } from '../../../lambdas/connectors/http/limiter.ts';
import { DEFAULT_RETRY } from '../../../lambdas/connectors/http/types.ts';
import { fakeTiming } from '../support/http.ts';

describe('token bucket', () => {
  it('allows a burst, then one token per 1/rate seconds', () => {
    let now = 0;
    const b = new TokenBucket({ perSecond: 2, burst: 3 }, () => now);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([0, 0, 0]);
    expect(b.tryTake()).toBe(500);
    now += 500;
    expect(b.tryTake()).toBe(0);
    expect(b.tryTake()).toBe(500);
  });

  it('never holds more than its burst', () => {
    let now = 0;
    const b = new TokenBucket({ perSecond: 10, burst: 2 }, () => now);
    now += 60_000;
    expect([b.tryTake(), b.tryTake()]).toEqual([0, 0]);
    expect(b.tryTake()).toBeGreaterThan(0);
  });

  it('a 429 pauses every taker until Retry-After and halves the rate; successes recover it', () => {
    let now = 0;
    const b = new TokenBucket({ perSecond: 10, burst: 10 }, () => now);
    b.onRateLimited(3000);
    expect(b.tryTake()).toBe(3000);
    expect(b.rate).toBe(5);
    now += 3000;
    expect(b.tryTake()).toBe(0);
    for (let i = 0; i < 20; i++) b.onSuccess();
    expect(b.rate).toBe(10);
  });

  it('when a Retry-After pause ends one request may go, even at a slow documented rate', () => {
    let now = 0;
    // Atlas's documented bucket: 10, refilled 5 a minute; a 429 halves that to one per 24 s.
    const b = new TokenBucket({ perSecond: 5 / 60, burst: 10 }, () => now);
    b.onRateLimited(1000);
    now += 1000;
    expect(b.tryTake()).toBe(0);
    expect(b.tryTake()).toBeGreaterThan(20_000);
  });

  it('RateLimit-Remaining below the tokens lowers them (0 = wait for a refill)', () => {
    let now = 0;
    const b = new TokenBucket({ perSecond: 2, burst: 10 }, () => now);
    b.onRemaining(2);
    expect([b.tryTake(), b.tryTake()]).toEqual([0, 0]);
    expect(b.tryTake()).toBe(500);
    now += 500;
    b.onRemaining(0);
    expect(b.tryTake()).toBe(500);
  });

  it('RateLimit-Remaining of a full burst or more, less the requests in flight, fills the bucket; less than that adds nothing', () => {
    const now = 0;
    const b = new TokenBucket({ perSecond: 5 / 60, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) expect(b.tryTake()).toBe(0);
    b.onRemaining(2); // fewer than a burst: the documented refill still applies
    expect(b.tryTake()).toBeGreaterThan(10_000);
    b.sent();
    b.onRemaining(3); // 3 left, 1 of ours in flight: 2 free, less than a burst
    expect(b.tryTake()).toBeGreaterThan(10_000);
    b.answered();
    b.onRemaining(80); // the vendor's bucket is far larger than the default
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([0, 0, 0]);
    expect(b.tryTake()).toBeGreaterThan(10_000);
  });

  it('repeated 429s keep slowing down to a floor', () => {
    const b = new TokenBucket({ perSecond: 16, burst: 1 }, () => 0);
    for (let i = 0; i < 10; i++) b.onRateLimited(0);
    expect(b.rate).toBe(1);
  });

  it('the limiter waits for a token and refuses to wait past the deadline', async () => {
    const timing = fakeTiming();
    const limiter = new TenantLimiter({ perSecond: 1, burst: 1 }, 4, timing);
    const start = timing.now();
    expect(await limiter.take(undefined, start + 10_000)).toBe(true);
    expect(await limiter.take(undefined, start + 10_000)).toBe(true);
    expect(timing.sleeps).toEqual([1000]);
    expect(await limiter.take(undefined, timing.now() + 100)).toBe(false);
  });

  it('keys are separate buckets (Atlas endpoint sets)', async () => {
    const timing = fakeTiming();
    const limiter = new TenantLimiter({ perSecond: 1, burst: 1 }, 4, timing);
    await limiter.take('org:users', timing.now() + 10_000);
    await limiter.take('org:invites', timing.now() + 10_000);
    expect(timing.sleeps).toEqual([]);
  });
});

describe('semaphore', () => {
  it('admits at most max holders, FIFO', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    await s.acquire();
    const order: number[] = [];
    const third = s.acquire().then((r) => {
      order.push(3);
      return r;
    });
    await Promise.resolve();
    expect(s.inUse).toBe(2);
    expect(order).toEqual([]);
    r1();
    r1(); // a second release is a no-op
    await third;
    expect(order).toEqual([3]);
    expect(s.inUse).toBe(2);
  });
});

describe('backoff', () => {
  it('full jitter stays within [0, min(cap, base*2^(n-1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (n, r) => {
          const d = fullJitterDelay(n, DEFAULT_RETRY, () => r);
          const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (n - 1));
          return d >= 0 && d < ceiling && Number.isInteger(d);
        },
      ),
    );
    expect(fullJitterDelay(1, DEFAULT_RETRY, () => 0)).toBe(0);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-23T18:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 18:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 17:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
