/**
 * Parsing one value with a rule, for edges that read fields one at a time (the HR payloads, whose
 * field names vary by source, and command input). A failure is a LeaverError `invalid_request`
 * whose message names the field and the rule, never the value (values may be emails).
 */
import type * as z from 'zod';
import { LeaverError } from '../errors.ts';

export interface FieldError {
  /** Dotted path of the offending field (`''` for the body itself). */
  path: string;
  message: string;
}

/** zod issues as field errors under `prefix` (e.g. `query`; `''` for a body). */
export function fieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { path, message };
  });
}

/** `invalid_request` naming `field`, with the field error the problem answer lists. */
export function invalidField(field: string, rule: string): LeaverError {
  return new LeaverError('invalid_request', `${field} ${rule}`, {
    details: { field, errors: [{ path: field, message: rule }] },
  });
}

/** `value` parsed by `rule`; absent (undefined or null) is `${field} is required`. */
export function parseField<S extends z.ZodType>(rule: S, value: unknown, field: string): z.output<S> {
  if (value === undefined || value === null) throw invalidField(field, 'is required');
  const r = rule.safeParse(value);
  if (r.success) return r.data;
  const first = fieldErrors(r.error, '')[0];
  const at = first?.path ? `${field}.${first.path}` : field;
  throw invalidField(at, first?.message ?? 'is invalid');
}

/** Like parseField, but absent (undefined or null) is undefined. An empty string is not absent. */
export function parseOptionalField<S extends z.ZodType>(
  rule: S,
  value: unknown,
  field: string,
): z.output<S> | undefined {
  return value === undefined || value === null ? undefined : parseField(rule, value, field);
}
