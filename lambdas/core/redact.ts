/**
 * Keeping secrets and raw emails out of logs, metrics, notifications and audit details.
 */
import { createHash } from 'node:crypto';

/** Stable pseudonym of an email for logs and metrics: `e_` + 16 hex of sha256(lower-cased, trimmed). */
export function hashEmail(email: string): string {
  return `e_${createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * Key names whose values are never kept: anything containing secret, token, password/passwd,
 * authorization, cookie, privateKey/private_key, apiKey/api_key, clientSecret, credential(s),
 * signature. Compared case-insensitively with `-` and `_` ignored.
 */
const SECRET_KEY = /secret|token|passw(or)?d|authori[sz]ation|cookie|privatekey|apikey|credential|signature/;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_\s]/g, ''));
}

/**
 * A deep copy of `value` without any secret-looking key (at any depth, inside arrays too).
 * Cycles are cut (replaced by '[circular]'); non-plain objects such as Date pass through JSON form.
 */
export function redact<T>(value: T): T {
  return redactInner(value, new WeakSet()) as T;
}

function redactInner(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (value instanceof Date) return value.toISOString();
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => redactInner(v, seen));
  } else {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (isSecretKey(k)) continue;
      o[k] = redactInner(v, seen);
    }
    out = o;
  }
  seen.delete(value);
  return out;
}

/** Every character the email rule (input-rules/email.ts) allows, so an accepted address is scrubbed whole. */
const EMAIL_IN_TEXT = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.(?:xn--[A-Za-z0-9-]+|[A-Za-z]{2,})/g;

/** Replaces every email-looking substring of free text by its hashEmail() pseudonym. */
export function scrubEmails(text: string): string {
  return text.replace(EMAIL_IN_TEXT, (m) => hashEmail(m));
}
