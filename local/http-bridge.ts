/**
 * Turns node:http requests into API Gateway HTTP API (payload v2) events and handler results back
 * into responses, so the local runtime calls the very handlers Lambda runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { problem } from '../lambdas/api/http-response.ts';
import { LeaverError } from '../lambdas/core/errors.ts';
import { apiGatewayEvent } from './api-gateway-event.ts';

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
  return apiGatewayEvent({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body,
    protocol: `HTTP/${req.httpVersion}`,
    sourceIp: opts.sourceIp ?? req.socket.remoteAddress ?? '127.0.0.1',
    ...(opts.routeKey === undefined ? {} : { routeKey: opts.routeKey }),
    ...(opts.pathParameters === undefined ? {} : { pathParameters: opts.pathParameters }),
  });
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
