/**
 * The /v1 router: a table of routes, each with its zod schemas (path params, query, body,
 * responses). The dispatcher matches method and path (unknown path 404, known path with another
 * method 405), authenticates, checks content type and size, parses JSON, validates every input
 * with its schema, and runs the route. The OpenAPI document is generated from the same table.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { LeaverError } from '../core/errors.ts';
// field.ts itself, not the rules' index: the rules bring zod, which the API function loads on its
// first request, not at start (handlers/api.ts reaches decodeEvent here at start).
import { fieldErrors } from '../core/input-rules/field.ts';
import { authenticate } from './auth.ts';
import { type HttpResult, problem } from './http-response.ts';
import type { AnyRoute, ApiEnv, ApiRequest, RouteSpec } from './request.ts';

export function route<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}

export const MAX_BODY_BYTES = 64 * 1024;

interface CompiledRoute {
  route: AnyRoute;
  pattern: RegExp;
  names: string[];
}

export function compile(routes: readonly AnyRoute[]): CompiledRoute[] {
  return routes.map((r) => {
    const names: string[] = [];
    const source = r.path
      .split('/')
      .map((seg) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (m) {
          names.push(m[1]!);
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { route: r, pattern: new RegExp(`^${source}/?$`), names };
  });
}

export function decodeEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (v !== undefined) headers[k.toLowerCase()] = v;
  }
  let path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
  const stage = event.requestContext?.stage;
  if (stage && stage !== '$default' && path.startsWith(`/${stage}/`)) path = path.slice(stage.length + 1);
  let body: string | undefined;
  if (event.body !== undefined && event.body !== null) {
    body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  }
  return {
    method: (event.requestContext?.http?.method ?? 'GET').toUpperCase(),
    path,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    headers,
    body,
    requestId: event.requestContext?.requestId ?? '',
    event,
  };
}

function invalid(where: string, error: z.ZodError): LeaverError {
  const errors = fieldErrors(error, where === 'body' ? '' : where);
  const first = errors[0];
  const summary = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid input';
  return new LeaverError('invalid_request', `Invalid ${where}: ${summary}`, { details: { errors } });
}

function queryObject(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of query) {
    if (v === '') continue;
    if (k in out) {
      throw new LeaverError('invalid_request', `query parameter ${k} is given more than once`, {
        details: { errors: [{ path: `query.${k}`, message: 'given more than once' }] },
      });
    }
    out[k] = v;
  }
  return out;
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const media = value.split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

function parseBody(r: AnyRoute, req: ApiRequest): unknown {
  const raw = req.body ?? '';
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new LeaverError('payload_too_large', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  if (raw.trim() === '') {
    if (r.bodyOptional) return {};
    throw new LeaverError('invalid_request', 'A JSON request body is required', {
      details: { errors: [{ path: '', message: 'required' }] },
    });
  }
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new LeaverError('unsupported_media_type', 'Content-Type must be application/json');
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new LeaverError('invalid_request', 'Request body is not valid JSON', {
      details: { errors: [{ path: '', message: 'malformed JSON' }] },
    });
  }
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(readonly routes: readonly AnyRoute[]) {
    this.compiled = compile(routes);
  }

  /** Finds the route for method + path; throws 404 or 405 (with the allowed methods). */
  match(method: string, path: string): { route: AnyRoute; params: Record<string, string> } {
    const allowed: string[] = [];
    for (const c of this.compiled) {
      const m = c.pattern.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => {
        let value = m[i + 1]!;
        try {
          value = decodeURIComponent(value);
        } catch {
          // left as sent; the params schema refuses it
        }
        params[n] = value;
      });
      return { route: c.route, params };
    }
    if (allowed.length > 0) {
      throw new LeaverError('method_not_allowed', `Method ${method} is not allowed on ${path}`, {
        details: { allow: allowed },
      });
    }
    throw new LeaverError('not_found', `No route ${method} ${path}`);
  }

  async dispatch(req: ApiRequest, env: Omit<ApiEnv, 'routes'>): Promise<HttpResult> {
    const fullEnv: ApiEnv = { ...env, routes: this.routes };
    try {
      const { route: r, params } = this.match(req.method, req.path);
      const principal = r.public ? 'anonymous' : await authenticate(req, fullEnv);

      const p = r.params ? r.params.safeParse(params) : { success: true as const, data: {} };
      if (!p.success) {
        // An id that cannot exist is simply not found.
        throw new LeaverError('not_found', 'No such resource');
      }
      const qInput = queryObject(req.query);
      let q: { success: true; data: unknown } | { success: false; error: z.ZodError };
      if (r.query) q = r.query.safeParse(qInput);
      else if (Object.keys(qInput).length > 0) {
        throw new LeaverError(
          'invalid_request',
          `Unknown query parameter(s): ${Object.keys(qInput).join(', ')}`,
          {
            details: {
              errors: Object.keys(qInput).map((k) => ({ path: `query.${k}`, message: 'unknown parameter' })),
            },
          },
        );
      } else q = { success: true, data: {} };
      if (!q.success) throw invalid('query', q.error);

      let body: unknown;
      if (r.body) {
        const b = r.body.safeParse(parseBody(r, req));
        if (!b.success) throw invalid('body', b.error);
        body = b.data;
      } else if (req.body && req.body.trim() !== '') {
        throw new LeaverError('invalid_request', 'This route takes no request body');
      }
      return await r.handle({ params: p.data, query: q.data, body, principal, env: fullEnv, request: req });
    } catch (err) {
      const headers: Record<string, string> = {};
      if (
        err instanceof LeaverError &&
        err.code === 'method_not_allowed' &&
        Array.isArray(err.details?.allow)
      ) {
        headers.allow = (err.details.allow as string[]).join(', ');
      }
      if (!(err instanceof LeaverError) || err.httpStatus >= 500) {
        env.deps.log.error('api request failed', {
          method: req.method,
          path: req.path.replace(/\/[^/]+@[^/]+/g, '/{email}'),
          requestId: req.requestId,
          code: err instanceof LeaverError ? err.code : 'internal',
          error: err instanceof Error ? err.name : typeof err,
        });
      }
      return problem(err, req.path, headers);
    }
  }
}
