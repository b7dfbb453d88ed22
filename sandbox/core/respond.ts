import type { ServerResponse } from 'node:http';
import type { SandboxResponse } from './types.ts';

/**
 * Writes a SandboxResponse: JSON values are serialised (compact), strings and Buffers go as they
 * are, `undefined` sends no body. A Content-Type the emulator set wins.
 */
export function writeResponse(res: ServerResponse, r: SandboxResponse): void {
  const headers: Record<string, string | number> = {};
  let hasType = false;
  if (r.headers) {
    for (const k in r.headers) {
      const v = r.headers[k];
      if (v === undefined) continue;
      headers[k] = v;
      if (!hasType && k.length === 12 && k.toLowerCase() === 'content-type') hasType = true;
    }
  }
  let payload: string | Buffer | undefined;
  if (r.body === undefined || r.body === null || r.status === 204 || r.status === 304) {
    payload = undefined;
  } else if (typeof r.body === 'string') {
    payload = r.body;
    if (!hasType) headers['content-type'] = 'text/plain; charset=utf-8';
  } else if (Buffer.isBuffer(r.body)) {
    payload = r.body;
    if (!hasType) headers['content-type'] = 'application/octet-stream';
  } else {
    payload = JSON.stringify(r.body);
    if (!hasType) headers['content-type'] = 'application/json';
  }
  headers['content-length'] = payload === undefined ? 0 : Buffer.byteLength(payload);
  res.writeHead(r.status, headers);
  res.end(payload);
}
