/**
 * The one instant rule of every edge: ISO-8601 dates and date-times, checked against the calendar
 * and the clock (2027-02-30 and 24:00 are refused, never rolled over as `Date.parse` does), and
 * returned as a UTC `toISOString()`.
 *
 * - A date (`2026-12-01`) means 00:00 UTC that day.
 * - A date-time must carry its offset (`Z`, `+01:00` or `+0100`) so no server time zone is ever
 *   guessed; seconds and up to nine fraction digits are optional (the fraction is kept to the ms).
 * - An empty string is refused like any other malformed value: an absent field is `undefined`,
 *   and "no date" never silently becomes "now".
 */
import * as z from 'zod';

/** Which forms a field takes, as its source documents it. */
export type InstantForm = 'date' | 'date-time' | 'date or date-time';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/i;

/** The shape both forms share, for the API description (the calendar check is the server's). */
const DATE_OR_DATE_TIME_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}([Tt]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?([Zz]|[+-]\\d{2}:?\\d{2}))?$';

const SHAPES: Record<InstantForm, string> = {
  date: 'must be an ISO-8601 date (YYYY-MM-DD)',
  'date-time': 'must be an ISO-8601 date-time with an offset (e.g. 2026-12-01T17:00:00+01:00)',
  'date or date-time': 'must be an ISO-8601 date (YYYY-MM-DD) or date-time with an offset',
};

/** Days in a month. The Gregorian calendar repeats every 400 years, so any year maps into 2000-2399. */
const daysIn = (year: number, month: number) =>
  new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();

export type InstantReading = { ok: true; iso: string } | { ok: false; message: string };

/** Reads an instant of the given form: its UTC ISO string, or why it is not one. */
export function readInstant(value: string, form: InstantForm): InstantReading {
  if (value === '') return { ok: false, message: 'must not be empty' };
  const date = form !== 'date-time' ? DATE.exec(value) : null;
  const dateTime = form !== 'date' && !date ? DATE_TIME.exec(value) : null;
  const m = date ?? dateTime;
  if (!m) return { ok: false, message: SHAPES[form] };
  // Groups a form lacks (the time of a date, the seconds) read as 0.
  const [year, month, day, hour, minute, second] = Array.from({ length: 6 }, (_, i) =>
    Number(m[i + 1] ?? 0),
  ) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
    return { ok: false, message: 'is not a calendar date' };
  }
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, message: 'is not a time of day' };
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return { ok: false, message: 'has an offset that is not a time zone offset' };
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  t.setUTCHours(hour, minute, second, ms);
  return { ok: true, iso: new Date(t.getTime() - offsetMinutes * 60_000).toISOString() };
}

function buildInstantRule(form: InstantForm) {
  return z
    .string({ error: SHAPES[form] })
    .superRefine((s, ctx) => {
      const r = readInstant(s, form);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message });
    })
    .transform((s) => (readInstant(s, form) as { iso: string }).iso)
    .meta(
      form === 'date'
        ? { format: 'date' }
        : form === 'date-time'
          ? { format: 'date-time' }
          : {
              description: 'An ISO-8601 date (midnight UTC) or date-time with an offset.',
              pattern: DATE_OR_DATE_TIME_PATTERN,
            },
    );
}

const rules = new Map<InstantForm, ReturnType<typeof buildInstantRule>>();

/** An instant of the given form, as a UTC ISO string (one schema per form, built on first use). */
export function instantRule(form: InstantForm): ReturnType<typeof buildInstantRule> {
  let rule = rules.get(form);
  if (!rule) {
    rule = buildInstantRule(form);
    rules.set(form, rule);
  }
  return rule;
}
