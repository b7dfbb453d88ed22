/**
 * Builds and keeps one VendorHttp per tenant (its rate limiter, token cache and Digest nonce live
 * as long as the process, i.e. across invocations of a warm Lambda). A changed tenant config
 * builds a new client.
 */

import type { TenantConfig } from '../../core/config.ts';
import { LeaverError } from '../../core/errors.ts';
import type { SecretStore } from '../../core/ports.ts';
import type { AuthPlugin } from '../http/auth.ts';
import { realTiming } from '../http/backoff.ts';
import type { RateBudget } from '../http/budget.ts';
import { VendorHttp } from '../http/client.ts';
import { DEFAULT_RATE_LIMITS } from '../http/defaults.ts';
import { DigestAuth, type DigestCredentials } from '../http/digest.ts';
import { TenantLimiter } from '../http/limiter.ts';
import { type ClientCredentials, OAuthClientCredentials } from '../http/oauth.ts';
import type { FetchLike, RetryPolicy, Timing } from '../http/types.ts';

export interface HttpDeps {
  secrets: SecretStore;
  fetch: FetchLike;
  timing?: Timing;
  retry?: Partial<RetryPolicy>;
  /**
   * A fixed split of each tenant's `rateLimit` (the vendor's own limit) among this many processes,
   * each taking 1/rateShare of its rate and burst. Only without `budget`.
   */
  rateShare?: number;
  /**
   * The rate budget every process shares (DynamoDB in AWS and locally): each tenant's `rateLimit`
   * is then the vendor's whole limit for this process too, and the budget keeps all callers
   * together within it. Use instead of `rateShare`.
   */
  budget?: RateBudget;
}

export type AuthSpec = { type: 'oauth'; tokenUrl: string; scope?: string } | { type: 'digest' };

export class TenantClients {
  private readonly clients = new Map<string, { fingerprint: string; http: VendorHttp }>();

  constructor(private readonly deps: HttpDeps) {}

  get(tenant: TenantConfig, auth: AuthSpec, defaultHeaders: Record<string, string>): VendorHttp {
    const key = `${tenant.vendor}:${tenant.id}`;
    const fingerprint = JSON.stringify([tenant, auth, defaultHeaders]);
    const cached = this.clients.get(key);
    if (cached && cached.fingerprint === fingerprint) return cached.http;
    const http = this.build(tenant, auth, defaultHeaders);
    this.clients.set(key, { fingerprint, http });
    return http;
  }

  private build(tenant: TenantConfig, auth: AuthSpec, defaultHeaders: Record<string, string>): VendorHttp {
    const timing = this.deps.timing ?? realTiming;
    const target = { vendor: tenant.vendor, tenantId: tenant.id };
    const secrets = this.deps.secrets;
    const plugin: AuthPlugin =
      auth.type === 'oauth'
        ? new OAuthClientCredentials({
            target,
            tokenUrl: auth.tokenUrl,
            scope: auth.scope,
            credentials: () =>
              readSecret<ClientCredentials>(secrets, tenant.secretName, ['clientId', 'clientSecret']),
            fetch: this.deps.fetch,
            timing,
            timeoutMs: tenant.timeoutMs,
          })
        : new DigestAuth(async () => {
            const s = await readSecret<{ publicKey: string; privateKey: string }>(
              secrets,
              tenant.secretName,
              ['publicKey', 'privateKey'],
            );
            return { username: s.publicKey, password: s.privateKey } satisfies DigestCredentials;
          });
    return new VendorHttp({
      target,
      timeoutMs: tenant.timeoutMs,
      secretName: tenant.secretName,
      secrets,
      auth: plugin,
      limiter: new TenantLimiter(
        this.deps.budget
          ? (tenant.rateLimit ?? DEFAULT_RATE_LIMITS[tenant.vendor])
          : shareOf(tenant.rateLimit ?? DEFAULT_RATE_LIMITS[tenant.vendor], this.deps.rateShare ?? 1),
        tenant.maxConcurrency,
        timing,
        this.deps.budget ? { budget: this.deps.budget, key: `${tenant.vendor}:${tenant.id}` } : undefined,
      ),
      fetch: this.deps.fetch,
      timing,
      retry: this.deps.retry,
      defaultHeaders,
    });
  }
}

/** One process's part of a rate limit that `share` processes use at once. */
export function shareOf(limit: { perSecond: number; burst: number }, share: number) {
  const n = Number.isFinite(share) && share >= 1 ? Math.floor(share) : 1;
  return { perSecond: limit.perSecond / n, burst: Math.max(1, Math.floor(limit.burst / n)) };
}

/** Reads a secret and checks its fields; errors name the secret and the field, never a value. */
async function readSecret<T extends object>(
  secrets: SecretStore,
  name: string,
  fields: ReadonlyArray<keyof T & string>,
): Promise<T> {
  const value = await secrets.get<Record<string, unknown>>(name);
  for (const f of fields) {
    if (typeof value?.[f] !== 'string' || value[f] === '') {
      throw new LeaverError('secret_unavailable', `secret ${name} has no ${f}`, {
        details: { secretName: name, field: f },
      });
    }
  }
  return value as T;
}
