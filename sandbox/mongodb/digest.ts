import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SandboxClock } from '../core/types.ts';

export const MMS_REALM = 'MMS Public API';

export type DigestResult = { ok: true; username: string } | { ok: false; stale: boolean; reason: string };

export interface DigestOptions {
  clock: SandboxClock;
  realm?: string;
  /** Nonce lifetime on the sandbox clock (default 300 s). */
  nonceTtlMs?: number;
}

/**
 * Server side of HTTP Digest as MongoDB runs it (RFC 2617 / 7616, MD5, qop=auth):
 * the challenge is `Digest realm="MMS Public API", domain="", nonce="...", algorithm=MD5,
 * qop="auth", stale=false`. Nonces carry their issue time and an HMAC, so an expired nonce is
 * recognised as ours and, if the rest of the response is right, answered with `stale=true`.
 * Nonce counts are tracked per nonce: a replayed `nc` is refused (401, stale=false).
 */
export class DigestVerifier {
  readonly realm: string;
  private nonceTtlMs: number;
  private readonly secret = randomBytes(16);
  private readonly clock: SandboxClock;
  /** nonce -> nc values already used, and its issue time (for purging). */
  private readonly seen = new Map<string, { issuedAt: number; ncs: Set<string> }>();
  private issued = 0;

  constructor(opts: DigestOptions) {
    this.clock = opts.clock;
    this.realm = opts.realm ?? MMS_REALM;
    this.nonceTtlMs = opts.nonceTtlMs ?? 300_000;
  }

  setNonceTtl(ms: number): void {
    if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError('nonce TTL must be > 0');
    this.nonceTtlMs = ms;
  }

  get nonceTtl(): number {
    return this.nonceTtlMs;
  }

  /** A fresh `WWW-Authenticate` header value. */
  challenge(stale = false): string {
    const nonce = this.newNonce();
    return `Digest realm="${this.realm}", domain="", nonce="${nonce}", algorithm=MD5, qop="auth", stale=${stale}`;
  }

  verify(
    method: string,
    requestUri: string,
    header: string,
    passwordFor: (username: string) => string | undefined,
  ): DigestResult {
    const p = parseDigestHeader(header);
    if (!p) return { ok: false, stale: false, reason: 'not a Digest header' };
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = p;
    if (!username || !nonce || !uri || !response || !realm) {
      return { ok: false, stale: false, reason: 'missing Digest parameters' };
    }
    if (realm !== this.realm) return { ok: false, stale: false, reason: 'wrong realm' };
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') {
      return { ok: false, stale: false, reason: 'unsupported algorithm' };
    }
    if (qop !== 'auth' || !nc || !/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce) {
      return { ok: false, stale: false, reason: 'qop=auth with nc and cnonce required' };
    }
    if (!uriMatches(uri, requestUri))
      return { ok: false, stale: false, reason: 'uri does not match request' };
    const issuedAt = this.nonceIssuedAt(nonce);
    if (issuedAt === undefined) return { ok: false, stale: false, reason: 'unknown nonce' };
    const password = passwordFor(username);
    if (password === undefined) return { ok: false, stale: false, reason: 'unknown user' };
    const ha1 = md5(`${username}:${realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    if (!safeEqual(expected, response.toLowerCase())) {
      return { ok: false, stale: false, reason: 'wrong response' };
    }
    const now = this.clock.now();
    if (now - issuedAt >= this.nonceTtlMs) {
      this.seen.delete(nonce);
      return { ok: false, stale: true, reason: 'nonce expired' };
    }
    let rec = this.seen.get(nonce);
    if (!rec) {
      rec = { issuedAt, ncs: new Set() };
      this.seen.set(nonce, rec);
    }
    const ncKey = nc.toLowerCase();
    if (rec.ncs.has(ncKey)) return { ok: false, stale: false, reason: 'replayed nonce count' };
    rec.ncs.add(ncKey);
    return { ok: true, username };
  }

  reset(): void {
    this.seen.clear();
  }

  private newNonce(): string {
    const issuedAt = this.clock.now();
    const rand = randomBytes(9).toString('base64url');
    const payload = `${issuedAt.toString(36)}.${rand}`;
    const mac = createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 16);
    if (++this.issued % 1000 === 0) this.purge(issuedAt);
    return Buffer.from(`${payload}.${mac}`).toString('base64');
  }

  private nonceIssuedAt(nonce: string): number | undefined {
    let text: string;
    try {
      text = Buffer.from(nonce, 'base64').toString('utf8');
    } catch {
      return undefined;
    }
    const parts = text.split('.');
    if (parts.length !== 3) return undefined;
    const [ts, rand, mac] = parts as [string, string, string];
    const want = createHmac('sha256', this.secret).update(`${ts}.${rand}`).digest('base64url').slice(0, 16);
    if (!safeEqual(want, mac)) return undefined;
    const t = Number.parseInt(ts, 36);
    return Number.isFinite(t) ? t : undefined;
  }

  private purge(now: number): void {
    for (const [nonce, rec] of this.seen) if (now - rec.issuedAt >= this.nonceTtlMs) this.seen.delete(nonce);
  }
}

export function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `uri=` may be the request-target or an absolute URL with the same path and query. */
function uriMatches(uri: string, requestUri: string): boolean {
  if (uri === requestUri) return true;
  if (/^https?:\/\//i.test(uri)) {
    try {
      const u = new URL(uri);
      return u.pathname + u.search === requestUri;
    } catch {
      return false;
    }
  }
  return false;
}

export function parseDigestHeader(header: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let r = re.exec(m[1]!); r; r = re.exec(m[1]!)) {
    out[r[1]!.toLowerCase()] = r[2] !== undefined ? r[2].replace(/\\(.)/g, '$1') : (r[3] ?? '');
  }
  return out;
}
