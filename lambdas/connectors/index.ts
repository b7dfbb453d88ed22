/**
 * The vendor connectors: `createConnectors({ secrets })` returns one Connector per vendor, all on
 * the shared HTTP layer in ./http (auth, rate limits, retries, timeouts, error mapping).
 */
import type { ConnectorRegistry, Log, SecretStore } from '../core/ports.ts';
import { atlasConnector } from './atlas/index.ts';
import { cloudManagerConnector } from './cloudmanager/index.ts';
import { TenantClients } from './common/tenant-http.ts';
import type { RateBudget } from './http/budget.ts';
import { nodeFetchTransport } from './http/transport.ts';
import type { FetchLike, RetryPolicy, Timing } from './http/types.ts';
import { itwinConnector } from './itwin/index.ts';

export interface ConnectorOptions {
  secrets: SecretStore;
  /** Reserved for connector-level logs; per-call logs go to ctx.log. */
  log?: Log;
  /** Defaults to Node's global fetch (a keep-alive pool per origin). */
  fetchImpl?: FetchLike;
  /** Processes sharing each tenant's rate limit by a fixed split; default 1. Prefer `budget`. */
  rateShare?: number;
  /** The rate budget shared by every process (one per vendor limit; see http/budget.ts). */
  budget?: RateBudget;
  /** Tests: a shorter retry policy, fake timing. */
  retry?: Partial<RetryPolicy>;
  timing?: Timing;
}

export function createConnectors(opts: ConnectorOptions): ConnectorRegistry {
  const clients = new TenantClients({
    secrets: opts.secrets,
    fetch: opts.fetchImpl ?? nodeFetchTransport,
    timing: opts.timing,
    retry: opts.retry,
    rateShare: opts.rateShare,
    budget: opts.budget,
  });
  return {
    itwin: itwinConnector(clients),
    atlas: atlasConnector(clients),
    cloudmanager: cloudManagerConnector(clients),
  };
}

export type { BudgetAnswer, RateBudget } from './http/budget.ts';
export type { FetchLike, RetryPolicy, Timing } from './http/types.ts';
