/**
 * A pass-through HTTP proxy in front of the sandbox, for vendor behaviours the sandbox cannot be
 * told to show (a listing without `next` links, an invitations endpoint that lost an invitation).
 * Requests still reach the sandbox unchanged (same path, query, headers and body), so assertions
 * keep reading the sandbox's request log and state; `intercept` may answer instead of the sandbox,
 * `rewrite` may change a sandbox answer's JSON body on its way back.
 */
import { type Seen, startServer, type TestServer } from './test-server.ts';

export interface ProxyOptions {
  /** The sandbox origin (`sb.url`). */
  target: string;
  /** Answer this request here (the sandbox never sees it). */
  intercept?: (req: Seen) => { status: number; body?: unknown } | undefined;
  /** Change the JSON body of a sandbox answer. */
  rewrite?: (req: Seen, status: number, body: unknown) => unknown;
}

const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export async function startProxy(opts: ProxyOptions): Promise<TestServer> {
  return startServer(async (req, res) => {
    const own = opts.intercept?.(req);
    if (own) {
      res.writeHead(own.status, { 'content-type': 'application/json' });
      res.end(own.body === undefined ? '' : JSON.stringify(own.body));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!HOP.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const upstream = await fetch(`${opts.target}${req.url}`, {
      method: req.method,
      headers,
      body: req.body === '' ? undefined : req.body,
    });
    let text = await upstream.text();
    if (opts.rewrite && text.trim() !== '') {
      try {
        text = JSON.stringify(opts.rewrite(req, upstream.status, JSON.parse(text)));
      } catch {
        // not JSON: relayed as it came
      }
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!HOP.has(k) && k !== 'content-encoding') out[k] = v;
    });
    res.writeHead(upstream.status, out);
    res.end(text);
  });
}
