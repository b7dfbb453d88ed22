import { TokenBucket } from '../core/token-bucket.ts';
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
import { MongoStore } from '../mongodb/store.ts';
import { CM_ROUTES, type CmRoute } from './routes.ts';
import { CM_BASE } from './views.ts';

const JSON_TYPE = 'application/json';

export type CloudManagerSeed = MongoSeed;

/**
 * MongoDB Cloud Manager Public API v1.0 emulator (docs/vendors.md#cloud-manager-requests): HTTP Digest with
 * programmatic API keys, `/invites`, org/project/team users, paging, envelope, pretty, ApiError
 * bodies. Rate limiting is off by default (no documented numbers); when set it is one token
 * bucket per API key answering 429 `RATE_LIMITED` with `Retry-After`.
 */
export function createCloudManagerEmulator(env: EmulatorEnv): VendorEmulator<CloudManagerSeed> & {
  readonly store: MongoStore;
} {
  const store = new MongoStore(env.clock, '5f1a00ff');
  const digest = new DigestVerifier({ clock: env.clock });
  const router = new Router<CmRoute>(CM_ROUTES);
  let limit: RateLimitSetting | null = null;
  let buckets = new Map<string, TokenBucket>();

  function setRateLimit(setting: RateLimitSetting | null): void {
    limit = setting && Number.isFinite(setting.capacity) ? setting : null;
    buckets = new Map();
  }

  function handle(req: SandboxRequest): SandboxResponse {
    try {
      return dispatch(req);
    } catch (err) {
      if (err instanceof MongoApiError) return render(req, err.status, err.body, JSON_TYPE, err.headers);
      throw err;
    }
  }

  function dispatch(req: SandboxRequest): SandboxResponse {
    const auth = req.headers.authorization;
    if (!auth || !/^Digest /i.test(auth)) return unauthorized(digest);
    const uri = req.originalUrl ?? req.path + (req.query.size ? `?${req.query}` : '');
    const v = verifyDigestKey(digest, store, req.method, uri, auth);
    if ('fail' in v) return unauthorized(digest, v.fail.stale);
    const identity = `apiKey:${v.cred.id}`;
    const withId = (r: SandboxResponse): SandboxResponse => ({ ...r, identity });
    try {
      if (limit) {
        let b = buckets.get(v.cred.id);
        if (!b) {
          b = new TokenBucket({
            capacity: limit.capacity,
            refillPerSecond: limit.refillPerSecond,
            clock: env.clock,
          });
          buckets.set(v.cred.id, b);
        }
        const t = b.take();
        if (!t.ok) throw rateLimited(t.retryAfterSeconds);
      }
      if (!req.path.startsWith(`${CM_BASE}/`)) throw notFoundResource(req.path);
      const m = router.match(req.method, req.path.slice(CM_BASE.length));
      if (m.kind === 'none') throw notFoundResource(req.path);
      if (m.kind === 'method') {
        throw new MongoApiError(
          405,
          'METHOD_NOT_ALLOWED',
          `Method ${req.method} is not allowed on ${req.path}.`,
          [req.method],
        );
      }
      const scope = resolveScope(store, m.params);
      if (!allowed(v.cred.roles, m.route.meta.need, scope.orgId, scope.groupId)) throw forbidden();
      const out = m.route.meta.run({ req, params: m.params, scope, store });
      return withId(render(req, out.status, out.body, JSON_TYPE));
    } catch (err) {
      if (err instanceof MongoApiError)
        return withId(render(req, err.status, err.body, JSON_TYPE, err.headers));
      throw err;
    }
  }

  return {
    name: 'cloudmanager',
    store,
    handle,
    seed(seed: CloudManagerSeed) {
      store.load(seed);
    },
    reset() {
      store.clear();
      digest.reset();
      setRateLimit(null);
    },
    state() {
      return { ...store.snapshot(), rateLimit: limit, nonceTtlSeconds: digest.nonceTtl / 1000 };
    },
    control(action: string, payload: unknown) {
      if (action === 'set-rate-limit') {
        setRateLimit((payload as RateLimitSetting | null) ?? null);
        return { ok: true };
      }
      const r = sharedAction(store, digest, action, payload);
      if (r === undefined) throw unknownAction('cloudmanager', action);
      return r;
    },
    setRateLimit,
    faultResponse(status: number, retryAfter?: number): SandboxResponse {
      if (status === 429) {
        const e = rateLimited(retryAfter ?? 1);
        return { status: 429, headers: { 'Content-Type': JSON_TYPE, ...e.headers }, body: e.body };
      }
      return {
        status,
        headers: { 'Content-Type': JSON_TYPE },
        body: apiErrorBody(status, 'UNEXPECTED_ERROR', 'Unexpected error.'),
      };
    },
  };
}

function rateLimited(retryAfter: number): MongoApiError {
  return new MongoApiError(
    429,
    'RATE_LIMITED',
    `Rate limit exceeded. Please retry after ${retryAfter} seconds.`,
    [retryAfter],
    { 'Retry-After': String(retryAfter) },
  );
}

export { ActionError };
