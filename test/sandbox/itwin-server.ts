/**
 * Test harness for the iTwin emulator over real HTTP: the whole sandbox (`startSandbox`), seeded
 * through its control plane, plus small HTTP helpers (token, call) for the tests.
 */
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import type { ItwinSeed, ItwinState } from '../../sandbox/itwin/index.ts';

export const V2 = 'application/vnd.bentley.itwin-platform.v2+json';

export interface ItwinHarness {
  sandbox: Sandbox;
  /** `http://127.0.0.1:PORT/itwin` */
  root: string;
  /** Replaces the iTwin state with this seed (other vendors empty); it becomes the reset point. */
  seed(seed: ItwinSeed): void;
  /** Back to the current seed, clock offset 0, no faults, empty request log. */
  reset(): void;
  control(action: string, payload?: unknown): unknown;
  state(): ItwinState;
  advance(ms: number): number;
  now(): number;
  close(): Promise<void>;
}

export async function startItwin(seed: ItwinSeed): Promise<ItwinHarness> {
  const sb = await startSandbox({ seed: 'empty' });
  sb.control.seed({ itwin: seed });
  return {
    sandbox: sb,
    root: `${sb.url}/itwin`,
    seed: (s) => sb.control.seed({ itwin: s }),
    reset: () => sb.control.reset(),
    control: (action, payload) => sb.control.vendorAction('itwin', action, payload ?? {}),
    state: () => sb.control.state('itwin') as ItwinState,
    advance: (ms) => sb.control.advanceClock(ms),
    now: () => sb.control.now(),
    close: () => sb.close(),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  body: any;
}

export async function call(
  url: string,
  opts: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { accept: V2, ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: opts.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export async function requestToken(
  root: string,
  form: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    const enc = (s: string) => encodeURIComponent(s);
    headers['authorization'] =
      `Basic ${Buffer.from(`${enc(basic.id)}:${enc(basic.secret)}`).toString('base64')}`;
  }
  return call(`${root}/ims/connect/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
}

export async function clientToken(root: string, id: string, secret: string): Promise<string> {
  const r = await requestToken(
    root,
    { grant_type: 'client_credentials', scope: 'itwin-platform' },
    { id, secret },
  );
  if (r.status !== 200) throw new Error(`token for ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}
