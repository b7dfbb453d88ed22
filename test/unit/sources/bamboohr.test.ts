import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { acceptHrEvents } from '../../../lambdas/core/intake.ts';
import { getSource } from '../../../lambdas/sources/index.ts';
import { engine } from '../core/engine.ts';
import { codeOf, errorOf, raw } from './helpers.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const KEY = { privateKey: 'bamboo-private-key-1' };
const source = getSource('bamboohr');
const nowSec = Math.floor(NOW.getTime() / 1000);

function signed(body: unknown, ts = nowSec, key = KEY.privateKey) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const sig = createHmac('sha256', key)
    .update(text + String(ts))
    .digest('hex');
  return raw({
    sourceId: 'bamboohr',
    body: text,
    headers: { 'x-bamboohr-timestamp': String(ts), 'x-bamboohr-signature': sig },
  });
}

const employee = (fields: Record<string, unknown>, changedFields: string[], id = '123') => ({
  id,
  changedFields,
  fields,
});

describe('bamboohr source: verification', () => {
  it('accepts a valid signature (hex HMAC-SHA256 of body + timestamp), upper-case hex too', () => {
    const r = signed({ employees: [] });
    expect(() => source.verify(r, KEY, NOW)).not.toThrow();
    r.headers['x-bamboohr-signature'] = r.headers['x-bamboohr-signature']!.toUpperCase();
    expect(() => source.verify(r, KEY, NOW)).not.toThrow();
  });

  it('refuses a wrong key, a changed body, a missing signature or timestamp', () => {
    expect(codeOf(() => source.verify(signed({ employees: [] }, nowSec, 'other'), KEY, NOW))).toBe(
      'invalid_signature',
    );
    const changed = signed({ employees: [] });
    changed.body = '{"employees":[1]}';
    expect(codeOf(() => source.verify(changed, KEY, NOW))).toBe('invalid_signature');
    for (const h of ['x-bamboohr-signature', 'x-bamboohr-timestamp']) {
      const r = signed({ employees: [] });
      delete r.headers[h];
      expect(codeOf(() => source.verify(r, KEY, NOW))).toBe('invalid_signature');
    }
  });

  it('binds the timestamp into the signature', () => {
    const r = signed({ employees: [] });
    r.headers['x-bamboohr-timestamp'] = String(nowSec + 1);
    expect(codeOf(() => source.verify(r, KEY, NOW))).toBe('invalid_signature');
  });

  it('refuses stale and future timestamps beyond 300 s', () => {
    expect(codeOf(() => source.verify(signed({ employees: [] }, nowSec - 301), KEY, NOW))).toBe(
      'invalid_signature',
    );
    expect(codeOf(() => source.verify(signed({ employees: [] }, nowSec + 301), KEY, NOW))).toBe(
      'invalid_signature',
    );
    expect(() => source.verify(signed({ employees: [] }, nowSec - 299), KEY, NOW)).not.toThrow();
  });
});

