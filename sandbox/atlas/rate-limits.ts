import { TokenBucket } from '../core/token-bucket.ts';
import type { RateLimitSetting, SandboxClock } from '../core/types.ts';
import { MongoApiError } from '../mongodb/api-error.ts';

export type EndpointSet = 'users' | 'invites' | 'teams';
export const ENDPOINT_SETS: readonly EndpointSet[] = ['users', 'invites', 'teams'];

/** Default per endpoint set x scope: 100 requests burst, 10 per second refill. */
export const DEFAULT_LIMIT = { capacity: 100, refillPerSecond: 10 };

export type LimitResult = { headers: Record<string, string> };

/**
 * The scope a request's bucket is counted in (docs/vendors.md#atlas-rate-limits: each endpoint set is limited per
 * organization, project, user or IP). `/orgs/{orgId}/...` counts per organisation and
 * `/groups/{groupId}/...` per project, as the path names them; the rest (`/users/...`) per user,
 * i.e. the calling credential [I]. A project is not its org: a busy project does not throttle the
 * org endpoints, nor its sibling projects.
 */
export function bucketScope(
  sub: string,
  scope: { orgId?: string; groupId?: string },
  caller: string,
): string {
  const root = sub.split('/')[1];
  if (root === 'groups' && scope.groupId) return `project:${scope.groupId}`;
  if (root === 'orgs' && scope.orgId) return `org:${scope.orgId}`;
  return `user:${caller}`;
}

/**
 * Atlas rate limits: a token bucket per endpoint set (the users, invitations and teams endpoints
 * separately) x scope (`bucketScope`). Success responses carry `RateLimit-Limit` and
 * `RateLimit-Remaining`; an empty bucket answers 429 `RATE_LIMITED_TOKEN_BUCKET` with `Retry-After`
 * and the detail text of the vendor's rate-limit page.
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
    if (r.ok) {
      return {
        headers: { 'RateLimit-Limit': String(setting.capacity), 'RateLimit-Remaining': String(r.remaining) },
      };
    }
    throw this.exceeded(set, resource, r.retryAfterSeconds);
  }

  /**
   * The 429 of an empty bucket of `set`. Injected 429s (fault rules) use it too, so a client
   * cannot tell them from the emulator's own: same code, detail, parameters and headers. With the
   * set's limit switched off it reports the default limit (the vendor always has one).
   */
  exceeded(set: EndpointSet, resource: string, retryAfterSeconds: number): MongoApiError {
    const setting = this.settings.get(set) ?? DEFAULT_LIMIT;
    const refill = Math.round(setting.refillPerSecond * 60 * 1000) / 1000;
    return new MongoApiError(
      429,
      'RATE_LIMITED_TOKEN_BUCKET',
      `Rate limit exceeded for ${resource}. Please retry after ${retryAfterSeconds} seconds. ` +
        `Request capacity: ${setting.capacity}. Refill rate: ${refill} per 60 seconds.`,
      [resource, retryAfterSeconds, setting.capacity, refill, 60],
      {
        'Retry-After': String(retryAfterSeconds),
        'RateLimit-Limit': String(setting.capacity),
        'RateLimit-Remaining': '0',
      },
    );
  }
}
