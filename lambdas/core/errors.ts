/**
 * Leaver's one error taxonomy (docs/contributing.md#errors). Every error carries a stable `code` and a
 * `retryable` flag; `ERROR_TABLE` maps each code to its HTTP answer, its queue behaviour and its
 * audit outcome, so handlers, the worker and the API never invent their own mapping.
 *
 * Messages must never contain a secret, a token, an Authorization header or a raw email.
 */

export const ERROR_TABLE = {
  // --- caller errors (4xx, nothing changed) ---
  invalid_request: { status: 400, retryable: false, queue: 'drop' },
  invalid_signature: { status: 401, retryable: false, queue: 'drop' },
  unauthorized: { status: 401, retryable: false, queue: 'drop' },
  forbidden: { status: 403, retryable: false, queue: 'drop' },
  not_found: { status: 404, retryable: false, queue: 'drop' },
  method_not_allowed: { status: 405, retryable: false, queue: 'drop' },
  conflict: { status: 409, retryable: false, queue: 'drop' },
  payload_too_large: { status: 413, retryable: false, queue: 'drop' },
  unsupported_media_type: { status: 415, retryable: false, queue: 'drop' },
  source_disabled: { status: 404, retryable: false, queue: 'drop' },
  invalid_vendor_id: { status: 400, retryable: false, queue: 'drop' },
  // --- safety ---
  kill_switch: { status: 423, retryable: true, queue: 'retry' },
  quarantined: { status: 423, retryable: false, queue: 'drop' },
  // --- vendor errors (the action fails; retryable ones are retried by connectors/http first) ---
  vendor_auth: { status: 502, retryable: false, queue: 'drop' },
  vendor_forbidden: { status: 502, retryable: false, queue: 'drop' },
  vendor_not_found: { status: 502, retryable: false, queue: 'drop' },
  vendor_conflict: { status: 502, retryable: false, queue: 'drop' },
  vendor_bad_request: { status: 502, retryable: false, queue: 'drop' },
  vendor_rate_limited: { status: 503, retryable: true, queue: 'retry' },
  vendor_unavailable: { status: 503, retryable: true, queue: 'retry' },
  vendor_timeout: { status: 504, retryable: true, queue: 'retry' },
  vendor_network: { status: 503, retryable: true, queue: 'retry' },
  /** The vendor accepted a removal, but a read after it still shows the access: not revoked. */
  vendor_write_unverified: { status: 502, retryable: true, queue: 'retry' },
  /** The single-writer lease of a shared vendor object lapsed mid-write: the write stopped. */
  lock_lost: { status: 503, retryable: true, queue: 'retry' },
  /**
   * A successful answer whose body is not what the operation defines (not JSON, an HTML page, a
   * list or field missing, renamed or of another type). Retryable: the retry schedule runs the
   * offboarding again later (a proxy's or a maintenance page is transient; a changed API is alerted
   * at every attempt until the connector follows it). The HTTP layer does not repeat the call.
   */
  vendor_unexpected_response: { status: 502, retryable: true, queue: 'retry' },
  deadline_exceeded: { status: 504, retryable: true, queue: 'retry' },
  // --- ours ---
  config_invalid: { status: 500, retryable: false, queue: 'retry' },
  secret_unavailable: { status: 503, retryable: true, queue: 'retry' },
  storage_unavailable: { status: 503, retryable: true, queue: 'retry' },
  internal: { status: 500, retryable: false, queue: 'retry' },
  /** A scheduled job (due sweep, retry sweep, reconciliation) could not do all its work this run. */
  schedule_incomplete: { status: 500, retryable: true, queue: 'retry' },
} as const satisfies Record<string, { status: number; retryable: boolean; queue: 'retry' | 'drop' }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export interface LeaverErrorOptions {
  cause?: unknown;
  /** Safe, structured details for the caller (field names, limits). Never secrets or emails. */
  details?: Record<string, unknown>;
  /** Overrides the table's retryable flag (e.g. a 409 the vendor says is transient). */
  retryable?: boolean;
  /** Seconds the vendor asked us to wait (Retry-After). */
  retryAfterSeconds?: number;
  /** HTTP status the vendor answered, when the error came from a vendor. */
  vendorStatus?: number;
  vendorRequestId?: string;
}

export class LeaverError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
  readonly retryAfterSeconds?: number;
  readonly vendorStatus?: number;
  readonly vendorRequestId?: string;

  constructor(code: ErrorCode, message: string, options: LeaverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeaverError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_TABLE[code].retryable;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.vendorStatus = options.vendorStatus;
    this.vendorRequestId = options.vendorRequestId;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].status;
  }
}

export const isLeaverError = (e: unknown): e is LeaverError => e instanceof LeaverError;

/** Any thrown value as a LeaverError; unknown errors become `internal` and reveal nothing. */
export function toLeaverError(e: unknown): LeaverError {
  if (e instanceof LeaverError) return e;
  return new LeaverError('internal', 'Internal error', { cause: e });
}

export const notFound = (message: string) => new LeaverError('not_found', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new LeaverError('conflict', message, { details });
