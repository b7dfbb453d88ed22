/**
 * HTTP Digest access authentication (RFC 7616, and RFC 2617 which it obsoletes) as MongoDB's
 * public APIs use it: realm "MMS Public API", MD5, qop "auth". Written here because no maintained
 * library fits; tested against the RFCs' published examples.
 *
 * One challenge (nonce) is reused for every request of the tenant, with the nonce count (nc)
 * incremented and a fresh cnonce per request. A 401 with `stale=true` only means "new nonce": it
 * is answered at once and is not an authentication failure.
 *
 * Parallel requests on one nonce can reach the server out of `nc` order; a server that checks the
 * order (Apache's AuthDigestNcCheck) refuses the late one with `stale=false`. So a refusal of a
 * nonce the server has already accepted is first answered with the fresh challenge, once per
 * call; only a second refusal means the credentials are wrong.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AuthPlugin } from './auth.ts';
import type { FetchResponse } from './types.ts';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: string;
  /** The qop options the server offered (MongoDB's example header spells the key `op`). */
  qop?: string[];
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Parses the Digest challenge out of a WWW-Authenticate header (undefined if there is none). */
export function parseDigestChallenge(header: string | null | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const start = header.search(/(^|[\s,])Digest\s/i);
  if (start < 0) return undefined;
  const rest = header.slice(header.toLowerCase().indexOf('digest', start) + 6);
  const params: Record<string, string> = {};
  const re = /\s*,?\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/gy;
  for (;;) {
    const m = re.exec(rest);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    // A second scheme (e.g. `, Basic realm=...`) ends this challenge.
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    if (!(key in params)) params[key] = value;
  }
  if (params.nonce === undefined || params.realm === undefined) return undefined;
  const qopRaw = params.qop ?? params.op;
  return {
    realm: params.realm,
    nonce: params.nonce,
    opaque: params.opaque,
    algorithm: (params.algorithm ?? 'MD5').toUpperCase().replace(/^SHA-256-SESS$/, 'SHA-256-sess'),
    qop: qopRaw
      ?.split(',')
      .map((q) => q.trim().toLowerCase())
      .filter(Boolean),
    stale: (params.stale ?? '').toLowerCase() === 'true',
  };
}

function hashName(algorithm: string): string {
  const base = algorithm.replace(/-sess$/i, '').toUpperCase();
  const name = HASHES[base];
  if (!name) throw new Error(`unsupported digest algorithm ${base}`);
  return name;
}

const h = (algo: string, s: string) => createHash(algo).update(s, 'utf8').digest('hex');

export interface DigestInput {
  challenge: DigestChallenge;
  credentials: DigestCredentials;
  method: string;
  /** The request-target: path and query. */
  uri: string;
  nc: number;
  cnonce: string;
}

/** The `response` value (RFC 7616 section 3.4.1). */
export function digestResponse(input: DigestInput): string {
  const { challenge, credentials, method, uri, cnonce } = input;
  const algo = hashName(challenge.algorithm);
  let ha1 = h(algo, `${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (/-sess$/i.test(challenge.algorithm)) ha1 = h(algo, `${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(algo, `${method}:${uri}`);
  if (!challenge.qop) return h(algo, `${ha1}:${challenge.nonce}:${ha2}`);
  const nc = formatNc(input.nc);
  return h(algo, `${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
}

export const formatNc = (nc: number) => nc.toString(16).padStart(8, '0');

/** The nonce an Authorization header we built carries. */
const nonceOf = (header: string) => parseDigestChallenge(header)?.nonce;

const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** The full `Authorization: Digest ...` header value. */
export function digestHeader(input: DigestInput): string {
  const { challenge, credentials, uri, cnonce } = input;
  const parts = [
    `username=${quote(credentials.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.qop) parts.push('qop=auth', `nc=${formatNc(input.nc)}`, `cnonce=${quote(cnonce)}`);
  parts.push(`response=${quote(digestResponse(input))}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** Digest as an auth plug-in; credentials are read (through the secret store's cache) per request. */
export class DigestAuth implements AuthPlugin {
  private challenge?: DigestChallenge;
  private nc = 0;
  /** While the first request fetches the challenge, concurrent requests wait for it (one 401, not N). */
  private priming?: { promise: Promise<void>; resolve: () => void };
  /** Nonces the server answered with something other than 401 (the most recent few). */
  private readonly acceptedNonces: string[] = [];

  constructor(
    private readonly credentials: () => Promise<DigestCredentials>,
    private readonly cnonce: () => string = () => randomBytes(12).toString('hex'),
  ) {}

  async header(req: { method: string; url: URL }): Promise<string | undefined> {
    if (!this.challenge && this.priming) await this.priming.promise;
    const challenge = this.challenge;
    if (!challenge) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.priming = { promise, resolve };
      return undefined;
    }
    if (challenge.qop && !challenge.qop.includes('auth')) return undefined;
    const credentials = await this.credentials();
    this.nc += 1;
    return digestHeader({
      challenge,
      credentials,
      method: req.method,
      uri: `${req.url.pathname}${req.url.search}`,
      nc: this.nc,
      cnonce: this.cnonce(),
    });
  }

  onUnauthorized(
    res: FetchResponse,
    sent: string | undefined,
    call?: { challengedBefore: boolean },
  ): 'challenge' | 'rejected' {
    const challenge = parseDigestChallenge(res.headers.get('www-authenticate'));
    if (!challenge) return 'rejected';
    try {
      hashName(challenge.algorithm);
    } catch {
      return 'rejected';
    }
    if (this.challenge?.nonce !== challenge.nonce) {
      this.challenge = challenge;
      this.nc = 0;
    }
    // No credentials sent yet (first contact), or the nonce went stale: answer the challenge.
    if (sent === undefined || challenge.stale) return 'challenge';
    // The nonce worked before: more likely an nc the server saw out of order than wrong keys.
    const sentNonce = nonceOf(sent);
    if (!call?.challengedBefore && sentNonce !== undefined && this.acceptedNonces.includes(sentNonce)) {
      return 'challenge';
    }
    // Credentials sent and a fresh (non-stale) challenge back: they were refused (RFC 7616 3.3).
    return 'rejected';
  }

  done(sent: string | undefined, status?: number): void {
    if (sent !== undefined && status !== undefined && status !== 401) this.remember(nonceOf(sent));
    if (sent === undefined && this.priming) {
      this.priming.resolve();
      this.priming = undefined;
    }
  }

  private remember(nonce: string | undefined): void {
    if (nonce === undefined || this.acceptedNonces.includes(nonce)) return;
    this.acceptedNonces.push(nonce);
    if (this.acceptedNonces.length > 4) this.acceptedNonces.shift();
  }

  reset(): void {
    // Credentials are read per request; the nonce stays valid across a secret rotation.
  }
}
