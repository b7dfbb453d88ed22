import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FaultDecision, FaultInjector } from './faults.ts';
import { mangleResponse } from './mangle.ts';
import type { RequestLog } from './request-log.ts';
import { writeResponse } from './respond.ts';
import type { SandboxClock, SandboxResponse, VendorEmulator, VendorName } from './types.ts';

export type ControlHttpHandler = (
  method: string,
  path: string,
  query: URLSearchParams,
  body: Buffer,
) => Promise<SandboxResponse> | SandboxResponse;

export interface SandboxServerDeps {
  emulators: ReadonlyMap<string, VendorEmulator>;
  faults: FaultInjector;
  log: RequestLog;
  clock: SandboxClock;
  control: ControlHttpHandler;
}

export interface SandboxServer {
  server: Server;
  /** Destroys hung requests and every open connection, then closes the listener. */
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

/** One node:http server: `/{vendor}/...` to the emulators, `/_control/...` to the control plane. */
export function createSandboxServer(deps: SandboxServerDeps): SandboxServer {
  const hung = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(deps, hung, req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        writeResponse(res, { status: 500, body: { error: 'sandbox_failure', message: String(err) } });
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        hung.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}

async function handle(
  deps: SandboxServerDeps,
  hung: Set<ServerResponse>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const arrivedAt = deps.clock.now();
  const url = req.url ?? '/';
  const qi = url.indexOf('?');
  const pathname = qi === -1 ? url : url.slice(0, qi);
  const search = qi === -1 ? '' : url.slice(qi + 1);
  const second = pathname.indexOf('/', 1);
  const root = second === -1 ? pathname.slice(1) : pathname.slice(1, second);
  const rest = second === -1 ? '/' : pathname.slice(second);
  const method = req.method ?? 'GET';

  if (root === '_control') {
    const body = await readBody(req);
    const r = await deps.control(method, rest, new URLSearchParams(search), body);
    writeResponse(res, r);
    return;
  }
  const emulator = deps.emulators.get(root);
  if (!emulator) {
    writeResponse(res, { status: 404, body: { error: 'not_found', message: `no vendor root /${root}` } });
    return;
  }
  const vendor = emulator.name;
  const body = await readBody(req);
  const decision: FaultDecision = deps.faults.active
    ? deps.faults.decide(vendor, method, rest)
    : { delayMs: 0 };
  const logIt = (status: number | null, identity?: string, fault?: string) => {
    const entry: Parameters<RequestLog['add']>[0] = {
      vendor,
      method,
      path: rest,
      query: search,
      status,
      at: new Date(arrivedAt).toISOString(),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    if (identity) entry.identity = identity;
    if (fault) entry.fault = fault;
    deps.log.add(entry);
  };

  if (decision.delayMs > 0) await sleep(decision.delayMs);
  const action = decision.action;
  if (action) {
    if (action.kind === 'reset') {
      logIt(null, undefined, action.ruleId);
      req.socket.destroy();
      return;
    }
    if (action.kind === 'hang') {
      logIt(null, undefined, action.ruleId);
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    const status = action.kind === 'error' ? action.status : 429;
    const retryAfter = action.kind === 'rate-limit' ? action.retryAfterSeconds : undefined;
    const r = faultResponse(emulator, status, retryAfter, { method, path: rest });
    writeResponse(res, r);
    logIt(r.status, undefined, action.ruleId);
    return;
  }

  const host = req.headers.host ?? '127.0.0.1';
  let r: SandboxResponse;
  try {
    r = await emulator.handle({
      method,
      path: rest,
      query: new URLSearchParams(search),
      headers: req.headers,
      body,
      rootUrl: `http://${host}/${root}`,
      originalUrl: url,
    });
  } catch (err) {
    r = { status: 500, body: { error: 'emulator_failure', message: String(err) } };
  }
  const identity = r.identity;
  if (identity !== undefined) r = { status: r.status, headers: r.headers, body: r.body };
  if (decision.mangle) {
    const mangled = mangleResponse(r, decision.mangle);
    writeResponse(res, mangled);
    logIt(mangled.status, identity, mangled === r ? undefined : decision.mangle.ruleId);
    return;
  }
  writeResponse(res, r);
  logIt(r.status, identity);
}

function faultResponse(
  emulator: VendorEmulator,
  status: number,
  retryAfter: number | undefined,
  req: { method: string; path: string },
): SandboxResponse {
  const base: SandboxResponse = emulator.faultResponse
    ? emulator.faultResponse(status, retryAfter, req)
    : { status, body: { error: status === 429 ? 'too_many_requests' : 'injected_fault', status } };
  if (retryAfter === undefined) return base;
  const headers = { ...(base.headers ?? {}) };
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'retry-after')) {
    headers['Retry-After'] = String(retryAfter);
  }
  return { ...base, headers };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const len = req.headers['content-length'];
  if ((len === undefined || len === '0') && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export type { VendorName };
