import { describe, expect, it } from 'vitest';
import { instant } from '../../../lambdas/core/command-input.ts';

describe('instant', () => {
  it('normalises dates and date-times with offsets to UTC ISO strings', () => {
    expect(instant('2026-12-01', 'effectiveAt')).toBe('2026-12-01T00:00:00.000Z');
    expect(instant('2026-12-01T10:00:00+02:00', 'effectiveAt')).toBe('2026-12-01T08:00:00.000Z');
    expect(instant(undefined, 'effectiveAt')).toBeUndefined();
  });

  it('refuses impossible calendar dates instead of rolling them over', () => {
    expect(() => instant('2026-02-30', 'effectiveAt')).toThrow(/not a calendar date/);
    expect(() => instant('2026-04-31T10:00:00Z', 'from')).toThrow(/from is not a calendar date/);
  });

  it('refuses date-times without an offset and non-strings', () => {
    expect(() => instant('2026-12-01T10:00:00', 'effectiveAt')).toThrow(/with an offset/);
    expect(() => instant(20261201, 'effectiveAt')).toThrow(/ISO-8601/);
  });
});
