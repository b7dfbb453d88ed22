/**
 * Bentley IMS for the emulator: `POST /ims/connect/token` (OAuth2 client credentials,
 * docs/vendors.md#itwin-auth)
 * and Bearer validation for the API.
 *
 * - Client auth: HTTP Basic (client_secret_basic, url-encoded id/secret per RFC 6749 2.3.1) or
 *   `client_id`/`client_secret` in the form body (client_secret_post).
 * - `grant_type=client_credentials`; `scope` must include `itwin-platform` and nothing a service app
 *   may not have (`openid email profile organization` are refused) -> else 400 invalid_scope.
 * - Errors are OAuth bodies `{ error }`: bad/unknown client -> 401 invalid_client (the sandbox's
 *   choice; IdentityServer itself answers 400 for it).
 * - Tokens are opaque random strings that expire on the sandbox clock (default 3600 s).
 * - API: no Authorization header -> 401 HeaderNotFound; anything but a live Bearer token -> 401
 *   Unauthorized.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../core/types.ts';
import { headerNotFound, unauthorized } from './errors.ts';
import type { Caller } from './model.ts';
import type { ItwinStore } from './store.ts';

const SERVICE_SCOPES = new Set(['itwin-platform']);

interface TokenRecord {
  kind: 'client' | 'user';
  userId: string;
  clientId?: string;
  expiresAt: number;
}

export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(private readonly store: ItwinStore) {}

  issue(rec: Omit<TokenRecord, 'expiresAt'>, lifetimeSeconds: number): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { ...rec, expiresAt: this.store.clock.now() + lifetimeSeconds * 1000 });
    return token;
  }

  lookup(token: string): TokenRecord | undefined {
    const rec = this.tokens.get(token);
    if (!rec) return undefined;
    if (this.store.clock.now() >= rec.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    return rec;
  }

  activeCount(): number {
    const now = this.store.clock.now();
    let n = 0;
    for (const [token, rec] of this.tokens) {
      if (now >= rec.expiresAt) this.tokens.delete(token);
      else n++;
    }
    return n;
  }

  clear(): void {
    this.tokens.clear();
  }
}

const oauthError = (
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
) => ({
  status,
  headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...headers },
  body: { error, error_description: description },
});

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function decodeFormComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function tokenEndpoint(req: SandboxRequest, store: ItwinStore, tokens: TokenStore): SandboxResponse {
  if (req.method !== 'POST') {
    return oauthError(405, 'invalid_request', 'The token endpoint accepts POST only.', { allow: 'POST' });
  }
  const ctype = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!ctype.startsWith('application/x-www-form-urlencoded')) {
    return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
  }
  const form = new URLSearchParams(req.body.toString('utf8'));
  let clientId: string | undefined;
  let clientSecret: string | undefined;
  let basic = false;
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (!m || colon < 0) {
      return oauthError(401, 'invalid_client', 'Malformed Basic client authentication.', {
        'www-authenticate': 'Basic realm="ims"',
      });
    }
    basic = true;
    clientId = decodeFormComponent(decoded.slice(0, colon));
    clientSecret = decodeFormComponent(decoded.slice(colon + 1));
    if (form.has('client_secret')) {
      return oauthError(400, 'invalid_request', 'Use only one client authentication method.');
    }
  } else {
    clientId = form.get('client_id') ?? undefined;
    clientSecret = form.get('client_secret') ?? undefined;
  }
  const grantType = form.get('grant_type');
  if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is required.');
  if (clientId === undefined || clientSecret === undefined) {
    return oauthError(401, 'invalid_client', 'Client authentication is required.');
  }
  const client = store.clients.get(clientId);
  if (!client || !safeEqual(client.clientSecret, clientSecret)) {
    return oauthError(
      401,
      'invalid_client',
      'Invalid client credentials.',
      basic ? { 'www-authenticate': 'Basic realm="ims"' } : {},
    );
  }
  if (grantType !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported for this client.');
  }
  const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('itwin-platform') || scopes.some((s) => !SERVICE_SCOPES.has(s))) {
    return oauthError(400, 'invalid_scope', 'The requested scope is invalid for this client.');
  }
  const lifetime = store.tokenLifetimeSeconds;
  const accessToken = tokens.issue(
    { kind: 'client', userId: client.userId, clientId: client.clientId },
    lifetime,
  );
  return {
    status: 200,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    body: { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer', scope: 'itwin-platform' },
  };
}

/** The caller of an API request, or the 401 answer. */
export function authenticate(
  req: SandboxRequest,
  store: ItwinStore,
  tokens: TokenStore,
): Caller | SandboxResponse {
  const auth = req.headers.authorization;
  if (auth === undefined || auth === '') return headerNotFound();
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  const rec = m ? tokens.lookup(m[1]!) : undefined;
  if (!rec) return unauthorized();
  const user = store.users.get(rec.userId);
  if (!user) return unauthorized();
  if (rec.kind === 'client') {
    const client = rec.clientId === undefined ? undefined : store.clients.get(rec.clientId);
    if (!client) return unauthorized();
    return {
      userId: user.id,
      email: user.email,
      orgAdmin: client.orgAdmin,
      bucketKey: `client:${client.clientId}`,
      clientId: client.clientId,
    };
  }
  return { userId: user.id, email: user.email, orgAdmin: false, bucketKey: `user:${user.id}` };
}

export const isResponse = (v: unknown): v is SandboxResponse =>
  typeof v === 'object' &&
  v !== null &&
  'status' in v &&
  typeof (v as { status: unknown }).status === 'number';
