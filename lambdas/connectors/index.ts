/**
 * The vendor connectors: `createConnectors({ secrets, coordination })` returns one Connector per
 * vendor, all on the shared HTTP layer in ./http (auth, rate limits, retries, timeouts, error
 * mapping). Each call builds its own clients and writers: one call per process.
 */
import type { ConnectorRegistry, Log, SecretStore, WriteCoordination } from '../core/ports.ts';
import { atlasConnector } from './atlas/index.ts';
import { cloudManagerConnector } from './cloudmanager/index.ts';
import { TenantClients } from './common/tenant-http.ts';
import { realTiming } from './http/backoff.ts';
import type { RateBudget } from './http/budget.ts';
import { nodeFetchTransport } from './http/transport.ts';
import type { FetchLike, RetryPolicy, Timing } from './http/types.ts';
import { type GroupWriterOptions, GroupWriters } from './itwin/group-writer.ts';
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
  /**
   * The lock and request board shared by every process that may write the same vendor object (the
   * Offboardings table in AWS and locally): one writer per iTwin group across all of them. Without
   * it there is one writer per group within this process only.
   */
  coordination?: WriteCoordination;
  /** Tests: the group writer's linger, lease, poll interval and PATCH attempts. */
  groupWrites?: Omit<GroupWriterOptions, 'coordination' | 'timing'>;
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
    itwin: itwinConnector(
      clients,
      new GroupWriters({
        ...opts.groupWrites,
        coordination: opts.coordination,
        timing: opts.timing ?? realTiming,
      }),
    ),
    atlas: atlasConnector(clients),
    cloudmanager: cloudManagerConnector(clients),
  };
}

export type { BudgetAnswer, RateBudget } from './http/budget.ts';
export type { FetchLike, RetryPolicy, Timing } from './http/types.ts';
