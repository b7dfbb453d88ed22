/**
 * Request dispatch for everything below the emulator's `/itwin` root:
 *   /ims/connect/token            IMS token endpoint (no Bearer, no rate limit)
 *   /itwins                       iTwins list (discovery)
 *   /accesscontrol/itwins/...     Access Control v2
 * Order for the API: Bearer auth (401) -> rate limit per client (429) -> Accept version (406) ->
 * route (404/405) -> iTwin id (a malformed GUID answers 404 ItwinNotFound [I]: it cannot name an
 * iTwin) -> visibility (a caller with no membership gets 404 ItwinNotFound, except on accept) ->
 * handler.
 */
import type { SandboxRequest, SandboxResponse } from '../core/types.ts';
import { accessOf } from './access.ts';
import { authenticate, isResponse, type TokenStore, tokenEndpoint } from './auth.ts';
import type { Route } from './context.ts';
import { apiError, notFound } from './errors.ts';
import { isGuid } from './ids.ts';
import { ALL_PERMISSIONS, type Caller } from './model.ts';
import type { RateLimiter } from './rate-limit.ts';
import { groupRoutes } from './routes/groups.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { listItwins } from './routes/itwins.ts';
import { memberRoutes } from './routes/members.ts';
import { roleRoutes } from './routes/roles.ts';
import type { ItwinStore } from './store.ts';
import { checkVersion } from './version.ts';

const ROUTES: Route[] = [...memberRoutes, ...invitationRoutes, ...groupRoutes, ...roleRoutes];

const routeNotFound = () => apiError(404, 'ResourceNotFound', 'The requested resource was not found.');
const methodNotAllowed = (allow: string[]) => ({
  ...apiError(405, 'MethodNotAllowed', 'The HTTP method is not allowed for this resource.'),
  headers: { allow: allow.join(', ') },
});

function match(pattern: string[], segs: string[]): Record<string, string> | undefined {
  if (pattern.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segs[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p !== s.toLowerCase()) return undefined;
  }
  return params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface RouterDeps {
  store: ItwinStore;
  tokens: TokenStore;
  limiter: RateLimiter;
}

export function route(req: SandboxRequest, { store, tokens, limiter }: RouterDeps): SandboxResponse {
  const segs = req.path.split('/').filter(Boolean).map(safeDecode);
  const head = segs[0]?.toLowerCase();
  if (head === 'ims' && segs.length === 3 && segs[1] === 'connect' && segs[2] === 'token') {
    return tokenEndpoint(req, store, tokens);
  }
  const isItwins = head === 'itwins' && segs.length === 1;
  const isAc = head === 'accesscontrol' && segs[1]?.toLowerCase() === 'itwins' && segs.length >= 3;
  if (!isItwins && !isAc) return routeNotFound();

  const caller = authenticate(req, store, tokens);
  if (isResponse(caller)) return caller;
  const r = serve(req, { store, tokens, limiter }, caller, isItwins);
  // For the sandbox request log: the client id or user id (never an email or token).
  r.identity = caller.clientId === undefined ? `user:${caller.userId}` : `client:${caller.clientId}`;
  return r;
}

function serve(
  req: SandboxRequest,
  { store, limiter }: RouterDeps,
  caller: Caller,
  isItwins: boolean,
): SandboxResponse {
  const segs = req.path.split('/').filter(Boolean).map(safeDecode);
  const limited = limiter.check(caller);
  if (limited) return limited;
  const accept = req.headers.accept;
  const versionError = checkVersion(
    Array.isArray(accept) ? accept.join(',') : accept,
    isItwins ? [1, 2] : [2],
  );
  if (versionError) return versionError;

  if (isItwins) return req.method === 'GET' ? listItwins(req, store, caller) : methodNotAllowed(['GET']);

  const rest = segs.slice(2);
  if (rest.length === 1 && rest[0]!.toLowerCase() === 'permissions') {
    return req.method === 'GET'
      ? { status: 200, body: { permissions: [...ALL_PERMISSIONS] } }
      : methodNotAllowed(['GET']);
  }
  const sub = rest.slice(1);
  let found: { route: Route; params: Record<string, string> } | undefined;
  const allow: string[] = [];
  for (const r of ROUTES) {
    const params = match(r.pattern, sub);
    if (!params) continue;
    allow.push(r.method);
    if (r.method === req.method) {
      found = { route: r, params };
      break;
    }
  }
  if (!found) return allow.length > 0 ? methodNotAllowed(allow) : routeNotFound();

  const itwinId = rest[0]!;
  const itwin = isGuid(itwinId) ? store.itwin(itwinId) : undefined;
  if (!itwin) return notFound('ItwinNotFound');
  const access = accessOf(itwin, caller);
  if (!access.member && !access.orgAdmin && !found.route.allowNonMember) return notFound('ItwinNotFound');
  return found.route.handle({ req, store, caller, itwin, access, params: found.params });
}
