import type {
  EmulatorEnv,
  RateLimitSetting,
  SandboxRequest,
  SandboxResponse,
  VendorEmulator,
} from '../core/types.ts';
import { sharedAction, unknownAction } from '../mongodb/actions.ts';
import { ActionError, apiErrorBody, MongoApiError, notFoundResource } from '../mongodb/api-error.ts';
import { unauthorized, verifyDigestKey } from '../mongodb/auth-challenge.ts';
import { DigestVerifier } from '../mongodb/digest.ts';
import { render } from '../mongodb/render.ts';
import { allowed, forbidden } from '../mongodb/roles.ts';
import { Router } from '../mongodb/router.ts';
import { resolveScope } from '../mongodb/scope.ts';
import type { MongoSeed } from '../mongodb/seed.ts';
import { type CredentialRec, MongoStore } from '../mongodb/store.ts';
import { checkQueryParams } from './query-params.ts';
import { AtlasRateLimits, bucketScope } from './rate-limits.ts';
import type { AtlasRoute } from './route-types.ts';
import { ATLAS_ROUTES } from './routes.ts';
import { ServiceAccountTokens } from './tokens.ts';
import { mediaType, negotiateVersion } from './versions.ts';
import { V2 } from './views.ts';

const JSON_TYPE = 'application/json';

export type AtlasSeed = MongoSeed;

type FaultedRequest = { method: string; path: string };

/** The resource a 429 names: the first path segment below v2, e.g. `api/atlas/v2/groups`. */
const resourceOf = (sub: string) => `api/atlas/v2/${sub.split('/')[1] ?? ''}`;

/**
 * MongoDB Atlas Administration API v2 emulator (docs/vendors.md#atlas-versions onwards, and the
 * vendor's OpenAPI subset in test/fixtures/atlas-openapi): service-account OAuth2 tokens and HTTP Digest API keys, versioned media types,
 * invitations (bare arrays), MongoDB Cloud Users with ACTIVE/PENDING status, teams, paging,
 * envelope/pretty, ApiError bodies, token-bucket rate limits per endpoint set x organisation,
 * project or user (whichever the path names), and `:removeRole` on org and project users.
 *
 * Request pipeline: auth (401 + Digest challenge) -> route (404/405) -> query parameters the
 * operation does not define (400) -> version (406) -> ids
 * (400) and existence (404) -> roles (403) -> rate limit (429) -> handler.
 */
