/**
 * The one email rule of every edge (HR payloads, the API, command input, configuration).
 *
 * An address is the join key at every vendor, so the rule takes what a mail system may hand out
 * and nothing that could be mistaken for something else: a dot-atom local part (RFC 5322: letters,
 * digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~, dots only between them; at most 64
 * characters), `@`, and a host name of two or more labels (letters, digits, inner dashes; at most
 * 63 characters each) ending in an alphabetic or punycode (`xn--`) top-level domain; at most 254
 * characters in all. Quoted local parts, IP-literal domains and non-ASCII addresses are refused:
 * no vendor Leaver manages issues them. It is trimmed and lower-cased (addresses are compared
 * case-insensitively everywhere).
 */
import * as z from 'zod';

export const EMAIL_MAX_LENGTH = 254;

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const TOP_LEVEL = '(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})';
const EMAIL = new RegExp(`^(?=[^@]{1,64}@)${ATOM}(?:\\.${ATOM})*@(?:${LABEL}\\.)+${TOP_LEVEL}$`);

export const EMAIL_MESSAGE = 'must be an email address';

/** Whether a value is an address the rule accepts (after trimming), without normalising it. */
export function isEmailAddress(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const s = value.trim();
  return s.length <= EMAIL_MAX_LENGTH && EMAIL.test(s);
}

/** An email address: trimmed, checked, lower-cased. */
export const emailRule = z
  .string({ error: EMAIL_MESSAGE })
  .trim()
  .max(EMAIL_MAX_LENGTH, { error: `is longer than ${EMAIL_MAX_LENGTH} characters`, abort: true })
  .regex(EMAIL, EMAIL_MESSAGE)
  .toLowerCase()
  .meta({ format: 'email' });
