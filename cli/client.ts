/**
 * The CLI's HTTP client for the management API: a base URL plus either a bearer token (the local
 * runtime) or SigV4 signing from the standard AWS credential chain (API Gateway with IAM auth).
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_URL = 'http://127.0.0.1:3000';
export const DEFAULT_SECRETS_FILE = 'local/secrets.json';
export const LOCAL_TOKEN_SECRET = 'leaver/api';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error answer of the API (problem+json) or a transport failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Auth =
  | { kind: 'bearer'; token: string }
  | { kind: 'sigv4'; region: string; sign: (req: SignableRequest) => Promise<Record<string, string>> }
  | { kind: 'none' };

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

/** The token of the local runtime: `{ "leaver/api": { "token": ... } }` in the secrets file. */
export function readLocalToken(file: string): string | undefined {
  try {
    const doc = JSON.parse(readFileSync(resolve(file), 'utf8')) as Record<string, { token?: unknown }>;
    const token = doc[LOCAL_TOKEN_SECRET]?.token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** A SHA-256 (or HMAC-SHA-256 when given a secret) in the shape @smithy/signature-v4 expects. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

class NodeSha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** SigV4 for execute-api with credentials from the standard chain (env, profile, SSO, IMDS...). */
export async function sigv4Auth(region: string): Promise<Auth> {
  const [{ SignatureV4 }, { fromNodeProviderChain }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-sdk/credential-providers'),
  ]);
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: fromNodeProviderChain(),
    sha256: NodeSha256,
  });
  return {
    kind: 'sigv4',
    region,
    async sign(req) {
      const query: Record<string, string> = {};
      for (const [k, v] of req.url.searchParams) query[k] = v;
      const signed = await signer.sign({
        method: req.method,
        protocol: req.url.protocol,
        hostname: req.url.hostname,
        port: req.url.port ? Number(req.url.port) : undefined,
        path: req.url.pathname,
        query,
        headers: { ...req.headers, host: req.url.host },
        body: req.body,
      });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(signed.headers)) out[k] = String(v);
      delete out.host;
      return out;
    },
  };
}

export interface RetryOptions {
  /** Tries after the first (default 3). */
  retries?: number;
  /** First pause; doubled each time, with full jitter (default 500 ms). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Answers that mean the request never reached Leaver's code, so sending it again is safe: a 429 or
 * 503, or a 500/502 that is not Leaver's own problem+json (API Gateway's answer when a function is
 * throttled by its reserved concurrency, or failed before it could answer).
 */
export function isGatewayRefusal(status: number, contentType: string | null): boolean {
  if (status === 429 || status === 503) return true;
  return (status === 500 || status === 502) && !(contentType ?? '').includes('application/problem+json');
}

export class ApiClient {
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly baseUrl: string,
    private readonly auth: Auth,
    private readonly fetchImpl: typeof fetch = fetch,
    retry: RetryOptions = {},
  ) {
    this.retries = retry.retries ?? 3;
    this.baseDelayMs = retry.baseDelayMs ?? 500;
    this.sleep = retry.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** A path (`/v1/...`, optionally with a query) or an absolute `next` link of the same API. */
  url(pathOrLink: string, query?: Record<string, string | number | undefined>): URL {
    const base = new URL(this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    // Links from the API are absolute paths that may carry a stage prefix the base URL has too.
    const rel = pathOrLink.replace(/^\//, '');
    const basePath = base.pathname.replace(/^\//, '');
    const u = new URL(basePath && rel.startsWith(basePath) ? `/${rel}` : rel, base);
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
    return u;
  }

  async request(
    method: string,
    pathOrLink: string,
    opts: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      headers?: Record<string, string>;
    } = {},
  ): Promise<ApiResponse> {
    const url = this.url(pathOrLink, opts.query);
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json, */*',
      ...opts.headers,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    if (this.auth.kind === 'bearer') headers.authorization = `Bearer ${this.auth.token}`;
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      // SigV4 signatures carry the time: sign each try anew.
      const sent =
        this.auth.kind === 'sigv4'
          ? { ...headers, ...(await this.auth.sign({ method, url, headers, body })) }
          : headers;
      try {
        res = await this.fetchImpl(url, { method, headers: sent, body });
      } catch (e) {
        const c = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
        const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (e as Error).message;
        throw new ApiError(0, 'network', `Cannot reach ${url.origin} (${cause})`);
      }
      if (attempt >= this.retries || !isGatewayRefusal(res.status, res.headers.get('content-type'))) break;
      await res.text();
      const retryAfter = Number(res.headers.get('retry-after'));
      const backoff = Math.random() * this.baseDelayMs * 2 ** attempt;
      await this.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff);
    }
    const text = await res.text();
    const response: ApiResponse = {
      status: res.status,
      headers: res.headers,
      text,
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
    if (res.status >= 400) {
      let code = `http_${res.status}`;
      let message = `${res.status} ${res.statusText}`;
      let errors: { path: string; message: string }[] = [];
      try {
        const p = JSON.parse(text) as { code?: string; detail?: string; errors?: typeof errors };
        if (p.code) code = p.code;
        if (p.detail) message = p.detail;
        if (Array.isArray(p.errors)) errors = p.errors;
      } catch {
        // not problem+json
      }
      throw new ApiError(res.status, code, message, errors);
    }
    return response;
  }

  async json<T>(method: string, path: string, opts: Parameters<ApiClient['request']>[2] = {}): Promise<T> {
    return (await this.request(method, path, opts)).json<T>();
  }
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}
