/**
 * Turns node:http requests into API Gateway HTTP API (payload v2) events and handler results back
 * into responses, so the local runtime calls the very handlers Lambda runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LeaverError } from '../lambdas/core/errors.ts';
import { problem } from '../lambdas/handlers/http-response.ts';

/** Bodies larger than this are refused by the local server before any handler sees them. */
export const MAX_LOCAL_BODY_BYTES = 1024 * 1024;

/** The 413 answer of a body over MAX_LOCAL_BODY_BYTES. */
export class BodyTooLargeError extends LeaverError {
  constructor(limit = MAX_LOCAL_BODY_BYTES) {
    super('payload_too_large', `The body is larger than ${limit} bytes`, { details: { limit } });
  }
}

/** Reads the whole body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = MAX_LOCAL_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function isUtf8(buf: Buffer): boolean {
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

export interface EventOptions {
  /** e.g. `POST /hooks/{source}` or `ANY /v1/{proxy+}`; `$default` when absent. */
  routeKey?: string;
  pathParameters?: Record<string, string>;
  sourceIp?: string;
}

/** An HTTP API v2 event as API Gateway would send it for this request. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  opts: EventOptions = {},
): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key === 'cookie') cookies.push(...(Array.isArray(v) ? v : [v]).flatMap((c) => c.split(/;\s*/)));
    else headers[key] = Array.isArray(v) ? v.join(',') : v;
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const now = new Date();
  const text = body.length > 0 && isUtf8(body);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: opts.routeKey ?? '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.startsWith('?') ? url.search.slice(1) : url.search,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: opts.sourceIp ?? req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `local-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      routeKey: opts.routeKey ?? '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: body.length > 0 && !text,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (url.search.length > 1) {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    event.queryStringParameters = query;
  }
  if (opts.pathParameters) event.pathParameters = opts.pathParameters;
  if (body.length > 0) event.body = text ? body.toString('utf8') : body.toString('base64');
  return event;
}

/** Writes a handler's result (structured or a bare value, as API Gateway accepts) to the response. */
export function sendResult(
  res: ServerResponse,
  result: APIGatewayProxyStructuredResultV2 | string | object,
): void {
  const structured =
    typeof result === 'object' && result !== null && 'statusCode' in result
      ? (result as APIGatewayProxyStructuredResultV2)
      : { statusCode: 200, body: JSON.stringify(result), headers: { 'content-type': 'application/json' } };
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(structured.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const body = structured.body
    ? structured.isBase64Encoded
      ? Buffer.from(structured.body, 'base64')
      : Buffer.from(structured.body, 'utf8')
    : Buffer.alloc(0);
  headers['content-length'] = String(body.length);
  res.writeHead(structured.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * An error the local server answers itself (unknown route, body too large, a failure outside any
 * handler): application/problem+json with a stable code, as every handler answers.
 */
export function sendProblem(res: ServerResponse, err: unknown): void {
  sendResult(res, problem(err));
}
