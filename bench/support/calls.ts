/** Reading the sandbox request log: what kind of call each entry was, and when revocations ended. */
import type { RequestLogEntry, VendorName } from '../../sandbox/index.ts';

export type CallKind = 'auth' | 'challenge' | 'list' | 'revoke' | 'other';

export function callKind(e: RequestLogEntry): CallKind {
  if (e.method === 'POST' && /\/(connect|oauth)\/token$/.test(e.path)) return 'auth';
  if (e.status === 401) return 'challenge';
  if (e.method === 'GET') return 'list';
  if (
    e.method === 'DELETE' ||
    e.method === 'PATCH' ||
    (e.method === 'POST' && e.path.endsWith(':removeUser'))
  ) {
    return 'revoke';
  }
  return 'other';
}

/** Is this a continuation page of a listing (not its first page)? */
export function isContinuationPage(e: RequestLogEntry): boolean {
  const q = new URLSearchParams(e.query);
  const skip = Number(q.get('$skip') ?? 0);
  const page = Number(q.get('pageNum') ?? 1);
  return skip > 0 || page > 1;
}

export interface CallSummary {
  total: number;
  byVendor: Record<VendorName, number>;
  byKind: Record<CallKind, number>;
  /** Status 429 answers (sandbox buckets or injected). */
  rateLimited: number;
  serverErrors: number;
  /** Successful removals (2xx) and removals answered 404 (already absent). */
  revoked: number;
  revokeNotFound: number;
  /** Epoch ms when the last successful removal's answer was sent. */
  lastRevocationEndMs: number | undefined;
  firstRequestMs: number | undefined;
}

export function summarise(log: readonly RequestLogEntry[]): CallSummary {
  const byVendor = { itwin: 0, atlas: 0, cloudmanager: 0 } as Record<VendorName, number>;
  const byKind = { auth: 0, challenge: 0, list: 0, revoke: 0, other: 0 } as Record<CallKind, number>;
  let rateLimited = 0;
  let serverErrors = 0;
  let revoked = 0;
  let revokeNotFound = 0;
  let last: number | undefined;
  let first: number | undefined;
  for (const e of log) {
    byVendor[e.vendor]++;
    const kind = callKind(e);
    byKind[kind]++;
    const at = Date.parse(e.at);
    first = first === undefined ? at : Math.min(first, at);
    if (e.status === 429) rateLimited++;
    if (e.status !== null && e.status >= 500) serverErrors++;
    if (kind === 'revoke' && e.status !== null && e.status >= 200 && e.status < 300) {
      revoked++;
      const end = at + e.durationMs;
      last = last === undefined ? end : Math.max(last, end);
    }
    if (kind === 'revoke' && e.status === 404) revokeNotFound++;
  }
  return {
    total: log.length,
    byVendor,
    byKind,
    rateLimited,
    serverErrors,
    revoked,
    revokeNotFound,
    lastRevocationEndMs: last,
    firstRequestMs: first,
  };
}
