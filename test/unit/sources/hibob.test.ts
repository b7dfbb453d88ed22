import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getSource } from '../../../lambdas/sources/index.ts';
import { codeOf, errorOf, raw } from './helpers.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const SECRET = { secret: 'bob-webhook-secret' };
const source = getSource('hibob');

function signed(body: unknown, secret = SECRET.secret) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return raw({
    sourceId: 'hibob',
    body: text,
    headers: { 'bob-signature': createHmac('sha512', secret).update(text).digest('base64') },
  });
}

const payload = (
  type: string,
  data: Record<string, unknown> = { employeeId: '9001', email: 'Dana.Leaver@example.com' },
) => ({
  companyId: 1,
  type,
  triggeredBy: 'system',
  triggeredAt: '2026-11-23T00:00:00Z',
  version: 'v2',
  data,
});

describe('hibob source: verification', () => {
  it('accepts Base64 HMAC-SHA512 of the raw body', () => {
    expect(() => source.verify(signed(payload('employee.left')), SECRET, NOW)).not.toThrow();
  });

  it('refuses a wrong secret, a changed body, a missing or truncated signature', () => {
    expect(codeOf(() => source.verify(signed(payload('employee.left'), 'other'), SECRET, NOW))).toBe(
      'invalid_signature',
    );
    const changed = signed(payload('employee.left'));
    changed.body = changed.body.replace('9001', '9002');
    expect(codeOf(() => source.verify(changed, SECRET, NOW))).toBe('invalid_signature');
    const missing = signed(payload('employee.left'));
    delete missing.headers['bob-signature'];
    expect(codeOf(() => source.verify(missing, SECRET, NOW))).toBe('invalid_signature');
    const short = signed(payload('employee.left'));
    short.headers['bob-signature'] = short.headers['bob-signature']!.slice(4);
    expect(codeOf(() => source.verify(short, SECRET, NOW))).toBe('invalid_signature');
  });
});

describe('hibob source: parsing', () => {
  it('maps the three lifecycle events to terminations', () => {
    const left = source.parse(
      signed(
        payload('employee.left', { employeeId: '9001', email: 'a@example.com', effectiveDate: '2026-11-23' }),
      ),
      NOW,
    )[0]!;
    expect(left).toEqual({
      kind: 'terminate',
      source: 'hibob',
      sourceEventId: 'employee.left:9001:2026-11-23T00:00:00.000Z',
      subject: { email: 'a@example.com', aliases: [], employeeId: '9001' },
      effectiveAt: '2026-11-23T00:00:00.000Z',
      occurredAt: '2026-11-23T00:00:00.000Z',
    });
    const inactivated = source.parse(signed(payload('employee.inactivated')), NOW)[0]!;
    expect(inactivated.effectiveAt).toBeUndefined();
    expect(inactivated.subject.email).toBe('dana.leaver@example.com');
    const immediate = source.parse(
      signed(
        payload('employee.access.revoked.immediately', {
          id: '9001',
          workEmail: 'a@example.com',
          effectiveDate: '2027-01-01',
        }),
      ),
      NOW,
    )[0]!;
    expect(immediate.effectiveAt).toBe(NOW.toISOString());
    expect(immediate.subject.employeeId).toBe('9001');
  });

  it('uses a top-level id as the event id when present', () => {
    expect(
      source.parse(signed({ ...payload('employee.left'), id: 'bob-evt-7' }), NOW)[0]!.sourceEventId,
    ).toBe('bob-evt-7');
  });

  it('ignores other event types', () => {
    expect(source.parse(signed(payload('employee.updated')), NOW)).toEqual([]);
  });

  it('refuses a lifecycle event without an email (400), malformed JSON, no type', () => {
    const e = errorOf(() => source.parse(signed(payload('employee.left', { employeeId: '9001' })), NOW));
    expect(e.code).toBe('invalid_request');
    expect(e.message).toBe('data.email is required');
    expect(errorOf(() => source.parse(signed('{{'), NOW)).message).toBe('body is not valid JSON');
    expect(errorOf(() => source.parse(signed({ data: {} }), NOW)).message).toBe('type is required');
  });

  it('checks the effective date against the calendar: 30 February is a 400 naming the field, not 2 March', () => {
    const left = (data: Record<string, unknown>) =>
      signed(payload('employee.left', { employeeId: '9001', email: 'a@example.com', ...data }));
    expect(errorOf(() => source.parse(left({ effectiveDate: '2027-02-30' }), NOW)).message).toBe(
      'data.effectiveDate is not a calendar date',
    );
    expect(errorOf(() => source.parse(left({ terminationDate: '2027-02-30' }), NOW)).message).toBe(
      'data.terminationDate is not a calendar date',
    );
    expect(errorOf(() => source.parse(left({ effectiveDate: '' }), NOW)).message).toBe(
      'data.effectiveDate must not be empty',
    );
    expect(errorOf(() => source.parse(left({ effectiveDate: '2027-03-01T00:00:00Z' }), NOW)).message).toBe(
      'data.effectiveDate must be an ISO-8601 date (YYYY-MM-DD)',
    );
    expect(source.parse(left({ terminationDate: '2027-03-01' }), NOW)[0]!.effectiveAt).toBe(
      '2027-03-01T00:00:00.000Z',
    );
  });

  it('takes triggeredAt as a date-time with an offset, checked against the calendar', () => {
    const at = (triggeredAt: string) => signed({ ...payload('employee.left'), triggeredAt });
    expect(errorOf(() => source.parse(at('2026-02-30T10:00:00Z'), NOW)).message).toBe(
      'triggeredAt is not a calendar date',
    );
    expect(errorOf(() => source.parse(at('2026-11-23'), NOW)).message).toMatch(
      /^triggeredAt must be an ISO-8601 date-time/,
    );
  });
});
