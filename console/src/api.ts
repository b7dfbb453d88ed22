/**
 * The /v1 API over fetch with the session's bearer token. Errors are the API's problem details
 * (RFC 9457): their `detail` is what the person reads. A 401 ends the session.
 */
import { clearSession, readSession } from './auth/session.ts';
import type { Problem } from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

let base = '';
let onSignedOut: (why: string) => void = () => {};

export function configureApi(opts: { apiUrl: string; onSignedOut: (why: string) => void }): void {
  base = opts.apiUrl;
  onSignedOut = opts.onSignedOut;
}

export function apiUrl(path: string): string {
  return `${base}${path}`;
}

async function problemOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => undefined)) as Problem | undefined;
  const detail = body?.detail ?? body?.title ?? `HTTP ${res.status}`;
  return new ApiError(res.status, body?.code ?? String(res.status), detail, body);
}

export async function request(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const token = opts.token ?? readSession()?.token;
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'The API cannot be reached. Is Leaver running?');
  }
  if (res.status === 401 && opts.token === undefined) {
    clearSession();
    onSignedOut('Your session has ended: sign in again.');
  }
  if (!res.ok) throw await problemOf(res);
  return res;
}

export async function api<T>(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await request(method, path, opts);
  return (await res.json()) as T;
}

/** A query string from the defined values. */
export function qs(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