export function createAtlasEmulator(
  env: EmulatorEnv,
): VendorEmulator<AtlasSeed> & { readonly store: MongoStore } {
  const store = new MongoStore(env.clock, '6a1b00ff');
  const digest = new DigestVerifier({ clock: env.clock });
  const tokens = new ServiceAccountTokens(store, env.clock);
  const limits = new AtlasRateLimits(env.clock);
  const router = new Router<AtlasRoute>(ATLAS_ROUTES);

  function setRateLimit(setting: RateLimitSetting | null): void {
    if (setting?.scope === 'token') {
      tokens.setLimit(Number.isFinite(setting.capacity) ? setting : null);
      return;
    }
    if (setting === null) tokens.setLimit(null);
    limits.set(setting);
  }

  function authenticate(req: SandboxRequest): CredentialRec | SandboxResponse {
    const auth = req.headers.authorization;
    if (auth && /^Bearer\s+/i.test(auth)) {
      const sa = tokens.verify(auth.replace(/^Bearer\s+/i, '').trim());
      return sa ?? unauthorized(digest);
    }
    if (auth && /^Digest\s/i.test(auth)) {
      const uri = req.originalUrl ?? req.path + (req.query.size ? `?${req.query}` : '');
      const v = verifyDigestKey(digest, store, req.method, uri, auth);
      return 'fail' in v ? unauthorized(digest, v.fail.stale) : v.cred;
    }
    return unauthorized(digest);
  }

  function handle(req: SandboxRequest): SandboxResponse {
    if (req.path === '/api/oauth/token') return tokens.tokenEndpoint(req);
    if (req.path === '/api/oauth/revoke') return tokens.revokeEndpoint(req);
    const who = authenticate(req);
    if ('status' in who) return who;
    const identity = `${who.kind}:${who.id}`;
    try {
      const r = dispatch(req, who);
      return { ...r, identity };
    } catch (err) {
      if (err instanceof MongoApiError)
        return { ...render(req, err.status, err.body, JSON_TYPE, err.headers), identity };
      throw err;
    }
  }

  function dispatch(req: SandboxRequest, cred: CredentialRec): SandboxResponse {
    if (!req.path.startsWith(`${V2}/`)) throw notFoundResource(req.path);
    const sub = req.path.slice(V2.length);
    const m = router.match(req.method, sub);
    if (m.kind === 'none') throw notFoundResource(req.path);
    if (m.kind === 'method') {
      throw new MongoApiError(
        405,
        'METHOD_NOT_ALLOWED',
        `Method ${req.method} is not allowed on ${req.path}.`,
        [req.method],
      );
    }
    checkQueryParams(req, req.method, m.route.pattern);
    const meta = m.route.meta;
    const version = negotiateVersion(req.headers.accept, meta.versions);
    const scope = resolveScope(store, m.params);
    if (!allowed(cred.roles, meta.need, scope.orgId, scope.groupId)) throw forbidden();
    const bucket = bucketScope(sub, scope, `${cred.kind}:${cred.id}`);
    const { headers } = limits.take(meta.set, bucket, resourceOf(sub));
    const out = meta.run({ req, params: m.params, scope, store, version });
    return render(req, out.status, out.body, mediaType(version), headers);
  }

  /**
   * An injected 429 (fault rules `rate-limit`, `storm`) answers exactly as the limit it stands for
   * would: the token endpoint's own 429 there, elsewhere the bucket 429 of the endpoint set the path
   * belongs to (`RATE_LIMITED_TOKEN_BUCKET`, `RateLimit-Limit`, `RateLimit-Remaining: 0`,
   * `Retry-After`), so a client handles both the same way.
   */
  function injected429(req: FaultedRequest | undefined, retryAfter: number): SandboxResponse {
    if (req?.path === '/api/oauth/token') return tokens.exceeded(retryAfter);
    const sub = req?.path.startsWith(`${V2}/`) ? req.path.slice(V2.length) : '/';
    const m = req ? router.match(req.method, sub) : undefined;
    const set = m?.kind === 'ok' ? m.route.meta.set : 'users';
    const err = limits.exceeded(set, resourceOf(sub), retryAfter);
    return { status: 429, headers: { 'Content-Type': JSON_TYPE, ...err.headers }, body: err.body };
  }

  return {
    name: 'atlas',
    store,
    handle,
    seed(seed: AtlasSeed) {
      store.load(seed);
    },
    reset() {
      store.clear();
      digest.reset();
      tokens.reset();
      limits.reset();
    },
    state() {
      return {
        ...store.snapshot(),
        activeTokens: tokens.activeCount(),
        rateLimits: { ...limits.view(), token: tokens.getLimit() },
        nonceTtlSeconds: digest.nonceTtl / 1000,
      };
    },
    control(action: string, payload: unknown) {
      if (action === 'set-rate-limit') {
        setRateLimit((payload as RateLimitSetting | null) ?? null);
        return { ok: true };
      }
      if (action === 'reject-invitation') {
        const id = (payload as { invitationId?: unknown })?.invitationId;
        const inv = typeof id === 'string' ? store.orgInvites.get(id) : undefined;
        if (!inv) throw new ActionError(404, 'no org invitation with that invitationId');
        inv.rejected = true;
        return { ok: true };
      }
      const r = sharedAction(store, digest, action, payload);
      if (r === undefined) throw unknownAction('atlas', action);
      return r;
    },
    setRateLimit,
    faultResponse(status: number, retryAfter?: number, req?: FaultedRequest): SandboxResponse {
      if (status === 429) return injected429(req, retryAfter ?? 1);
      const headers: Record<string, string> = { 'Content-Type': JSON_TYPE };
      if (status === 503 && retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
      return { status, headers, body: apiErrorBody(status, 'UNEXPECTED_ERROR', 'Unexpected error.') };
    },
  };
}
