import { describe, expect, it } from 'vitest';
import { shareOf } from '../../lambdas/connectors/common/tenant-http.ts';

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
