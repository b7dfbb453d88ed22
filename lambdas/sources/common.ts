/**
 * Helpers every HR source module shares: the body limit, constant-time comparison, JSON and field
 * validation with messages that name the problem (never the value: values may be emails).
 */
import { timingSafeEqual } from 'node:crypto';
import { LeaverError } from '../core/errors.ts';
import { normaliseEmail } from '../core/model.ts';
import type { RawWebhook } from './types.ts';

/** Bodies over this are refused before hashing (HR payloads are a few KiB; docs/hr-sources.md#common-rules). */
export const MAX_BODY_BYTES = 64 * 1024;

export const invalidSignature = () => new LeaverError('invalid_signature', 'Invalid signature');

export const invalidRequest = (message: string, field?: string) =>
  new LeaverError('invalid_request', message, field ? { details: { field } } : {});

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

const EMAIL =
  /^[^\s@<>()[\],;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

export function isEmail(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 254 && EMAIL.test(value.trim());
}

/** A required email at `field`, lower-cased; throws naming the field. */
export function requireEmail(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '')
    throw invalidRequest(`${field} is required`, field);
  if (!isEmail(value)) throw invalidRequest(`${field} must be an email address`, field);
  return normaliseEmail(value);
}

/** Optional list of alias emails at `field`. */
export function optionalEmails(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest(`${field} must be an array of email addresses`, field);
  if (value.length > 20) throw invalidRequest(`${field} has more than 20 entries`, field);
  return value.map((v, i) => requireEmail(v, `${field}[${i}]`));
}

export function optionalString(value: unknown, field: string, max = 200): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw invalidRequest(`${field} must be a string`, field);
  if (value.length > max) throw invalidRequest(`${field} is longer than ${max} characters`, field);
  return value;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO-8601 instant as `toISOString()`. A date without a time means 00:00 UTC that day; a
 * date-time must carry its offset (`Z` or `+01:00`) so no server time zone is ever guessed.
 */
export function optionalInstant(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !(DATE_ONLY.test(value) || DATE_TIME.test(value))) {
    throw invalidRequest(`${field} must be an ISO-8601 date (YYYY-MM-DD) or date-time with an offset`, field);
  }
  const t = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw invalidRequest(`${field} is not a valid date`, field);
  return new Date(t).toISOString();
}

/** A source event id: 1-200 visible characters. */
export function requireEventId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidRequest(`${field} is required`, field);
  if (value.length > 200 || !/^[\x21-\x7e]+$/.test(value)) {
    throw invalidRequest(`${field} must be 1-200 visible ASCII characters`, field);
  }
  return value;
}
