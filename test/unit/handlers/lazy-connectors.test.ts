/**
 * The connector registry the Lambda wiring hands to core loads the connectors on the first vendor
 * call (lambdas/handlers/lazy-connectors.ts). It must behave as the real registry: the same
 * vendors and methods, every call forwarded with its arguments and answer, one load per process,
 * and a load that failed tried again by the next call.
 */
import { describe, expect, it } from 'vitest';
import { createConnectors } from '../../../lambdas/connectors/index.ts';
import type { TenantConfig } from '../../../lambdas/core/config.ts';
import { type Grant, type Subject, VENDORS } from '../../../lambdas/core/model.ts';
import type { Connector, ConnectorRegistry, Ctx, SecretStore } from '../../../lambdas/core/ports.ts';
import { lazyConnectors } from '../../../lambdas/handlers/lazy-connectors.ts';

const secrets: SecretStore = {
  get: async () => {
    throw new Error('no secret in this test');
  },
  invalidate: () => {},
};

/** Every function-valued property of a connector, own or inherited. */
function methods(connector: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = connector; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== 'constructor' && typeof (connector as Record<string, unknown>)[key] === 'function') {
        names.add(key);
      }
    }
  }
  return [...names].sort();
}

/** A registry whose connectors record their calls and answer from them. */
function recordingRegistry(calls: unknown[][]): ConnectorRegistry {
  const one = (vendor: (typeof VENDORS)[number]): Connector => ({
    vendor,
    discover: async (subjects, tenant, ctx) => {
      calls.push(['discover', vendor, subjects, tenant, ctx]);
      return [{ vendor } as Grant];
    },
    revoke: async (grant, tenant, ctx) => {
      calls.push(['revoke', vendor, grant, tenant, ctx]);
      return { outcome: 'already_absent', attempts: 1 };
    },
    scopes: async (tenant, ctx) => {
      calls.push(['scopes', vendor, tenant, ctx]);
      return ['s1'];
    },
    inventory: async (tenant, scope, ctx) => {
      calls.push(['inventory', vendor, tenant, scope, ctx]);
      return [{ vendor } as Grant];
    },
  });
  return Object.fromEntries(VENDORS.map((v) => [v, one(v)])) as ConnectorRegistry;
}

const tenant = { id: 't1', vendor: 'atlas' } as TenantConfig;
const ctx = { deadline: 0 } as Ctx;

describe('lazyConnectors', () => {
  it('offers every vendor with exactly the methods of the real connectors', () => {
    const real = createConnectors({ secrets });
    const lazy = lazyConnectors(async () => real);
    expect(Object.keys(lazy).sort()).toEqual(Object.keys(real).sort());
    for (const vendor of VENDORS) {
      expect(lazy[vendor].vendor).toBe(vendor);
      expect(methods(lazy[vendor]), vendor).toEqual(methods(real[vendor]));
    }
  });

  it('loads nothing until a vendor is called, then once, and forwards arguments and answers', async () => {
    const calls: unknown[][] = [];
    let loads = 0;
    const lazy = lazyConnectors(async () => {
      loads++;
      return recordingRegistry(calls);
    });
    expect(loads).toBe(0);

    const subjects = [{ email: 'dana.leaver@example.com', aliases: [] }] as unknown as Subject[];
    const found = await Promise.all([
      lazy.atlas.discover(subjects, tenant, ctx),
      lazy.itwin.discover(subjects, tenant, ctx),
    ]);
    const grant = { vendor: 'cloudmanager' } as Grant;
    await expect(lazy.cloudmanager.revoke(grant, tenant, ctx)).resolves.toEqual({
      outcome: 'already_absent',
      attempts: 1,
    });

    await expect(lazy.atlas.scopes!(tenant, ctx)).resolves.toEqual(['s1']);
    await expect(lazy.itwin.inventory!(tenant, 's1', ctx)).resolves.toEqual([{ vendor: 'itwin' }]);

    expect(loads).toBe(1);
    expect(found).toEqual([[{ vendor: 'atlas' }], [{ vendor: 'itwin' }]]);
    expect(calls).toEqual([
      ['discover', 'atlas', subjects, tenant, ctx],
      ['discover', 'itwin', subjects, tenant, ctx],
      ['revoke', 'cloudmanager', grant, tenant, ctx],
      ['scopes', 'atlas', tenant, ctx],
      ['inventory', 'itwin', tenant, 's1', ctx],
    ]);
  });

  it('passes a failed load to the caller and loads again on the next call', async () => {
    let loads = 0;
    const lazy = lazyConnectors(async () => {
      loads++;
      if (loads === 1) throw new Error('chunk missing');
      return recordingRegistry([]);
    });
    await expect(lazy.atlas.discover([], tenant, ctx)).rejects.toThrow('chunk missing');
    await expect(lazy.atlas.discover([], tenant, ctx)).resolves.toEqual([{ vendor: 'atlas' }]);
    expect(loads).toBe(2);
  });
});
