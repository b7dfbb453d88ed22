/** Builds a VendorHttp against a test server, with fake (recorded, instant) sleeps. */
import type { AuthPlugin } from '../../../lambdas/connectors/http/auth.ts';
import { VendorHttp } from '../../../lambdas/connectors/http/client.ts';
import { type RateSpec, TenantLimiter } from '../../../lambdas/connectors/http/limiter.ts';
import { nodeFetchTransport } from '../../../lambdas/connectors/http/transport.ts';
import type { RetryPolicy, Timing } from '../../../lambdas/connectors/http/types.ts';
import { MemorySecrets } from './memory-secrets.ts';

/** Sleeps advance a virtual offset instead of waiting; `sleeps` lists every requested delay. */
export function fakeTiming(random = 0.5): Timing & { sleeps: number[]; advance(ms: number): void } {
  // A clock that moves only when the code under test sleeps or a test advances it, so a loaded
  // machine never shifts the figures the tests assert.
  const base = Date.now();
  let offset = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => base + offset,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      offset += ms;
    },
    random: () => random,
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

export const noAuth: AuthPlugin = {
  header: async () => undefined,
  onUnauthorized: () => 'rejected',
  reset: () => {},
};

export function makeHttp(o: {
  auth?: AuthPlugin;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  rate?: RateSpec;
  maxConcurrency?: number;
  timing?: Timing;
  secrets?: MemorySecrets;
}) {
  const timing = o.timing ?? fakeTiming();
  const secrets = o.secrets ?? new MemorySecrets({ s: { clientId: 'id', clientSecret: 'x' } });
  const limiter = new TenantLimiter(
    o.rate ?? { perSecond: 1000, burst: 1000 },
    o.maxConcurrency ?? 16,
    timing,
  );
  const http = new VendorHttp({
    target: { vendor: 'cloudmanager', tenantId: 't1' },
    timeoutMs: o.timeoutMs ?? 2000,
    secretName: 's',
    secrets,
    auth: o.auth ?? noAuth,
    limiter,
    fetch: nodeFetchTransport,
    timing,
    retry: { baseDelayMs: 10, maxDelayMs: 100, ...o.retry },
  });
  return { http, secrets, timing, limiter };
}
