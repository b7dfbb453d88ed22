/**
 * Shared HTTP answers for the API Gateway HTTP API (payload v2) handlers: JSON bodies and RFC 9457
 * problem details. Every error a handler answers goes through `problem()`, which maps a LeaverError
 * through ERROR_TABLE and turns anything else into a 500 that reveals nothing internal.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ERROR_TABLE, type ErrorCode, isLeaverError } from '../core/errors.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/** The `type` URI of a problem: stable per error code. */
export const PROBLEM_TYPE_BASE = 'https://leaver.dev/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  423: 'Locked',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface ProblemFieldError {
  /** Dotted path of the offending field ("" for the body itself). */
  path: string;
  message: string;
}

/** RFC 9457 problem details plus Leaver's stable `code` and optional field errors. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  errors?: ProblemFieldError[];
}

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** A JSON answer. `body` undefined gives an empty body (e.g. 204). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  const result: HttpResult = {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? '' : JSON.stringify(body),
  };
  for (const [k, v] of Object.entries(headers)) result.headers[k.toLowerCase()] = v;
  return result;
}

/** A text answer (CSV, JSON Lines) with the given content type. */
export function text(
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
) {
  const result: HttpResult = {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, 'content-type': contentType },
    body,
  };
  for (const [k, v] of Object.entries(headers)) result.headers[k.toLowerCase()] = v;
  return result;
}

/** The problem body for an error, without wrapping it in a response. */
export function problemBody(err: unknown, instance?: string): ProblemBody {
  if (isLeaverError(err)) {
    const status = ERROR_TABLE[err.code]?.status ?? 500;
    // Internal and configuration errors never reveal their message.
    const hidden = status >= 500 && (err.code === 'internal' || err.code === 'config_invalid');
    const body: ProblemBody = {
      type: PROBLEM_TYPE_BASE + err.code,
      title: TITLES[status] ?? 'Error',
      status,
      detail: hidden ? 'An internal error occurred.' : err.message,
      code: err.code,
    };
    if (instance !== undefined) body.instance = instance;
    const errors = err.details?.errors;
    if (Array.isArray(errors)) body.errors = errors.filter(isFieldError);
    return body;
  }
  const body: ProblemBody = {
    type: PROBLEM_TYPE_BASE + 'internal',
    title: TITLES[500]!,
    status: 500,
    detail: 'An internal error occurred.',
    code: 'internal',
  };
  if (instance !== undefined) body.instance = instance;
  return body;
}

function isFieldError(value: unknown): value is ProblemFieldError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProblemFieldError).path === 'string' &&
    typeof (value as ProblemFieldError).message === 'string'
  );
}

/**
 * An `application/problem+json` answer for any thrown value. A LeaverError maps through
 * ERROR_TABLE (its `details.errors`, when an array of {path, message}, becomes `errors`); anything
 * else is a 500 with a generic detail. Retryable errors with a Retry-After hint pass it on.
 */
export function problem(err: unknown, instance?: string, headers: Record<string, string> = {}): HttpResult {
  const body = problemBody(err, instance);
  const extra: Record<string, string> = {};
  if (isLeaverError(err) && err.retryAfterSeconds !== undefined && body.status >= 500) {
    extra['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterSeconds)));
  }
  if (body.code === 'unauthorized') {
    extra['www-authenticate'] = 'Bearer';
  }
  const result = json(body.status, body, { ...extra, ...headers });
  result.headers['content-type'] = 'application/problem+json';
  return result;
}
