/**
 * The MongoDB error body (`ApiError` in the Atlas spec, the same fields in Cloud Manager):
 * `{ detail, error, errorCode, parameters, reason }`, Content-Type `application/json`.
 */
export interface ApiErrorBody {
  detail: string;
  error: number;
  errorCode: string;
  parameters: unknown[];
  reason: string;
  badRequestDetail?: { fields: { field: string; description: string }[] };
}

export const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function apiErrorBody(status: number, errorCode: string, detail: string, parameters: unknown[] = []) {
  const body: ApiErrorBody = {
    detail,
    error: status,
    errorCode,
    parameters,
    reason: REASONS[status] ?? 'Error',
  };
  return body;
}

/** Thrown by handlers; the emulator turns it into an ApiError response (envelope/pretty applied). */
export class MongoApiError extends Error {
  readonly body: ApiErrorBody;
  constructor(
    readonly status: number,
    errorCode: string,
    detail: string,
    parameters: unknown[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${errorCode}: ${detail}`);
    this.body = apiErrorBody(status, errorCode, detail, parameters);
  }
}

export const notFoundResource = (path: string) =>
  new MongoApiError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${path}`, [path]);

/** Control-plane failure of a vendor action (the control route answers with `status`). */
export class ActionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
