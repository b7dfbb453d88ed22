import type { SandboxRequest, SandboxResponse } from '../core/types.ts';

export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name)?.toLowerCase() === 'true';
}

/**
 * Applies MongoDB's `envelope` and `pretty` query flags.
 *
 * envelope=true: a paginated list (`{results, ...}`) gets a `status` field added (the results
 * object is the envelope); anything else (one object, a bare array, an error, an empty body)
 * becomes `{ status, content }`. The HTTP status stays the real one, except that a 204 becomes
 * 200, since a 204 cannot carry the envelope [I].
 * pretty=true: the JSON is indented by 2 spaces.
 */
export function render(
  req: SandboxRequest,
  status: number,
  body: unknown,
  contentType: string,
  headers: Record<string, string> = {},
): SandboxResponse {
  let outStatus = status;
  let outBody = body;
  if (flag(req.query, 'envelope')) {
    if (isPaged(body)) outBody = { ...body, status };
    else outBody = { status, content: body === undefined ? {} : body };
    if (status === 204) outStatus = 200;
  }
  const h = { 'Content-Type': contentType, ...headers };
  if (outBody === undefined) return { status: outStatus, headers: h };
  if (flag(req.query, 'pretty'))
    return { status: outStatus, headers: h, body: JSON.stringify(outBody, null, 2) };
  return { status: outStatus, headers: h, body: outBody };
}

function isPaged(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'results' in body;
}
