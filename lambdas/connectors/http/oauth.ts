/**
 * OAuth2 client credentials (iTwin IMS, Atlas service accounts) on oauth4webapi, with
 * client_secret_basic. The token is cached until 60 s before it expires, and concurrent callers
 * share ONE in-flight token request (Atlas allows 50 token requests a minute).
 */
import * as oauth from 'oauth4webapi';
import { LeaverError } from '../../core/errors.ts';
import type { AuthPlugin, AuthRequestInfo } from './auth.ts';
import { faultCode, faultError, isNetworkFault, isRetryableStatus, statusError } from './errors.ts';
import type { FetchLike, FetchResponse, Timing, VendorTarget } from './types.ts';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface OAuthOptions {
  target: VendorTarget;
  tokenUrl: string;
  /** Space-separated scopes; none for Atlas. */
  scope?: string;
  credentials: () => Promise<ClientCredentials>;
  fetch: FetchLike;
  timing: Timing;
  timeoutMs: number;
  /** Seconds before expiry at which a cached token is no longer used. */
  refreshMarginSeconds?: number;
}

const TOKEN_ROUTE = '/oauth/token';
/** Lifetime assumed when the token response has no expires_in. */
const DEFAULT_LIFETIME_S = 3600;

export class OAuthClientCredentials implements AuthPlugin {
  private token?: { value: string; usableUntil: number };
  private inflight?: Promise<string>;
  private generation = 0;

  constructor(private readonly opts: OAuthOptions) {}

  async header(req: AuthRequestInfo): Promise<string> {
    return `Bearer ${await this.accessToken(req)}`;
  }

  onUnauthorized(): 'rejected' {
    return 'rejected';
  }

  reset(): void {
    this.token = undefined;
    this.generation += 1;
  }

  /** The cached token, or the one request every concurrent caller waits for. */
  accessToken(req: Pick<AuthRequestInfo, 'deadline' | 'onCall'>): Promise<string> {
    const now = this.opts.timing.now();
    if (this.token && now < this.token.usableUntil) return Promise.resolve(this.token.value);
    if (!this.inflight) {
      const generation = this.generation;
      this.inflight = this.requestToken(req)
        .then((t) => {
          if (generation === this.generation) this.token = t;
          return t.value;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async requestToken(
    req: Pick<AuthRequestInfo, 'deadline' | 'onCall'>,
  ): Promise<{ value: string; usableUntil: number }> {
    const { target, timing } = this.opts;
    const call = { ...target, method: 'POST', route: TOKEN_ROUTE };
    const creds = await this.opts.credentials();
    const url = new URL(this.opts.tokenUrl);
    const as: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: url.href };
    const client: oauth.Client = { client_id: creds.clientId };
    const params = new URLSearchParams();
    if (this.opts.scope) params.set('scope', this.opts.scope);
    const timeout = Math.max(1, Math.min(this.opts.timeoutMs, req.deadline - timing.now()));
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('token request timed out'));
    }, timeout);
    const started = timing.now();
    let response: Response;
    try {
      response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(creds.clientSecret),
        params,
        {
          signal: controller.signal,
          [oauth.customFetch]: (u: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) =>
            toResponse(this.opts.fetch, u, init),
          ...(url.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
        },
      );
    } catch (e) {
      req.onCall?.({ route: TOKEN_ROUTE, status: timedOut ? 'timeout' : 'network', durationMs: 0 });
      if (timedOut) throw faultError('timeout', call);
      if (isNetworkFault(e)) throw faultError('network', call, faultCode(e));
      throw new LeaverError('vendor_network', `${target.vendor} token request failed`, {
        details: { vendor: target.vendor, tenantId: target.tenantId, route: TOKEN_ROUTE },
      });
    } finally {
      clearTimeout(timer);
    }
    req.onCall?.({ route: TOKEN_ROUTE, status: response.status, durationMs: timing.now() - started });
    if (isRetryableStatus(response.status)) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw statusError(response.status, call, {
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      });
    }
    try {
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      const lifetime = typeof result.expires_in === 'number' ? result.expires_in : DEFAULT_LIFETIME_S;
      const margin = Math.min(this.opts.refreshMarginSeconds ?? 60, lifetime / 2);
      return { value: result.access_token, usableUntil: timing.now() + (lifetime - margin) * 1000 };
    } catch (e) {
      if (response.status === 400 || response.status === 401 || response.status === 403) {
        // invalid_client / unauthorized_client: the credentials were refused.
        throw new LeaverError(
          'vendor_auth',
          `${target.vendor} token endpoint refused the client credentials`,
          {
            vendorStatus: response.status,
            details: { vendor: target.vendor, tenantId: target.tenantId, route: TOKEN_ROUTE, stage: 'token' },
          },
        );
      }
      if (e instanceof oauth.ResponseBodyError) throw statusError(response.status, call);
      throw new LeaverError('vendor_unexpected_response', `${target.vendor} token response was not usable`, {
        details: { vendor: target.vendor, tenantId: target.tenantId, route: TOKEN_ROUTE },
      });
    }
  }
}

/** Runs oauth4webapi's request through the layer's fetch and hands it a real Response. */
async function toResponse(
  fetchImpl: FetchLike,
  url: string,
  init: oauth.CustomFetchOptions<'POST', URLSearchParams>,
): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => {
    headers[k] = v;
  });
  const res: FetchResponse = await fetchImpl(url, {
    method: init.method,
    headers,
    body: init.body?.toString(),
    signal: init.signal,
  });
  const text = await res.text();
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'retry-after', 'www-authenticate', 'cache-control']) {
    const v = res.headers.get(name);
    if (v !== null) out[name] = v;
  }
  return new Response(text === '' ? null : text, { status: res.status, headers: out });
}
