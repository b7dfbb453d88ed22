import { describe, expect, it } from 'vitest';
import type { Offboarding } from '../../../lambdas/core/model.ts';
import { percentile, summariseTimeToRevoke } from '../../../lambdas/core/revocation-stats.ts';

describe('percentile (nearest rank)', () => {
  it('picks the smallest value with at least q of the values at or below it', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 0.5)).toBe(5);
    expect(percentile(v, 0.95)).toBe(10);
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([1, 2], 0.5)).toBe(1);
  });
});

describe('summariseTimeToRevoke', () => {
  const o = (id: string, at: string, ms?: number): Offboarding =>
    ({
      id,
      effectiveAt: at,
      ...(ms === undefined ? {} : { timeToRevokeMs: ms, timeToRevokeByVendorMs: { atlas: ms } }),
    }) as Offboarding;

  it('groups by UTC day of the effective time, leaves unmeasured runs out of the figures', () => {
    const s = summariseTimeToRevoke(
      [
        o('a', '2026-01-01T23:30:00-02:00', 10),
        o('b', '2026-01-01T10:00:00Z', 30),
        o('c', '2026-01-02T00:00:00Z'),
      ],
      { targetMs: 20, slowest: 5 },
    );
    expect(s.offboardings).toBe(3);
    expect(s.measured).toBe(2);
    expect(s.withinTarget).toBe(1);
    // 23:30 at -02:00 is 01:30 UTC on 2 January.
    expect(s.days.map((d) => `${d.day} ${d.vendor} ${d.count}`)).toEqual([
      '2026-01-01 all 1',
      '2026-01-01 atlas 1',
      '2026-01-02 all 1',
      '2026-01-02 atlas 1',
    ]);
    expect(s.slowest.map((x) => x.id)).toEqual(['b', 'a']);
  });
});
