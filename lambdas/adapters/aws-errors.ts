/**
 * Classifying AWS SDK errors into Leaver's taxonomy. Messages name the operation and the resource,
 * never request payloads.
 */
import { type ErrorCode, LeaverError } from '../core/errors.ts';

interface AwsLikeError {
  name?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $retryable?: unknown;
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'InternalServiceError',
  'InternalErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
]);

const NETWORK = new Set([
  'TimeoutError',
  'AbortError',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function awsErrorName(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as AwsLikeError;
  return err.name ?? err.code;
}

export function isConditionalCheckFailed(e: unknown): boolean {
  return awsErrorName(e) === 'ConditionalCheckFailedException';
}

/** True for throttling, 5xx, timeouts and connection failures: worth retrying later. */
export function isTransientAwsError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as AwsLikeError;
  const name = awsErrorName(e) ?? '';
  if (THROTTLING.has(name) || NETWORK.has(name)) return true;
  if (NETWORK.has(err.code ?? '')) return true;
  const status = err.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  if (err.$fault === 'server') return true;
  // Connection-level failures carry no HTTP status at all.
  const cause = (e as { cause?: unknown }).cause;
  if (cause && NETWORK.has(awsErrorName(cause) ?? '')) return true;
  return err.$metadata !== undefined && status === undefined;
}

/**
 * Wraps an unexpected AWS error: transient and missing-resource errors become `fallback`
 * (retryable, e.g. storage_unavailable); anything else is `internal` (a bug or misconfiguration).
 * An existing LeaverError passes through.
 */
export function toLeaverAwsError(e: unknown, what: string, fallback: ErrorCode): LeaverError {
  if (e instanceof LeaverError) return e;
  const name = awsErrorName(e) ?? 'Error';
  if (isTransientAwsError(e) || name === 'ResourceNotFoundException' || isConnectionFailure(e)) {
    return new LeaverError(fallback, `${what} failed (${name})`, { cause: e, retryable: true });
  }
  return new LeaverError('internal', `${what} failed (${name})`, { cause: e });
}

function isConnectionFailure(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur; depth++) {
    const code = (cur as { code?: string }).code;
    if (code && NETWORK.has(code)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}
