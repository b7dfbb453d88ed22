/**
 * The rules every edge shares (lambdas/core/input-rules): one email rule, one instant rule with a
 * calendar check, one single-line text rule, and field parsing whose errors name the field.
 */
import { describe, expect, it } from 'vitest';
import { isLeaverError } from '../../../lambdas/core/errors.ts';
import {
  emailRule,
  hasControlCharacters,
  instantRule,
  isEmailAddress,
  parseField,
  parseOptionalField,
  readInstant,
  textRule,
} from '../../../lambdas/core/input-rules/index.ts';
import { BAD_EMAILS, GOOD_EMAILS } from '../../support/edge-cases.ts';

describe('the email rule', () => {
  it('accepts ordinary addresses (plus tags, dots, apostrophes, RFC 5322 atoms), trimmed and lower-cased', () => {
    for (const [input, normal] of GOOD_EMAILS) {
      expect(isEmailAddress(input), input).toBe(true);
      expect(emailRule.parse(input)).toBe(normal);
    }
  });

  it('refuses what is not one address: consecutive or edge dots, quotes, IP literals, bad labels, control characters, non-ASCII, over-long parts', () => {
    for (const value of BAD_EMAILS) {
      expect(isEmailAddress(value), String(value)).toBe(false);
      const r = emailRule.safeParse(value);
      expect(r.success, String(value)).toBe(false);
    }
  });
});

describe('the instant rule', () => {
  const any = instantRule('date or date-time');

  it('normalises dates (00:00 UTC) and date-times with an offset to UTC ISO strings', () => {
    expect(any.parse('2026-12-01')).toBe('2026-12-01T00:00:00.000Z');
    expect(any.parse('2026-12-01T09:00:00+01:00')).toBe('2026-12-01T08:00:00.000Z');
    expect(any.parse('2026-12-01T09:00+0100')).toBe('2026-12-01T08:00:00.000Z');
    expect(any.parse('2026-12-01t09:00:00.123456789z')).toBe('2026-12-01T09:00:00.123Z');
    expect(any.parse('2026-12-01T23:30:00-01:00')).toBe('2026-12-02T00:30:00.000Z');
  });

  it('checks the calendar: 30 February, 31 April and 29 February of a common year are refused, not rolled over', () => {
    for (const value of [
      '2027-02-30',
      '2027-02-29',
      '2100-02-29',
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
    ]) {
      expect(readInstant(value, 'date or date-time'), value).toEqual({
        ok: false,
        message: 'is not a calendar date',
      });
      expect(readInstant(`${value}T12:00:00Z`, 'date-time'), value).toEqual({
        ok: false,
        message: 'is not a calendar date',
      });
    }
    expect(any.parse('2028-02-29')).toBe('2028-02-29T00:00:00.000Z');
    expect(any.parse('2000-02-29')).toBe('2000-02-29T00:00:00.000Z');
  });

  it('checks the clock and the offset', () => {
    expect(readInstant('2026-12-01T24:00:00Z', 'date-time')).toMatchObject({
      ok: false,
      message: 'is not a time of day',
    });
    expect(readInstant('2026-12-01T10:60:00Z', 'date-time')).toMatchObject({ ok: false });
    expect(readInstant('2026-12-01T10:00:60Z', 'date-time')).toMatchObject({ ok: false });
    expect(readInstant('2026-12-01T10:00:00+24:00', 'date-time')).toMatchObject({ ok: false });
  });

  it('refuses an empty value (never "now"), a date-time without an offset, and other shapes', () => {
    expect(readInstant('', 'date or date-time')).toEqual({ ok: false, message: 'must not be empty' });
    for (const value of [
      '2026-12-01T09:00:00',
      'tomorrow',
      '01/12/2026',
      '2026-12-1',
      ' 2026-12-01',
      '20261201',
    ]) {
      expect(any.safeParse(value).success, value).toBe(false);
    }
    expect(any.safeParse(20261201).success).toBe(false);
  });

  it('takes only the forms a field documents', () => {
    expect(instantRule('date').safeParse('2026-12-01T00:00:00Z').success).toBe(false);
    expect(instantRule('date').parse('2026-12-01')).toBe('2026-12-01T00:00:00.000Z');
    expect(instantRule('date-time').safeParse('2026-12-01').success).toBe(false);
    expect(instantRule('date-time').parse('2026-12-01T00:00:00Z')).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('the text rule', () => {
  const reason = textRule({ max: 20, min: 1, trim: true });

  it('refuses every control character, tabs and newlines included, and lone surrogates', () => {
    for (const c of [
      '\u0000',
      '\t',
      '\n',
      '\r',
      '\u001b',
      '\u007f',
      '\u0085',
      '\u009b',
      '\u2028',
      '\u2029',
    ]) {
      expect(hasControlCharacters(`a${c}b`), JSON.stringify(c)).toBe(true);
      const r = reason.safeParse(`a${c}b`);
      expect(r.success, JSON.stringify(c)).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/control characters/);
    }
    expect(reason.safeParse('a\ud800b').error?.issues[0]?.message).toBe('must be valid Unicode text');
  });

  it('keeps other text (accents, emoji, punctuation) and trims when asked', () => {
    expect(reason.parse('  Left: Zoë 👋 (HR)  ')).toBe('Left: Zoë 👋 (HR)');
    expect(reason.safeParse('   ').error?.issues[0]?.message).toBe('must not be empty');
    expect(reason.safeParse('x'.repeat(21)).error?.issues[0]?.message).toBe('is longer than 20 characters');
  });
});

describe('parseField', () => {
  it('names the field and the rule in an invalid_request, never the value', () => {
    let caught: unknown;
    try {
      parseField(emailRule, 'secret.person@@example.com', 'data.email');
    } catch (e) {
      caught = e;
    }
    expect(isLeaverError(caught)).toBe(true);
    const e = caught as { code: string; message: string; details: Record<string, unknown> };
    expect(e.code).toBe('invalid_request');
    expect(e.message).toBe('data.email must be an email address');
    expect(e.message).not.toContain('secret.person');
    expect(e.details).toEqual({
      field: 'data.email',
      errors: [{ path: 'data.email', message: 'must be an email address' }],
    });
    expect(() => parseField(emailRule, undefined, 'email')).toThrow('email is required');
  });

  it('treats only undefined and null as absent: an empty string is a value', () => {
    const rule = instantRule('date or date-time');
    expect(parseOptionalField(rule, undefined, 'effectiveAt')).toBeUndefined();
    expect(parseOptionalField(rule, null, 'effectiveAt')).toBeUndefined();
    expect(() => parseOptionalField(rule, '', 'effectiveAt')).toThrow('effectiveAt must not be empty');
  });
});