describe('bamboohr source: parsing', () => {
  it('turns a status change to Inactive/Terminated into a termination effective on terminationDate', () => {
    const events = source.parse(
      signed({
        employees: [
          employee(
            { 'Work Email': 'Dana.Leaver@example.com', Status: 'Inactive', 'Termination Date': '2026-11-30' },
            ['Status'],
          ),
          employee(
            { workEmail: 'sam@example.com', employmentStatus: { value: 'Terminated' } },
            ['employmentStatus'],
            '124',
          ),
          employee({ 'Work Email': 'x@example.com', 'Job Title': 'Dev', extra: 1 }, ['Job Title'], '125'),
        ],
      }),
      NOW,
    );
    expect(events).toEqual([
      {
        kind: 'terminate',
        source: 'bamboohr',
        sourceEventId: expect.stringMatching(/^123:terminate:[0-9a-f]{32}$/),
        subject: { email: 'dana.leaver@example.com', aliases: [], employeeId: '123' },
        effectiveAt: '2026-11-30T00:00:00.000Z',
        occurredAt: NOW.toISOString(),
      },
      {
        kind: 'terminate',
        source: 'bamboohr',
        sourceEventId: expect.stringMatching(/^124:terminate:[0-9a-f]{32}$/),
        subject: { email: 'sam@example.com', aliases: [], employeeId: '124' },
        effectiveAt: undefined,
        occurredAt: NOW.toISOString(),
      },
    ]);
  });

  it('turns a status change back to Active into a cancellation', () => {
    const [e] = source.parse(
      signed({ employees: [employee({ Email: 'dana@example.com', Status: 'Active' }, ['Status'])] }),
      NOW,
    );
    expect(e).toMatchObject({
      kind: 'cancel',
      sourceEventId: expect.stringMatching(/^123:cancel:[0-9a-f]{32}$/),
      subject: { email: 'dana@example.com' },
    });
  });

  it('gives the same event id to a retried delivery with a new timestamp', () => {
    const body = { employees: [employee({ 'Work Email': 'a@example.com', Status: 'Inactive' }, ['Status'])] };
    const a = source.parse(signed(body, nowSec), NOW)[0]!;
    const b = source.parse(signed(body, nowSec + 60), NOW)[0]!;
    expect(a.sourceEventId).toBe(b.sourceEventId);
  });

  it('a retried cancellation (new X-BambooHR-Timestamp, same body) is the same event: cancel_after_run is audited and alerted once', async () => {
    const body = {
      employees: [employee({ 'Work Email': 'dana@example.com', Status: 'Active' }, ['Status'], '321')],
    };
    const first = source.parse(signed(body, nowSec), NOW);
    const retry = source.parse(signed(body, nowSec + 90), new Date(NOW.getTime() + 90_000));
    expect(first[0]!.sourceEventId).toBe(retry[0]!.sourceEventId);
    expect(first[0]!.sourceEventId).not.toContain(String(nowSec));

    // Through intake: the offboarding already ran, so a cancel alerts once, not once per delivery.
    const { deps, terminate, work } = engine();
    const id = await terminate('dana@example.com');
    await work();
    const origin = { type: 'hr', id: 'bamboohr' } as const;
    expect((await acceptHrEvents(deps, first, origin))[0]!.status).toBe('cancel_after_run');
    expect((await acceptHrEvents(deps, retry, origin))[0]!.status).toBe('cancel_after_run');
    expect(deps.audit.events(id).filter((e) => e === 'cancel_after_run')).toHaveLength(1);
    expect(deps.notifier.kinds()).toEqual(['cancel_after_run']);
  });

  it('a later, separate termination without a date is a new event; its retry is not', async () => {
    const first = {
      employees: [
        {
          ...employee(
            { workEmail: 'lee@example.com', employmentStatus: 'Terminated' },
            ['employmentStatus'],
            '77',
          ),
          action: 'Updated',
          timestamp: '2026-11-01T09:00:00+0000',
        },
      ],
    };
    const later = structuredClone(first);
    later.employees[0]!.timestamp = '2026-11-23T11:58:00+0000';
    const a = source.parse(signed(first, nowSec), NOW)[0]!;
    const aRetry = source.parse(signed(first, nowSec + 200), NOW)[0]!;
    const b = source.parse(signed(later, nowSec), NOW)[0]!;
    expect(a.effectiveAt).toBeUndefined();
    expect(aRetry.sourceEventId).toBe(a.sourceEventId);
    expect(b.sourceEventId).not.toBe(a.sourceEventId);
    // Without an entry timestamp, a change with other values (another status date) differs too.
    const withDate = (date: string) =>
      source.parse(
        signed({
          employees: [
            employee(
              { workEmail: 'lee@example.com', Status: 'Inactive', 'Employment Status: Date': date },
              ['Status'],
              '77',
            ),
          ],
        }),
        NOW,
      )[0]!.sourceEventId;
    expect(withDate('2026-11-01')).not.toBe(withDate('2026-11-23'));

    // Through intake: the rehire-then-terminate-again case opens a second offboarding.
    const { deps } = engine();
    const origin = { type: 'hr', id: 'bamboohr' } as const;
    const [r1] = await acceptHrEvents(deps, [a], origin);
    const [r1Again] = await acceptHrEvents(deps, [aRetry], origin);
    const [r2] = await acceptHrEvents(deps, [b], origin);
    expect(r1!.created).toBe(true);
    expect(r1Again).toMatchObject({ created: false, offboardingId: r1!.offboardingId });
    expect(r2!.created).toBe(true);
    expect(r2!.offboardingId).not.toBe(r1!.offboardingId);
  });

  it('refuses a termination without an email, malformed JSON, no employees, a bad date', () => {
    expect(
      errorOf(() => source.parse(signed({ employees: [employee({ Status: 'Inactive' }, ['Status'])] }), NOW))
        .message,
    ).toBe('employees[0].fields["Work Email"] is required');
    expect(errorOf(() => source.parse(signed('not json'), NOW)).message).toBe('body is not valid JSON');
    expect(errorOf(() => source.parse(signed({}), NOW)).message).toBe(
      'employees is required and must be an array',
    );
    expect(
      errorOf(() =>
        source.parse(
          signed({
            employees: [
              employee({ workEmail: 'a@example.com', Status: 'Inactive', terminationDate: '30/11/2026' }, [
                'Status',
              ]),
            ],
          }),
          NOW,
        ),
      ).message,
    ).toMatch(/Termination Date/);
  });

  it('checks the termination date against the calendar: 30 February is a 400 naming the field, not 2 March', () => {
    const terminatedOn = (date: unknown) =>
      signed({
        employees: [
          employee({ workEmail: 'a@example.com', Status: 'Inactive', 'Termination Date': date }, ['Status']),
        ],
      });
    for (const [date, rule] of [
      ['2027-02-30', 'is not a calendar date'],
      ['2026-04-31', 'is not a calendar date'],
      ['2026-12-01T17:00:00Z', 'must be an ISO-8601 date (YYYY-MM-DD)'],
    ] as const) {
      const e = errorOf(() => source.parse(terminatedOn(date), NOW));
      expect(e.code).toBe('invalid_request');
      expect(e.message).toBe(`employees[0].fields["Termination Date"] ${rule}`);
      expect(e.details?.errors).toEqual([{ path: 'employees[0].fields["Termination Date"]', message: rule }]);
    }
    expect(source.parse(terminatedOn('2028-02-29'), NOW)[0]!.effectiveAt).toBe('2028-02-29T00:00:00.000Z');
    // BambooHR's own "not set" (the record's current value, posted as is): the status change is effective now.
    expect(source.parse(terminatedOn(''), NOW)[0]!.effectiveAt).toBeUndefined();
    expect(source.parse(terminatedOn('0000-00-00'), NOW)[0]!.effectiveAt).toBeUndefined();
    expect(source.parse(terminatedOn({ value: '2026-11-30' }), NOW)[0]!.effectiveAt).toBe(
      '2026-11-30T00:00:00.000Z',
    );
  });

  it('refuses control characters in the employee id', () => {
    const e = errorOf(() =>
      source.parse(
        signed({
          employees: [
            employee({ workEmail: 'a@example.com', Status: 'Inactive' }, ['Status'], '12\u001b[2J'),
          ],
        }),
        NOW,
      ),
    );
    expect(e.message).toMatch(/^employees\[0\]\.id must not contain control characters/);
  });

  it('ignores changes that are not a termination or a return to active', () => {
    expect(
      source.parse(
        signed({ employees: [employee({ workEmail: 'a@example.com', Department: 'R&D' }, ['Department'])] }),
        NOW,
      ),
    ).toEqual([]);
  });
});
