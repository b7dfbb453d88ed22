/**
 * Client-side rate limiting for one vendor tenant: token buckets (one per key: the tenant, or an
 * Atlas endpoint set) plus a concurrency cap. A 429 pauses the bucket until Retry-After and halves
 * its rate for every caller of that bucket; successes bring the rate back step by step. The
 * vendor's own count wins when it sends one (`RateLimit-Remaining`, less the requests still in
 * flight on the bucket): fewer left than the bucket believes lowers its tokens (other processes
 * may share the vendor's bucket); a full burst or more left fills it, so a vendor whose real bucket
 * is larger than the default is not throttled to the default's refill. Without the header the
 * configured (documented) rate holds. When a Retry-After pause ends one request may go at once,
 * since the vendor said it would take one then.
 */
import type { RateBudget, RateSpec } from '../../core/rate-budget.ts';
import { BudgetGate } from './budget.ts';
import type { Timing } from './types.ts';

export type { RateSpec } from '../../core/rate-budget.ts';

const MIN_FACTOR = 1 / 16;
const RECOVERY_STEP = 0.05;

export class TokenBucket {
  private tokens: number;
  private last: number;
  private factor = 1;
  private pausedUntil = 0;
  /** The pause came from the vendor's Retry-After: one request may go when it ends. */
  private resumeToken = false;
  /** Requests sent on this bucket whose answers have not come back. */
  private inFlight = 0;

  constructor(
    private readonly spec: RateSpec,
    private readonly now: () => number,
  ) {
    this.tokens = spec.burst;
    this.last = now();
  }

  /** Current refill rate (tokens per second) after 429 slow-downs. */
  get rate(): number {
    return this.spec.perSecond * this.factor;
  }

  /** Takes a token now and returns 0, or returns the milliseconds to wait before trying again. */
  tryTake(): number {
    const now = this.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill(now);
    if (this.resumeToken) {
      this.resumeToken = false;
      this.tokens = Math.max(this.tokens, 1);
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
  }

  /**
   * The vendor said 429: stop everyone on this bucket until `retryAfterMs` and halve the rate.
   * 429s that arrive during a pause (concurrent calls hit by the same event) only extend it.
   */
  onRateLimited(retryAfterMs: number | undefined): void {
    const now = this.now();
    this.refill(now);
    if (now >= this.pausedUntil) this.factor = Math.max(MIN_FACTOR, this.factor / 2);
    this.tokens = 0;
    const pause = retryAfterMs ?? Math.ceil(1000 / this.rate);
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    if (retryAfterMs !== undefined) this.resumeToken = true;
  }

  /** A request of this bucket went out / its answer (or failure) came back. */
  sent(): void {
    this.inFlight += 1;
  }

  answered(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * The vendor said how many requests its bucket has left (`RateLimit-Remaining`), counted before
   * the requests still in flight reached it. Fewer than the bucket holds: the bucket drops to that
   * (0 makes the next caller wait for a refill). A full burst or more: the bucket is full again.
   */
  onRemaining(remaining: number): void {
    if (!Number.isFinite(remaining) || remaining < 0) return;
    this.refill(this.now());
    const free = Math.max(0, remaining - this.inFlight);
    if (free < this.tokens) this.tokens = free;
    else if (free >= this.spec.burst) this.tokens = this.spec.burst;
  }

  onSuccess(): void {
    if (this.factor < 1) this.factor = Math.min(1, this.factor + RECOVERY_STEP);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.spec.burst, this.tokens + elapsed * this.rate);
  }
}

/** A counting semaphore (FIFO). */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly max: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.max) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
    this.active++;
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.waiters.shift()?.();
    };
  }
}

/** The budget shared across processes and this tenant's part of its key. */
export interface SharedBudget {
  budget: RateBudget;
  /** Prefix of the budget keys, e.g. `itwin:tenant-1` (the bucket's key follows). */
  key: string;
}

export class TenantLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly shareBuckets = new Map<string, TokenBucket>();
  private readonly gates = new Map<string, BudgetGate>();
  readonly concurrency: Semaphore;

  constructor(
    private readonly spec: RateSpec,
    maxConcurrency: number,
    private readonly timing: Timing,
    private readonly shared?: SharedBudget,
  ) {
    this.concurrency = new Semaphore(maxConcurrency);
  }

  bucket(key = 'tenant'): TokenBucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.spec, () => this.timing.now());
      this.buckets.set(key, b);
    }
    return b;
  }

  /**
   * Waits for a token of `key`: with `share` < 1 first one of that share of the bucket (rate and
   * burst: the inventory sync's part), then one of this process's bucket (its 429 pauses, the
   * vendor's RateLimit-Remaining), then one of the budget shared with every other process.
   * Returns false (without taking one) when the wait would end after `deadline`: the caller then
   * stops rather than sleep past it.
   */
  async take(
    key: string | undefined,
    deadline: number,
    signal?: AbortSignal,
    share?: number,
  ): Promise<boolean> {
    if (share !== undefined && share > 0 && share < 1) {
      if (!(await this.wait(this.shareBucket(key, share), deadline, signal))) return false;
    }
    if (!(await this.wait(this.bucket(key), deadline, signal))) return false;
    return this.shared ? this.gate(key).take(deadline, signal) : true;
  }

  private async wait(bucket: TokenBucket, deadline: number, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      const wait = bucket.tryTake();
      if (wait === 0) return true;
      if (this.timing.now() + wait > deadline) return false;
      await this.timing.sleep(wait, signal);
    }
  }

  private shareBucket(key = 'tenant', share: number): TokenBucket {
    const k = `${key}@${share}`;
    let b = this.shareBuckets.get(k);
    if (!b) {
      const spec = {
        perSecond: this.spec.perSecond * share,
        burst: Math.max(1, Math.floor(this.spec.burst * share)),
      };
      b = new TokenBucket(spec, () => this.timing.now());
      this.shareBuckets.set(k, b);
    }
    return b;
  }

  private gate(key = 'tenant'): BudgetGate {
    let g = this.gates.get(key);
    if (!g) {
      g = new BudgetGate(this.shared!.budget, `${this.shared!.key}:${key}`, this.spec, this.timing);
      this.gates.set(key, g);
    }
    return g;
  }
}
