import type { SandboxClock } from './types.ts';

export interface TokenBucketOptions {
  capacity: number;
  refillPerSecond: number;
  clock: SandboxClock;
}

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/**
 * A token bucket on the sandbox clock: starts full, refills continuously at `refillPerSecond`
 * up to `capacity`. `take(n)` either removes n tokens or says how long until n are available.
 */
export class TokenBucket {
  private capacityValue: number;
  private refillPerSecondValue: number;
  private tokens: number;
  private last: number;
  private readonly clock: SandboxClock;

  constructor(opts: TokenBucketOptions) {
    validate(opts.capacity, opts.refillPerSecond);
    this.capacityValue = opts.capacity;
    this.refillPerSecondValue = opts.refillPerSecond;
    this.clock = opts.clock;
    this.tokens = opts.capacity;
    this.last = opts.clock.now();
  }

  get capacity(): number {
    return this.capacityValue;
  }

  get refillPerSecond(): number {
    return this.refillPerSecondValue;
  }

  take(n = 1): TakeResult {
    this.refill();
    if (this.tokens >= n) {
      this.tokens -= n;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    const missing = n - this.tokens;
    const retryAfterSeconds =
      this.refillPerSecondValue > 0 ? Math.max(1, Math.ceil(missing / this.refillPerSecondValue)) : 3600;
    return { ok: false, retryAfterSeconds };
  }

  /** Tokens available now (floored), without taking any. */
  remaining(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Changes capacity and refill rate; the bucket is refilled to the new capacity. */
  configure(opts: { capacity: number; refillPerSecond: number }): void {
    validate(opts.capacity, opts.refillPerSecond);
    this.capacityValue = opts.capacity;
    this.refillPerSecondValue = opts.refillPerSecond;
    this.tokens = opts.capacity;
    this.last = this.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.capacityValue, this.tokens + elapsed * this.refillPerSecondValue);
  }
}

function validate(capacity: number, refillPerSecond: number): void {
  if (!Number.isFinite(capacity) || capacity < 0)
    throw new RangeError('capacity must be a finite number >= 0');
  if (!Number.isFinite(refillPerSecond) || refillPerSecond < 0) {
    throw new RangeError('refillPerSecond must be a finite number >= 0');
  }
}
