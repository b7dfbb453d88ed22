/**
 * The one place where vendor answers and network faults become Leaver error codes. Messages name
 * the vendor, the method and the route template only: never a URL query, a header, a body, a
 * credential or an email.
 */
import { type ErrorCode, LeaverError } from '../../core/errors.ts';
import type { VendorTarget } from './types.ts';

export interface CallInfo extends VendorTarget {
  method: string;
  route: string;
}

/** Error code for an HTTP status the vendor answered (only called for statuses >= 400). */
export function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'vendor_bad_request';
  if (status === 401) return 'vendor_auth';
  if (status === 403) return 'vendor_forbidden';
  if (status === 404) return 'vendor_not_found';
  if (status === 409) return 'vendor_conflict';
  if (status === 429) return 'vendor_rate_limited';
  if (status >= 500) return 'vendor_unavailable';
  return 'vendor_bad_request';
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function statusError(
  status: number,
  call: CallInfo,
  extra: { vendorRequestId?: string; retryAfterSeconds?: number; vendorCode?: string } = {},
): LeaverError {
  const code = codeForStatus(status);
  return new LeaverError(code, `${call.vendor} answered ${status} to ${call.method} ${call.route}`, {
    vendorStatus: status,
    vendorRequestId: extra.vendorRequestId,
    retryAfterSeconds: extra.retryAfterSeconds,
    details: {
      vendor: call.vendor,
      tenantId: call.tenantId,
      method: call.method,
      route: call.route,
      ...(extra.vendorCode ? { vendorCode: extra.vendorCode } : {}),
    },
  });
}

export type FaultKind = 'timeout' | 'network';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The low-level code of a thrown fetch error (undici wraps it in `cause`), if any. */
export function faultCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR'))) return code;
    const message = (cur as { message?: unknown }).message;
    if (typeof message === 'string' && /socket hang up|other side closed|terminated/i.test(message)) {
      return 'ECONNRESET';
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Is this thrown value a transport fault worth retrying (reset, refused, hang up)? */
export function isNetworkFault(e: unknown): boolean {
  if (faultCode(e) !== undefined) return true;
  return e instanceof TypeError && /fetch failed|network/i.test(e.message);
}

export function faultError(kind: FaultKind, call: CallInfo, code?: string): LeaverError {
  const errorCode: ErrorCode = kind === 'timeout' ? 'vendor_timeout' : 'vendor_network';
  const what = kind === 'timeout' ? 'timed out' : `failed (${code ?? 'network error'})`;
  return new LeaverError(errorCode, `${call.vendor} ${call.method} ${call.route} ${what}`, {
    details: { vendor: call.vendor, tenantId: call.tenantId, method: call.method, route: call.route },
  });
}

export function deadlineError(call: CallInfo, last?: LeaverError): LeaverError {
  return new LeaverError(
    'deadline_exceeded',
    `deadline reached before ${call.vendor} ${call.method} ${call.route} could complete`,
    {
      vendorStatus: last?.vendorStatus,
      vendorRequestId: last?.vendorRequestId,
      retryAfterSeconds: last?.retryAfterSeconds,
      details: {
        vendor: call.vendor,
        tenantId: call.tenantId,
        method: call.method,
        route: call.route,
        ...(last ? { lastError: last.code } : {}),
      },
    },
  );
}

/**
 * A successful answer Leaver cannot use: `why` names what is wrong (a field path, the expected
 * type), never a value from the body (it could be an email).
 */
export function unexpectedResponse(call: CallInfo, why: string, vendorRequestId?: string): LeaverError {
  return new LeaverError(
    'vendor_unexpected_response',
    `${call.vendor} ${call.method} ${call.route}: unexpected answer: ${why}`,
    {
      vendorRequestId,
      details: { vendor: call.vendor, tenantId: call.tenantId, method: call.method, route: call.route },
    },
  );
}

/** Reads a vendor error code from the body (iTwin `{error:{code}}`, MongoDB `{errorCode}`), if any. */
export function vendorErrorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } | unknown; errorCode?: unknown };
    if (typeof parsed.errorCode === 'string') return safeToken(parsed.errorCode);
    const err = parsed.error as { code?: unknown } | undefined;
    if (err && typeof err === 'object' && typeof err.code === 'string') return safeToken(err.code);
  } catch {
    // not JSON
  }
  return undefined;
}

/** Only identifier-like codes pass (no free text that could carry an email). */
function safeToken(value: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,80}$/.test(value) ? value : undefined;
}
