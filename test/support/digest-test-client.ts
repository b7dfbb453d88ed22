/**
 * A small HTTP Digest (MD5, qop=auth) client for sandbox tests. Written for the tests, independent
 * of lambdas/connectors (the sandbox must not be proven with the code it tests).
 */
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  algorithm?: string;
  stale?: string;
  domain?: string;
}

export function parseChallenge(header: string | null): DigestChallenge {
  if (!header?.startsWith('Digest ')) throw new Error(`not a Digest challenge: ${header}`);
  const out: Record<string, string> = {};
  const re = /(\w+)=(?:"([^"]*)"|([^\s,]+))/g;
  for (let m = re.exec(header); m; m = re.exec(header)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out as unknown as DigestChallenge;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The Authorization header for one request. */
export function digestHeader(opts: {
  username: string;
  password: string;
  method: string;
  uri: string;
  challenge: DigestChallenge;
  nc?: number;
  cnonce?: string;
}): string {
  const { username, password, method, uri, challenge } = opts;
  const nc = (opts.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = opts.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = md5(`${username}:${challenge.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${username}", realm="${challenge.realm}", nonce="${challenge.nonce}", uri="${uri}", ` +
    `algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`
  );
}

/** Keeps one nonce and counts nc up, re-challenging on 401 (like a real client). */
export class DigestClient {
  private challenge?: DigestChallenge;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const u = new URL(url);
    const uri = u.pathname + u.search;
    if (!this.challenge) {
      const first = await fetch(url, { ...init, method });
      if (first.status !== 401) return first;
      await first.arrayBuffer();
      this.challenge = parseChallenge(first.headers.get('www-authenticate'));
      this.nc = 0;
    }
    const send = () => {
      this.nc += 1;
      const headers = new Headers(init.headers);
      headers.set(
        'authorization',
        digestHeader({
          username: this.username,
          password: this.password,
          method,
          uri,
          challenge: this.challenge!,
          nc: this.nc,
        }),
      );
      return fetch(url, { ...init, method, headers });
    };
    let res = await send();
    if (res.status === 401) {
      const c = parseChallenge(res.headers.get('www-authenticate'));
      if (c.stale === 'true') {
        await res.arrayBuffer();
        this.challenge = c;
        this.nc = 0;
        res = await send();
      }
    }
    return res;
  }
}
