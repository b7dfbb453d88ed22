/**
 * Opaque page cursors: base64url of a small JSON document. Decoding validates the shape, so a
 * tampered or foreign cursor is a 400 (`invalid_request`), never a DynamoDB error or a 500.
 */
import { LeaverError } from '../core/errors.ts';

const MAX_CURSOR_LENGTH = 2048;

export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function invalidCursor(): LeaverError {
  return new LeaverError('invalid_request', 'Invalid cursor', { details: { field: 'cursor' } });
}

/** Decodes a cursor to a plain object, or throws invalid_request. */
export function decodeCursor(cursor: string): Record<string, unknown> {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) {
    throw invalidCursor();
  }
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  return parsed as Record<string, unknown>;
}

/** A DynamoDB key inside a cursor: exactly `names`, each a string (or number when listed in `numeric`). */
export function checkKey(
  key: unknown,
  names: readonly string[],
  numeric: readonly string[] = [],
): Record<string, string | number> {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw invalidCursor();
  const entries = Object.entries(key as Record<string, unknown>);
  if (entries.length !== names.length) throw invalidCursor();
  for (const [k, v] of entries) {
    if (!names.includes(k)) throw invalidCursor();
    if (numeric.includes(k)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidCursor();
    } else if (typeof v !== 'string' || v.length === 0 || v.length > 1024) {
      throw invalidCursor();
    }
  }
  return key as Record<string, string | number>;
}

/** A page size: default when absent, integer 1..max otherwise. */
export function pageLimit(limit: number | undefined, def: number, max: number): number {
  if (limit === undefined) return def;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new LeaverError('invalid_request', `limit must be an integer from 1 to ${max}`, {
      details: { field: 'limit', max },
    });
  }
  return limit;
}

/** An ISO-8601 bound normalised to `toISOString()` form so it compares with stored keys. */
export function isoBound(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new LeaverError('invalid_request', `${field} must be an ISO-8601 date-time`, {
      details: { field },
    });
  }
  return new Date(t).toISOString();
}

/** Sorts after any key that starts with the same prefix (used for inclusive upper bounds). */
export const KEY_MAX_SUFFIX = '#\uffff';
