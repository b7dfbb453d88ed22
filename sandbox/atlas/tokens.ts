import { randomBytes, timingSafeEqual } from 'node:crypto';
import { TokenBucket } from '../core/token-bucket.ts';
import type { SandboxClock, SandboxRequest, SandboxResponse } from '../core/types.ts';
import { apiErrorBody } from '../mongodb/api-error.ts';
import type { CredentialRec, MongoStore } from '../mongodb/store.ts';

export const TOKEN_LIFETIME_SECONDS = 3600;
const JSON_TYPE = 'application/json';
/** 50 requests per minute per client (docs/vendors.md#atlas-auth). */
const DEFAULT_TOKEN_LIMIT = { capacity: 50, refillPerSecond: 50 / 60 };

/**
 * Service-account OAuth2 (client credentials): `POST /api/oauth/token` with Basic client auth and
 * form `grant_type=client_credentials` -> `{ access_token, expires_in: 3600, token_type: 'Bearer' }`;
 * `POST /api/oauth/revoke` with form `token=...`. Tokens expire on the sandbox clock. The token
 * endpoint is limited to 50 requests per minute per client (429 `RATE_LIMITED`, as seen in
 * practice). Error bodies use the ApiError shape (the one observed token-endpoint error is one).
 */
export class ServiceAccountTokens {
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private buckets = new Map<string, TokenBucket>();
  private limit: { capacity: number; refillPerSecond: number } | null = { ...DEFAULT_TOKEN_LIMIT };
  private issued = 0;

  constructor(
    private readonly store: MongoStore,
    private readonly clock: SandboxClock,
  ) {}

  /** `null` disables the token-endpoint limit. */
  setLimit(limit: { capacity: number; refillPerSecond: number } | null): void {
    this.limit = limit;
    this.buckets = new Map();
  }

  getLimit() {
    return this.limit;
  }

  reset(): void {
    this.tokens.clear();
    this.buckets = new Map();
    this.limit = { ...DEFAULT_TOKEN_LIMIT };
  }

  activeCount(): number {
    const now = this.clock.now();
    let n = 0;
    for (const t of this.tokens.values()) if (t.expiresAt > now) n++;
    return n;
  }

  /** The service account a Bearer token belongs to, if the token is known and not expired. */
  verify(token: string): CredentialRec | undefined {
    const t = this.tokens.get(token);
    if (!t) return undefined;
    if (this.clock.now() >= t.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    return this.store.serviceAccounts.get(t.clientId);
  }

  tokenEndpoint(req: SandboxRequest): SandboxResponse {
    if (req.method !== 'POST')
      return error(405, 'METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed.`);
    const basic = parseBasic(req.headers.authorization);
    if (!basic) return error(401, 'UNAUTHORIZED', 'Invalid client credentials.');
    const identity = `serviceAccount:${basic.clientId}`;
    if (this.limit) {
      let b = this.buckets.get(basic.clientId);
      if (!b) {
        b = new TokenBucket({ ...this.limit, clock: this.clock });
        this.buckets.set(basic.clientId, b);
      }
      const taken = b.take();
      if (!taken.ok) return { ...this.exceeded(taken.retryAfterSeconds), identity };
    }
    const sa = this.store.serviceAccounts.get(basic.clientId);
    if (!sa || !safeEqual(sa.secret, basic.secret)) {
      return { ...error(401, 'UNAUTHORIZED', 'Invalid client credentials.'), identity };
    }
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials') {
      return { ...error(400, 'UNSUPPORTED_GRANT_TYPE', 'grant_type must be client_credentials.'), identity };
    }
    const token = `mdb_at_${(++this.issued).toString(36)}_${randomBytes(24).toString('base64url')}`;
    const now = this.clock.now();
    this.tokens.set(token, { clientId: sa.id, expiresAt: now + TOKEN_LIFETIME_SECONDS * 1000 });
    if (this.issued % 1000 === 0) this.purge(now);
    return {
      status: 200,
      identity,
      headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' },
      body: { access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' },
    };
  }

  /**
   * The token endpoint's 429 as seen in practice (docs/vendors.md#atlas-auth): `RATE_LIMITED`, no `RateLimit-*`
   * headers. Injected 429s on the token path use it too. With the limit off it reports the default.
   */
  exceeded(retryAfterSeconds: number): SandboxResponse {
    const limit = this.limit ?? DEFAULT_TOKEN_LIMIT;
    const perMinutes = Math.max(1, Math.round(limit.capacity / limit.refillPerSecond / 60));
    return {
      status: 429,
      headers: { 'Content-Type': JSON_TYPE, 'Retry-After': String(retryAfterSeconds) },
      body: apiErrorBody(
        429,
        'RATE_LIMITED',
        `Resource /api/oauth/token is limited to ${limit.capacity} requests every ${perMinutes} minutes.`,
        ['/api/oauth/token', limit.capacity, perMinutes],
      ),
    };
  }

  revokeEndpoint(req: SandboxRequest): SandboxResponse {
    if (req.method !== 'POST')
      return error(405, 'METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed.`);
    const basic = parseBasic(req.headers.authorization);
    const sa = basic && this.store.serviceAccounts.get(basic.clientId);
    if (!basic || !sa || !safeEqual(sa.secret, basic.secret)) {
      return error(401, 'UNAUTHORIZED', 'Invalid client credentials.');
    }
    const token = new URLSearchParams(req.body.toString('utf8')).get('token');
    if (token && this.tokens.get(token)?.clientId === sa.id) this.tokens.delete(token);
    return {
      status: 200,
      identity: `serviceAccount:${sa.id}`,
      headers: { 'Content-Type': JSON_TYPE },
      body: {},
    };
  }

  private purge(now: number): void {
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
  }
}

function error(status: number, code: string, detail: string): SandboxResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE }, body: apiErrorBody(status, code, detail) };
}

function parseBasic(header: string | undefined): { clientId: string; secret: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { clientId: dec(text.slice(0, i)), secret: dec(text.slice(i + 1)) };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
