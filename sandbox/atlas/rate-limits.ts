import { TokenBucket } from '../core/token-bucket.ts';
import type { RateLimitSetting, SandboxClock } from '../core/types.ts';
import { MongoApiError } from '../mongodb/api-error.ts';

export type EndpointSet = 'users' | 'invites' | 'teams';
export const ENDPOINT_SETS: readonly EndpointSet[] = ['users', 'invites', 'teams'];

/** Default per endpoint set x organisation: 100 requests burst, 10 per second refill. */
export const DEFAULT_LIMIT = { capacity: 100, refillPerSecond: 10 };

export type LimitResult = { headers: Record<string, string> };

/**
 * Atlas rate limits: a token bucket per endpoint set (the users, invitations and teams endpoints
 * separately) x organisation. Success responses carry `RateLimit-Limit` and `RateLimit-Remaining`;
 * an empty bucket answers 429 `RATE_LIMITED_TOKEN_BUCKET` with `Retry-After` and the detail text
 * of the vendor's rate-limit page.
 */
export class AtlasRateLimits {
  private settings = new Map<EndpointSet, { capacity: number; refillPerSecond: number } | null>();
  private buckets = new Map<string, TokenBucket>();

  constructor(private readonly clock: SandboxClock) {
    this.reset();
  }

  reset(): void {
    for (const s of ENDPOINT_SETS) this.settings.set(s, { ...DEFAULT_LIMIT });
    this.buckets.clear();
  }

  /** A setting without `scope` applies to every endpoint set; `null` disables them all. */
  set(setting: RateLimitSetting | null): void {
    const sets = setting?.scope ? [setting.scope as EndpointSet] : ENDPOINT_SETS;
    for (const s of sets) {
      if (!ENDPOINT_SETS.includes(s))
        throw new MongoApiError(400, 'INVALID_ATTRIBUTE', `unknown endpoint set ${s}`);
      const unlimited = !setting || !Number.isFinite(setting.capacity);
      this.settings.set(
        s,
        unlimited ? null : { capacity: setting.capacity, refillPerSecond: setting.refillPerSecond },
      );
    }
    for (const k of [...this.buckets.keys()])
      if (sets.some((s) => k.startsWith(`${s}|`))) this.buckets.delete(k);
  }

  view() {
    return Object.fromEntries(ENDPOINT_SETS.map((s) => [s, this.settings.get(s) ?? null]));
  }

  /** Takes one token or throws the 429. `resource` is e.g. `api/atlas/v2/orgs`. */
  take(set: EndpointSet, scopeKey: string, resource: string): LimitResult {
    const setting = this.settings.get(set);
    if (!setting) return { headers: {} };
    const key = `${set}|${scopeKey}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket({ ...setting, clock: this.clock });
      this.buckets.set(key, b);
    }
    const r = b.take();
    const limit = String(setting.capacity);
    if (r.ok) return { headers: { 'RateLimit-Limit': limit, 'RateLimit-Remaining': String(r.remaining) } };
    const refill = Math.round(setting.refillPerSecond * 60 * 1000) / 1000;
    throw new MongoApiError(
      429,
      'RATE_LIMITED_TOKEN_BUCKET',
      `Rate limit exceeded for ${resource}. Please retry after ${r.retryAfterSeconds} seconds. ` +
        `Request capacity: ${setting.capacity}. Refill rate: ${refill} per 60 seconds.`,
      [resource, r.retryAfterSeconds, setting.capacity, refill, 60],
      { 'Retry-After': String(r.retryAfterSeconds), 'RateLimit-Limit': limit, 'RateLimit-Remaining': '0' },
    );
  }
}
