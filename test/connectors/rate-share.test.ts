import { describe, expect, it } from 'vitest';
import { shareOf, TenantClients } from '../../lambdas/connectors/common/tenant-http.ts';
import type { FetchLike } from '../../lambdas/connectors/http/types.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import { testCtx } from './support/ctx.ts';
import { fakeTiming } from './support/http.ts';
import { MemorySecrets } from './support/memory-secrets.ts';

describe('shareOf', () => {
  it('gives each of n processes 1/n of the rate and the burst, so together they stay within it', () => {
    expect(shareOf({ perSecond: 75, burst: 100 }, 5)).toEqual({ perSecond: 15, burst: 20 });
  });

  it('keeps a burst of at least one request and treats nonsense shares as one process', () => {
    expect(shareOf({ perSecond: 1, burst: 2 }, 4)).toEqual({ perSecond: 0.25, burst: 1 });
    expect(shareOf({ perSecond: 10, burst: 20 }, Number.NaN)).toEqual({ perSecond: 10, burst: 20 });
    expect(shareOf({ perSecond: 10, burst: 20 }, 0)).toEqual({ perSecond: 10, burst: 20 });
  });
});

describe('TenantClients with a fixed rate share (without a shared budget)', () => {
  // The tenant's rateLimit is the vendor's own limit (docs/deploying.md#vendor-rate-limits): the process divides
  // it. 14/s burst 14 shared by 7 processes (the stack's default share) is 2/s, burst 2 each.
  const tenant = parseConfig({
    tenants: [
      {
        id: 'cm',
        vendor: 'cloudmanager',
        baseUrl: 'https://cloud.example.com/api/public/v1.0',
        orgId: '5e0a1b2c3d4e5f6a7b8c9d0e',
        secretName: 'cm',
        rateLimit: { perSecond: 14, burst: 14 },
      },
    ],
  }).tenants[0]!;
  const okFetch: FetchLike = async () => ({
    status: 200,
    headers: { get: () => null },
    text: async () => '{}',
  });

  async function sendThree(rateShare: number | undefined): Promise<number[]> {
    const timing = fakeTiming();
    const clients = new TenantClients({
      secrets: new MemorySecrets({ cm: { publicKey: 'p', privateKey: 'k' } }),
      fetch: okFetch,
      timing,
      ...(rateShare === undefined ? {} : { rateShare }),
    });
    const http = clients.get(tenant, { type: 'digest' }, {});
    for (let i = 0; i < 3; i++) {
      await http.request({ method: 'GET', url: `${tenant.baseUrl}/orgs`, route: '/orgs' }, testCtx());
    }
    return timing.sleeps;
  }

  it('takes 1/share of the configured (vendor) limit: the third call waits half a second', async () => {
    expect(await sendThree(7)).toEqual([500]);
  });

  it('a single process (no share) uses the whole configured limit', async () => {
    expect(await sendThree(undefined)).toEqual([]);
  });
});
