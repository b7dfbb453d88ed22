/**
 * Checking a vendor's successful answer against the schema of its operation before anything is
 * decided on it. A vendor that renames or drops a field (say the email of a member listing) must
 * fail the discovery loudly, not look like a tenant where the leaver holds nothing.
 *
 * Schemas are loose (fields the vendor adds are fine) and require what the connector decides on.
 * They are built on first use, not at module load, so a Lambda cold start does not pay for them.
 */
import type * as z from 'zod';
import { type CallInfo, unexpectedResponse } from './errors.ts';

/** A value built on its first use and kept. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}

/** The body as the schema's output, or vendor_unexpected_response naming what did not match. */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  body: unknown,
  call: CallInfo,
  vendorRequestId?: string,
): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw unexpectedResponse(call, describeIssues(result.error.issues, body), vendorRequestId);
}

const MAX_ISSUES = 3;

/**
 * Where and how the body differs from the schema, e.g. `members[3].email: missing`. Only paths and
 * expected types: zod's own messages are not used, and no value of the body is ever quoted.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], body: unknown): string {
  if (body === undefined) return 'the body is empty';
  const parts = issues
    .slice(0, MAX_ISSUES)
    .map((issue) => `${pathText(issue.path)}: ${problem(issue, body)}`);
  if (issues.length > MAX_ISSUES) parts.push(`and ${issues.length - MAX_ISSUES} more`);
  return parts.join('; ');
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the body';
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

function problem(issue: z.core.$ZodIssue, body: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return isMissing(body, issue.path) ? 'missing' : `expected ${issue.expected}`;
    case 'invalid_format':
      return 'not in the expected format';
    case 'invalid_value':
      return 'not one of the expected values';
    case 'custom':
      // Our own refinements write a fixed message (never a value).
      return issue.message;
    default:
      return issue.code.replace(/_/g, ' ');
  }
}

/** True when the key the path ends in is absent from its parent object in the body. */
function isMissing(body: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let parent: unknown = body;
  for (const p of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<PropertyKey, unknown>)[p];
  }
  return parent !== null && typeof parent === 'object' && !Array.isArray(parent) && !(path.at(-1)! in parent);
}
