/**
 * The connector registry, loaded on the first vendor call. The intake, the sweeps and the general
 * API function never call a vendor, and the connectors (their HTTP layer, OAuth client and zod
 * schemas of vendor answers) are a large part of a function's start: in those functions they are
 * never loaded at all, and in the others in the first invocation that discovers or revokes.
 *
 * Each method forwards to the real connector unchanged. A method added to `Connector` must be
 * forwarded here too: test/unit/handlers/lazy-connectors.test.ts compares both method sets.
 */

import { LeaverError } from '../core/errors.ts';
import { VENDORS, type VendorId } from '../core/model.ts';
import type { Connector, ConnectorRegistry } from '../core/ports.ts';

export function lazyConnectors(load: () => Promise<ConnectorRegistry>): ConnectorRegistry {
  let loading: Promise<ConnectorRegistry> | undefined;
  const registry = () => {
    loading ??= load().catch((e: unknown) => {
      loading = undefined; // the next call tries again
      throw e;
    });
    return loading;
  };
  const forward = (vendor: VendorId): Connector => ({
    vendor,
    discover: async (subjects, tenant, ctx) => (await registry())[vendor].discover(subjects, tenant, ctx),
    revoke: async (grant, tenant, ctx) => (await registry())[vendor].revoke(grant, tenant, ctx),
    scopes: async (tenant, ctx) => {
      const real = (await registry())[vendor];
      if (!real.scopes) throw new LeaverError('internal', `The ${vendor} connector cannot list its scopes`);
      return real.scopes(tenant, ctx);
    },
    inventory: async (tenant, scope, ctx) => {
      const real = (await registry())[vendor];
      if (!real.inventory)
        throw new LeaverError('internal', `The ${vendor} connector has no inventory listing`);
      return real.inventory(tenant, scope, ctx);
    },
  });
  return Object.fromEntries(VENDORS.map((v) => [v, forward(v)])) as ConnectorRegistry;
}
