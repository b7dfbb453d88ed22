/**
 * Rate limits per OAuth client (docs/vendors.md#itwin-rate-limits): Trial 500/min, Basic/Premium/Custom 5,000/min
 * (default 5,000/min). One token bucket per client (user tokens: per user) on the sandbox clock.
 * Over the limit -> 429 RateLimitExceeded with `retry-after` and the `iTwinPlatform-RateLimit-*`
 * diagnostic headers. (The Trial tier's extra 5,000/hour cap is not modelled.)
 */
import { TokenBucket } from '../core/token-bucket.ts';
import type { SandboxResponse } from '../core/types.ts';
import { apiError, MESSAGES } from './errors.ts';
import type { Caller } from './model.ts';
import type { ItwinStore } from './store.ts';

export interface Limit {
  capacity: number;
  refillPerSecond: number;
}

export const perMinute = (n: number): Limit => ({ capacity: n, refillPerSecond: n / 60 });

/** Normalises a setting: null, or an infinite capacity, disables limiting. */
export function toLimit(setting: { capacity: number; refillPerSecond: number } | null): Limit | null {
  if (setting === null || setting.capacity === Number.POSITIVE_INFINITY) return null;
  const { capacity, refillPerSecond } = setting;
  if (
    !(Number.isFinite(capacity) && capacity >= 0 && Number.isFinite(refillPerSecond) && refillPerSecond >= 0)
  ) {
    throw new Error('capacity and refillPerSecond must be finite numbers >= 0');
  }
  return { capacity, refillPerSecond };
}

export const tierOf = (l: Limit): string => (l.capacity <= 500 ? 'Trial' : 'Basic');

export class RateLimiter {
  private readonly buckets = new Map<string, { bucket: TokenBucket; limit: Limit }>();
  /** Tier label override (set-rate-limit `tier`). */
  tier: string | undefined;

  constructor(private readonly store: ItwinStore) {}

  clear(): void {
    this.buckets.clear();
    this.tier = undefined;
  }

  private limitFor(caller: Caller): Limit | null {
    const client = caller.clientId === undefined ? undefined : this.store.clients.get(caller.clientId);
    if (client && client.rateLimit !== undefined) return client.rateLimit;
    return this.store.rateLimit;
  }

  /** null = allowed; otherwise the 429 answer. */
  check(caller: Caller): SandboxResponse | null {
    const limit = this.limitFor(caller);
    if (limit === null) return null;
    let entry = this.buckets.get(caller.bucketKey);
    if (!entry || entry.limit !== limit) {
      entry = { limit, bucket: new TokenBucket({ ...limit, clock: this.store.clock }) };
      this.buckets.set(caller.bucketKey, entry);
    }
    const r = entry.bucket.take();
    if (r.ok) return null;
    return rateLimited(r.retryAfterSeconds, this.tier ?? tierOf(limit));
  }
}

export function rateLimited(retryAfterSeconds: number, tier: string): SandboxResponse {
  const retry = String(retryAfterSeconds);
  return apiError(429, 'RateLimitExceeded', MESSAGES.RateLimitExceeded, {
    headers: {
      'retry-after': retry,
      'iTwinPlatform-RateLimit-Retry-After-Seconds': retry,
      'iTwinPlatform-RateLimit-RemainingCalls': '0',
      'iTwinPlatform-RateLimited-Tier': tier,
    },
  });
}
