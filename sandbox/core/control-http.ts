import { ControlError, type SandboxControl } from './control.ts';
import type { FaultSpec } from './faults.ts';
import type { RequestLogFilter } from './request-log.ts';
import type { RateLimitSetting, SandboxResponse, VendorName } from './types.ts';

const VENDORS = new Set<string>(['itwin', 'atlas', 'cloudmanager']);

/**
 * `/_control/...` over HTTP. Every route answers JSON; unknown routes 404, bad input 400.
 *
 *   POST   /reset                          -> { ok }
 *   POST   /seed            body: seed doc | "demo" | "empty" | { preset: "demo"|"empty" } -> { ok }
 *   GET    /state[/{vendor}]               -> state
 *   GET    /requests?vendor&method&path    -> { requests: RequestLogEntry[] }
 *   DELETE /requests  (or POST /requests/clear) -> { ok }
 *   GET    /clock                          -> { now, iso }
 *   POST   /clock/advance   body: { ms } | { seconds } -> { now, iso }
 *   PUT|POST /rate-limits/{vendor} body: { capacity, refillPerSecond, scope? } | { disabled: true } -> { ok }
 *   DELETE /rate-limits/{vendor}[?scope=]  -> { ok } (disables)
 *   GET    /faults                         -> { faults }
 *   POST   /faults          body: FaultSpec -> { id }
 *   DELETE /faults[?vendor=]               -> { ok }
 *   DELETE /faults/{id}                    -> { ok } | 404
 *   POST   /{vendor}/{action} body: payload -> { result }
 */
export function createControlHttpHandler(control: SandboxControl) {
  return (method: string, path: string, query: URLSearchParams, body: Buffer): SandboxResponse => {
    try {
      const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
      const result = route(control, method, parts, query, body);
      if (result === undefined) return notFound(method, path);
      return { status: 200, body: result };
    } catch (err) {
      if (err instanceof ControlError) return { status: err.status, body: { error: err.message } };
      return { status: 400, body: { error: (err as Error).message ?? String(err) } };
    }
  };
}

function route(
  control: SandboxControl,
  method: string,
  parts: string[],
  query: URLSearchParams,
  body: Buffer,
): unknown {
  const [a, b, c] = parts;
  const n = parts.length;
  if (a === 'reset' && n === 1 && method === 'POST') {
    control.reset();
    return { ok: true };
  }
  if (a === 'seed' && n === 1 && method === 'POST') {
    const doc = parseJson(body);
    if (doc === 'demo' || doc === 'empty') control.seed(doc);
    else if (isObject(doc) && (doc.preset === 'demo' || doc.preset === 'empty')) control.seed(doc.preset);
    else if (isObject(doc)) control.seed(doc);
    else throw new ControlError(400, 'seed body must be a seed document, "demo" or "empty"');
    return { ok: true };
  }
  if (a === 'state' && method === 'GET') {
    if (n === 1) return control.state();
    if (n === 2) return control.state(vendor(b));
    return undefined;
  }
  if (a === 'requests') {
    if (n === 1 && method === 'GET') {
      const filter: RequestLogFilter = {};
      const v = query.get('vendor');
      if (v) filter.vendor = vendor(v);
      const m = query.get('method');
      if (m) filter.method = m;
      const p = query.get('path');
      if (p) filter.path = p;
      return { requests: control.requests(filter) };
    }
    if ((n === 1 && method === 'DELETE') || (n === 2 && b === 'clear' && method === 'POST')) {
      control.clearRequests();
      return { ok: true };
    }
    return undefined;
  }
  if (a === 'clock') {
    if (n === 1 && method === 'GET') return clockView(control.now());
    if (n === 2 && b === 'advance' && method === 'POST') {
      const d = parseJson(body);
      if (!isObject(d)) throw new ControlError(400, 'body must be { ms } or { seconds }');
      const ms =
        typeof d.ms === 'number' ? d.ms : typeof d.seconds === 'number' ? d.seconds * 1000 : Number.NaN;
      if (!(Number.isFinite(ms) && ms >= 0)) throw new ControlError(400, 'ms/seconds must be a number >= 0');
      return clockView(control.advanceClock(ms));
    }
    return undefined;
  }
  if (a === 'rate-limits' && n === 2) {
    const v = vendor(b);
    if (method === 'DELETE') {
      const scope = query.get('scope');
      if (scope) control.setRateLimit(v, { capacity: Number.POSITIVE_INFINITY, refillPerSecond: 0, scope });
      else control.setRateLimit(v, null);
      return { ok: true };
    }
    if (method === 'PUT' || method === 'POST') {
      const d = parseJson(body);
      if (!isObject(d)) throw new ControlError(400, 'body must be { capacity, refillPerSecond, scope? }');
      if (d.disabled === true) control.setRateLimit(v, null);
      else control.setRateLimit(v, d as unknown as RateLimitSetting);
      return { ok: true };
    }
    return undefined;
  }
  if (a === 'faults') {
    if (n === 1 && method === 'GET') return { faults: control.faults() };
    if (n === 1 && method === 'POST') return { id: control.addFault(parseJson(body) as FaultSpec) };
    if (n === 1 && method === 'DELETE') {
      const v = query.get('vendor');
      control.clearFaults(v ? vendor(v) : undefined);
      return { ok: true };
    }
    if (n === 2 && method === 'DELETE') {
      if (!control.removeFault(b!)) throw new ControlError(404, `no fault ${b}`);
      return { ok: true };
    }
    return undefined;
  }
  if (a && VENDORS.has(a) && n === 2 && method === 'POST' && b) {
    const payload = body.length ? parseJson(body) : {};
    try {
      return { result: control.vendorAction(a as VendorName, b, payload) ?? null };
    } catch (err) {
      if (err instanceof ControlError) throw err;
      const e = err as Error & { status?: number };
      throw new ControlError(typeof e.status === 'number' ? e.status : 400, e.message);
    }
  }
  void c;
  return undefined;
}

function vendor(v: string | undefined): VendorName {
  if (!v || !VENDORS.has(v)) throw new ControlError(404, `unknown vendor ${v}`);
  return v as VendorName;
}

function clockView(now: number) {
  return { now, iso: new Date(now).toISOString() };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError(400, 'body is not valid JSON');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function notFound(method: string, path: string): SandboxResponse {
  return {
    status: 404,
    body: { error: 'not_found', message: `no control route ${method} /_control${path}` },
  };
}
