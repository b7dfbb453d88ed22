/**
 * The API's opaque page cursors. A cursor wraps the store's own cursor together with the listing it
 * belongs to and a fingerprint of the query's filters, so a cursor is only valid for the same
 * listing with the same filters; anything else (tampered, truncated, from another listing) is a 400.
 */
import { createHash } from 'node:crypto';
import { LeaverError } from '../core/errors.ts';

export function invalidCursor(): LeaverError {
  return new LeaverError('invalid_request', 'cursor is not valid for this listing', {
    details: { errors: [{ path: 'cursor', message: 'invalid or expired cursor' }] },
  });
}

function fingerprint(listing: string, filters: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(filters)
      .sort()
      .filter((k) => filters[k] !== undefined)
      .map((k) => [k, filters[k]]),
  );
  return createHash('sha256').update(`${listing}\n${canonical}`).digest('base64url').slice(0, 16);
}

/** Wraps a store cursor for `listing` with its filters. */
export function wrapCursor(
  listing: string,
  filters: Record<string, unknown>,
  inner: string | undefined,
): string | undefined {
  if (inner === undefined) return undefined;
  return Buffer.from(
    JSON.stringify({ l: listing, f: fingerprint(listing, filters), c: inner }),
    'utf8',
  ).toString('base64url');
}

/** The store cursor inside an API cursor, or a 400 when it does not belong to this listing. */
export function unwrapCursor(
  listing: string,
  filters: Record<string, unknown>,
  cursor: string | undefined,
): string | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalidCursor();
  const { l, f, c } = parsed as Record<string, unknown>;
  if (l !== listing || f !== fingerprint(listing, filters) || typeof c !== 'string' || c === '') {
    throw invalidCursor();
  }
  return c;
}
