/**
 * The one builder of API Gateway HTTP API (payload v2) events. The local runtime turns every HTTP
 * request into one with it, and the tests and benchmarks build theirs with it too, so the handlers
 * see the same event shape everywhere (the shape API Gateway sends: lower-case headers, cookies
 * split out of the `cookie` header, a base64 body when it is not UTF-8 text).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ApiGatewayEventInput {
  method: string;
  /** Path and query as sent, e.g. `/v1/offboardings?status=failed`. */
  url: string;
  /** Any case; repeated values (string[]) are joined with commas, as API Gateway does. */
  headers?: Record<string, string | string[] | undefined>;
  /**
   * A string is sent as is (base64 only when `isBase64Encoded` says so); a Buffer is sent as text
   * when it is valid UTF-8 and as base64 otherwise, and an empty Buffer as no body.
   */
  body?: string | Buffer;
  isBase64Encoded?: boolean;
  /** e.g. `POST /hooks/{source}` or `ANY /v1/{proxy+}`; `$default` when absent. */
  routeKey?: string;
  pathParameters?: Record<string, string>;
  /** `requestContext.authorizer` (API Gateway's IAM or JWT authoriser). */
  authorizer?: unknown;
  sourceIp?: string;
  protocol?: string;
  requestId?: string;
  now?: Date;
}

function isUtf8(buf: Buffer): boolean {
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** The route of `method path` as the stack declares it: the intake's hooks and the /v1 proxy. */
export function apiGatewayRoute(
  method: string,
  path: string,
): { kind: 'intake' | 'api'; routeKey: string; pathParameters: Record<string, string> } | undefined {
  const hook = /^\/hooks\/([^/]+)\/?$/.exec(path);
  if (hook) {
    let source = hook[1]!;
    try {
      source = decodeURIComponent(source);
    } catch {
      // left as sent: no source has such a name, the intake answers 404
    }
    return {
      kind: 'intake',
      routeKey: `${method.toUpperCase()} /hooks/{source}`,
      pathParameters: { source },
    };
  }
  if (path === '/v1' || path.startsWith('/v1/')) {
    return {
      kind: 'api',
      routeKey: 'ANY /v1/{proxy+}',
      pathParameters: { proxy: path.slice('/v1/'.length) },
    };
  }
  return undefined;
}

/** An HTTP API v2 event as API Gateway would send it for this request. */
export function apiGatewayEvent(input: ApiGatewayEventInput): APIGatewayProxyEventV2 {
  const url = new URL(input.url, 'http://local');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(input.headers ?? {})) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key === 'cookie') cookies.push(...(Array.isArray(v) ? v : [v]).flatMap((c) => c.split(/;\s*/)));
    else headers[key] = Array.isArray(v) ? v.join(',') : v;
  }
  const method = input.method.toUpperCase();
  const now = input.now ?? new Date();
  const routeKey = input.routeKey ?? '$default';
  let body: string | undefined;
  let isBase64Encoded = input.isBase64Encoded ?? false;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined && input.body.length > 0) {
    const text = isUtf8(input.body);
    body = text ? input.body.toString('utf8') : input.body.toString('base64');
    isBase64Encoded = !text;
  }
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
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
        protocol: input.protocol ?? 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId ?? `local-${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (url.search.length > 1) {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    event.queryStringParameters = query;
  }
  if (input.pathParameters) event.pathParameters = input.pathParameters;
  if (input.authorizer !== undefined) {
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = input.authorizer;
  }
  if (body !== undefined) event.body = body;
  return event;
}
