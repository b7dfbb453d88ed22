/**
 * Helpers every HR source module shares: the body limit, constant-time comparison, JSON, and field
 * parsing with the rules every edge shares (core/input-rules: one email rule, one instant rule,
 * one free-text rule), with messages that name the field (never the value: values may be emails).
 */
import { timingSafeEqual } from 'node:crypto';
import { LeaverError } from '../core/errors.ts';
import {
  emailRule,
  type InstantForm,
  instantRule,
  parseField,
  parseOptionalField,
  textRule,
} from '../core/input-rules/index.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import type { RawWebhook } from './types.ts';

export { MAX_BODY_BYTES };

export const invalidSignature = () => new LeaverError('invalid_signature', 'Invalid signature');

/** `invalid_request`; with `field`, the problem answer lists it (its rule without the field name). */
export const invalidRequest = (message: string, field?: string) =>
  new LeaverError(
    'invalid_request',
    message,
    field
      ? {
          details: {
            field,
            errors: [
              {
                path: field,
                message: message.startsWith(`${field} `) ? message.slice(field.length + 1) : message,
              },
            ],
          },
        }
      : {},
  );

export function assertBodySize(raw: RawWebhook): void {
  if (Buffer.byteLength(raw.body ?? '', 'utf8') > MAX_BODY_BYTES) {
    throw new LeaverError('payload_too_large', `Body is larger than ${MAX_BODY_BYTES} bytes`, {
      details: { limit: MAX_BODY_BYTES },
    });
  }
}

/** Constant-time equality of two byte strings; a length mismatch is checked first (and is false). */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  return timingSafeEqual(a, b);
}

export function header(raw: RawWebhook, name: string): string | undefined {
  const v = raw.headers[name.toLowerCase()];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Unix seconds from a header, or undefined when absent or not all digits. */
export function unixSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Throws invalid_signature unless `seconds` is within `toleranceSeconds` of `now`, either way. */
export function assertFresh(seconds: number | undefined, now: Date, toleranceSeconds = 300): number {
  if (seconds === undefined) throw invalidSignature();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (Math.abs(nowSeconds - seconds) > toleranceSeconds) throw invalidSignature();
  return seconds;
}

export type Json = Record<string, unknown>;

export function parseJsonObject(body: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw invalidRequest('body is not valid JSON');
  }
  if (!isObject(value)) throw invalidRequest('body must be a JSON object');
  return value;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A required email at `field`, trimmed and lower-cased; throws naming the field. */
export function requireEmail(value: unknown, field: string): string {
  return parseField(emailRule, value === '' ? undefined : value, field);
}

/** Optional list of alias emails at `field`. */
export function optionalEmails(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest(`${field} must be an array of email addresses`, field);
  if (value.length > 20) throw invalidRequest(`${field} has more than 20 entries`, field);
  return value.map((v, i) => requireEmail(v, `${field}[${i}]`));
}

/**
 * Optional single-line text (a name, an employee id) at `field`: absent or empty is undefined, a
 * number is taken as its decimal text (HR systems send numeric ids), control characters refused.
 */
export function optionalText(value: unknown, field: string, max = 200): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return parseField(textRule({ max }), value, field);
}

/**
 * Optional instant at `field`, in the form the source documents, as a UTC ISO string. Absent is
 * undefined; a value that is present must be a real instant: an empty string or 30 February is
 * refused, never read as "now" or rolled over to March.
 */
export function optionalInstant(value: unknown, field: string, form: InstantForm): string | undefined {
  return parseOptionalField(instantRule(form), value, field);
}

/** A source event id: 1-200 visible characters. */
export function requireEventId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidRequest(`${field} is required`, field);
  if (value.length > 200 || !/^[\x21-\x7e]+$/.test(value)) {
    throw invalidRequest(`${field} must be 1-200 visible ASCII characters`, field);
  }
  return value;
}
