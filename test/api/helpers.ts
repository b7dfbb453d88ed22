/**
 * Test support for the management API: the local runtime's real dependencies (dynalite tables,
 * in-process queue and worker, the sandbox seeded with demo data, file secrets) and a `call` that
 * invokes the Lambda handler with an API Gateway HTTP API v2 event. Every answer is checked
 * against the route's own response schema (or the problem schema), so a test that gets a response
 * also proves it conforms to the OpenAPI document.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { expect } from 'vitest';
import * as z from 'zod';
import { type ApiOptions, handleApiEvent, router } from '../../lambdas/api/app.ts';
import { ProblemSchema } from '../../lambdas/api/schemas.ts';
import { LeaverError } from '../../lambdas/core/errors.ts';
import { handler } from '../../lambdas/handlers/api.ts';
import { localContext } from '../../lambdas/handlers/middleware.ts';
import { apiGatewayEvent } from '../../local/api-gateway-event.ts';
import { type LocalRuntime, startLocal } from '../../local/main.ts';

export const TOKEN = 'leaver-local-demo-token';
export const DANA = 'dana.leaver@example.com';
export const SAM = 'sam.stays@example.com';
export const CM_ORG = '5f1a0000000000000000c001';
export const CM_PROJECT = '5f1a0000000000000000c101';
export const ATLAS_ORG = '6a1b0000000000000000a001';
export const ITWIN_1 = '7c0f0a3e-0000-4000-8000-000000000001';

export async function startRuntime(config?: (c: Record<string, unknown>) => void): Promise<LocalRuntime> {
  let doc: unknown;
  if (config) {
    const { readFileSync } = await import('node:fs');
    const c = JSON.parse(readFileSync('local/demo-config.json', 'utf8')) as Record<string, unknown>;
    config(c);
    doc = c;
  }
  return startLocal({
    port: 0,
    sandboxPort: 0,
    schedules: false,
    banner: false,
    secretsFile: 'local/secrets.json',
    ...(doc ? { config: doc } : {}),
  });
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (malformed JSON, wrong types). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Bearer token; `null` sends none. Default: the demo token. */
  token?: string | null;
  contentType?: string | null;
  /** `requestContext.authorizer` for AWS-mode calls. */
  authorizer?: unknown;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers freely after schema validation.
  body: any;
}

export function event(method: string, pathAndQuery: string, opts: CallOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  const contentType = opts.contentType === undefined ? 'application/json' : opts.contentType;
  if (body !== undefined && contentType !== null) headers['content-type'] = contentType;
  return apiGatewayEvent({
    method,
    url: pathAndQuery,
    headers,
    routeKey: 'ANY /v1/{proxy+}',
    ...(body === undefined ? {} : { body }),
    ...(opts.authorizer === undefined ? {} : { authorizer: opts.authorizer }),
  });
}

/** Checks an answer against the schema its route documents for that status (or the problem schema). */
export function checkConforms(method: string, path: string, res: CallResult): void {
  const media = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (res.status >= 400 && media !== 'application/json') {
    expect(media).toBe('application/problem+json');
    ProblemSchema.parse(res.body);
    expect(res.body.status).toBe(res.status);
    return;
  }
  let matched: ReturnType<typeof router.match>;
  try {
    matched = router.match(method, path);
  } catch (e) {
    if (e instanceof LeaverError) throw new Error(`no route for a ${res.status} answer of ${method} ${path}`);
    throw e;
  }
  const spec = matched.route.responses[res.status];
  expect(spec, `${matched.route.operationId} documents status ${res.status}`).toBeDefined();
  if (!spec!.content) {
    expect(res.text).toBe('');
    return;
  }
  const schema = spec!.content[media];
  expect(schema, `${matched.route.operationId} ${res.status} documents ${media}`).toBeDefined();
  if (media === 'application/x-ndjson') {
    for (const line of res.text.split('\n').filter(Boolean)) schema!.parse(JSON.parse(line));
  } else if (media === 'application/json') {
    schema!.parse(res.body);
  } else {
    z.string().parse(res.text);
  }
}

/** Invokes the Lambda handler (the process's deps and runtime mode) with a v2 event. */
export async function call(
  method: string,
  pathAndQuery: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const ev = event(method, pathAndQuery, opts);
  const out = (await handler(ev, localContext('leaver-api', 30_000))) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  return finish(method, ev.rawPath, out);
}

/** Calls the API function directly with explicit options (AWS mode, other deps). */
export async function callWith(
  options: ApiOptions,
  method: string,
  pathAndQuery: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const ev = event(method, pathAndQuery, opts);
  return finish(method, ev.rawPath, await handleApiEvent(ev, options));
}

function finish(
  method: string,
  path: string,
  out: { statusCode: number; headers: Record<string, string>; body: string },
) {
  const headers = Object.fromEntries(
    Object.entries(out.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  let body: unknown;
  const media = headers['content-type'] ?? '';
  if (media.includes('json') && !media.includes('ndjson') && out.body) body = JSON.parse(out.body);
  const res: CallResult = { status: out.statusCode, headers, text: out.body ?? '', body };
  checkConforms(method, path, res);
  return res;
}

/** Waits until the in-process queue is idle. */
export async function settle(rt: LocalRuntime): Promise<void> {
  await rt.drain();
}
