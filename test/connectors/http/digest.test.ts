import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DigestAuth,
  digestHeader,
  digestResponse,
  parseDigestChallenge,
} from '../../../lambdas/connectors/http/digest.ts';
import { testCtx } from '../support/ctx.ts';
import { makeHttp } from '../support/http.ts';
import { MemorySecrets } from '../support/memory-secrets.ts';
import { startServer, type TestServer } from '../support/test-server.ts';

describe('Digest computation (RFC vectors)', () => {
  it('matches RFC 2617 section 3.5', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    const input = {
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle Of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: '0a4f113b',
    };
    expect(digestResponse(input)).toBe('6629fae49393a05397450978507c4ef1');
    const header = digestHeader(input);
    expect(header).toContain('nc=00000001');
    expect(header).toContain('qop=auth,');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
  });

  it('matches RFC 7616 section 3.9.1 (MD5)', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    )!;
    expect(challenge.qop).toEqual(['auth', 'auth-int']);
    const response = digestResponse({
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(response).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('matches RFC 7616 section 3.9.1 (SHA-256)', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    )!;
    const response = digestResponse({
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(response).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('parses MongoDB\'s challenge (op="auth", stale=false)', () => {
    const c = parseDigestChallenge(
      'Digest realm="MMS Public API", domain="", nonce="abc+/=", algorithm=MD5, op="auth", stale=false',
    );
    expect(c).toMatchObject({
      realm: 'MMS Public API',
      nonce: 'abc+/=',
      algorithm: 'MD5',
      qop: ['auth'],
      stale: false,
    });
    expect(parseDigestChallenge('Bearer realm="x"')).toBeUndefined();
    expect(parseDigestChallenge(null)).toBeUndefined();
    expect(parseDigestChallenge('Digest realm="r", stale=TRUE, nonce="n"')?.stale).toBe(true);
  });
});

/** A Digest server written independently of the client's code (its own MD5 check). */
function digestServer(opts: { user: string; pass: string; staleAfter?: number }) {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const state = {
    nonce: 'nonce-1',
    served: 0,
    ncs: [] as string[],
    cnonces: [] as string[],
    nonces: [] as string[],
  };
  const challenge = (stale: boolean) =>
    `Digest realm="MMS Public API", domain="", nonce="${state.nonce}", algorithm=MD5, qop="auth", stale=${stale}`;
  return {
    state,
    handler: (
      req: { method: string; url: string; headers: Record<string, unknown> },
      res: import('node:http').ServerResponse,
    ) => {
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('Digest ')) {
        res.writeHead(401, { 'www-authenticate': challenge(false) });
        res.end();
        return;
      }
      const p: Record<string, string> = {};
      for (const m of auth.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[m[1]!] = m[2] ?? m[3] ?? '';
      state.ncs.push(p.nc!);
      state.cnonces.push(p.cnonce!);
      state.nonces.push(p.nonce!);
      if (p.nonce !== state.nonce) {
        res.writeHead(401, { 'www-authenticate': challenge(true) });
        res.end();
        return;
      }
      const ha1 = md5(`${p.username}:MMS Public API:${opts.pass}`);
      const ha2 = md5(`${req.method}:${p.uri}`);
      const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
      if (p.username !== opts.user || p.response !== expected || p.uri !== req.url) {
        res.writeHead(401, { 'www-authenticate': challenge(false) });
        res.end();
        return;
      }
      state.served += 1;
      if (opts.staleAfter !== undefined && state.served === opts.staleAfter) state.nonce = 'nonce-2';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    },
  };
}

describe('Digest over HTTP', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  const digestFor = (secrets: MemorySecrets) =>
    new DigestAuth(async () => {
      const s = await secrets.get<{ publicKey: string; privateKey: string }>('s');
      return { username: s.publicKey, password: s.privateKey };
    });

  it('answers the first challenge, then reuses the nonce with nc incremented and a fresh cnonce', async () => {
    const d = digestServer({ user: 'pub', pass: 'priv' });
    server = await startServer((req, res) => d.handler(req, res));
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'priv' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    const ctx = testCtx();
    for (let i = 0; i < 3; i++) {
      const res = await http.request(
        { method: 'GET', url: `${server.url}/orgs/x?pageNum=${i}`, route: '/orgs/{id}' },
        ctx,
      );
      expect(res.body).toEqual({ ok: true });
    }
    // One unauthenticated first contact, then three authenticated requests on one nonce.
    expect(server.seen).toHaveLength(4);
    expect(d.state.ncs).toEqual(['00000001', '00000002', '00000003']);
    expect(new Set(d.state.cnonces).size).toBe(3);
    expect(secrets.invalidations).toEqual([]);
  });

  it('concurrent first requests share one challenge (one 401, not one per request)', async () => {
    const d = digestServer({ user: 'pub', pass: 'priv' });
    server = await startServer((req, res) => d.handler(req, res));
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'priv' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    const ctx = testCtx();
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        http.request({ method: 'GET', url: `${server!.url}/p${i}`, route: '/p' }, ctx),
      ),
    );
    expect(server.seen.filter((s) => !s.headers.authorization)).toHaveLength(1);
    expect(server.seen).toHaveLength(6);
    expect([...d.state.ncs].sort()).toEqual(['00000001', '00000002', '00000003', '00000004', '00000005']);
  });

  it('re-challenges on stale=true without counting an auth failure', async () => {
    const d = digestServer({ user: 'pub', pass: 'priv', staleAfter: 1 });
    server = await startServer((req, res) => d.handler(req, res));
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'priv' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    const ctx = testCtx();
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, ctx);
    const second = await http.request({ method: 'DELETE', url: `${server.url}/b`, route: '/b' }, ctx);
    expect(second.status).toBe(200);
    // The stale answer was followed by the new nonce with nc back at 1.
    expect(d.state.nonces).toEqual(['nonce-1', 'nonce-1', 'nonce-2']);
    expect(d.state.ncs.at(-1)).toBe('00000001');
    expect(secrets.invalidations).toEqual([]);
  });

  it('a nonce refused out of nc order is answered with the fresh challenge, not a credentials failure', async () => {
    // Apache-like AuthDigestNcCheck: an nc not above the last one seen for the nonce is refused with
    // stale=false. The request carrying nc=1 is held until nc=2 has been answered, so it arrives late.
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const lastNc = new Map<string, number>();
    const refusedNcs: string[] = [];
    let releaseFirst = () => {};
    const firstMayGo = new Promise<void>((r) => {
      releaseFirst = r;
    });
    const challenge = 'Digest realm="MMS Public API", nonce="n-1", algorithm=MD5, qop="auth", stale=false';
    server = await startServer(async (req, res) => {
      const auth = String(req.headers.authorization ?? '');
      const p: Record<string, string> = {};
      for (const m of auth.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) p[m[1]!] = m[2] ?? m[3] ?? '';
      if (p.nc === '00000001') await firstMayGo;
      const nc = Number.parseInt(p.nc ?? '0', 16);
      const ha1 = md5(`${p.username}:MMS Public API:priv`);
      const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${md5(`${req.method}:${p.uri}`)}`);
      if (!auth.startsWith('Digest ') || p.response !== expected || nc <= (lastNc.get(p.nonce!) ?? 0)) {
        if (p.nc) refusedNcs.push(p.nc);
        res.writeHead(401, { 'www-authenticate': challenge });
        res.end();
        return;
      }
      lastNc.set(p.nonce!, nc);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      if (p.nc === '00000002') releaseFirst();
    });
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'priv' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    const ctx = testCtx();
    // The first contact fetches the challenge; the two requests then carry nc=1 and nc=2.
    const results = await Promise.all([
      http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, ctx),
      http.request({ method: 'GET', url: `${server.url}/b`, route: '/b' }, ctx),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    // nc=1 was refused for arriving late, then answered again on the fresh challenge.
    expect(refusedNcs).toEqual(['00000001']);
    expect(secrets.invalidations).toEqual([]);
  });

  it('a nonce that worked and is then refused twice in one call is a credentials failure', async () => {
    const d = digestServer({ user: 'pub', pass: 'priv' });
    server = await startServer((req, res) => d.handler(req, res));
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'priv' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    // The keys are revoked at the vendor: the accepted nonce now gets stale=false refusals only.
    secrets.set('s', { publicKey: 'pub', privateKey: 'revoked' });
    secrets.invalidate('s');
    const err = await http
      .request({ method: 'GET', url: `${server.url}/b`, route: '/b' }, testCtx())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vendor_auth', vendorStatus: 401 });
    // One fresh challenge for the accepted nonce, then one secret refresh: never an endless loop.
    expect(d.state.nonces.length).toBeLessThanOrEqual(4);
  });

  it('wrong keys: one secret refresh, then vendor_auth with no key in the error', async () => {
    const d = digestServer({ user: 'pub', pass: 'right-private-key' });
    server = await startServer((req, res) => d.handler(req, res));
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'wrong-private-key-123' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    const err = await http
      .request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vendor_auth', vendorStatus: 401 });
    expect(secrets.invalidations).toEqual(['s']);
    const dump = JSON.stringify({ m: (err as Error).message, e: err, s: (err as Error).stack });
    expect(dump).not.toContain('wrong-private-key-123');
    expect(dump).not.toContain('Digest ');
  });

  it('a rotated key is picked up after one 401', async () => {
    const d = digestServer({ user: 'pub', pass: 'new-key' });
    server = await startServer((req, res) => d.handler(req, res));
    const secrets = new MemorySecrets({ s: { publicKey: 'pub', privateKey: 'old-key' } });
    const { http } = makeHttp({ auth: digestFor(secrets), secrets });
    await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx()).catch(() => {});
    expect(secrets.invalidations).toEqual(['s']);
    // Rotation: the store now holds the new key, but the cached old one is still served.
    await secrets.get('s');
    secrets.set('s', { publicKey: 'pub', privateKey: 'new-key' });
    const res = await http.request({ method: 'GET', url: `${server.url}/a`, route: '/a' }, testCtx());
    expect(res.status).toBe(200);
    expect(secrets.invalidations).toEqual(['s', 's']);
  });
});
