/** The CLI's wording helpers: counts read as English. */
import { describe, expect, it } from 'vitest';
import { counted } from '../../cli/format.ts';

describe('counted', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(counted(1, 'page')).toBe('1 page');
    expect(counted(0, 'page')).toBe('0 pages');
    expect(counted(2, 'record')).toBe('2 records');
  });
});
