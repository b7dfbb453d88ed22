import { afterEach, describe, expect, it } from 'vitest';
import { OAuthClientCredentials } from '../../../lambdas/connectors/http/oauth.ts';
import { nodeFetchTransport } from '../../../lambdas/connectors/http/transport.ts';
import { testCtx } from '../support/ctx.ts';
import { fakeTiming, makeHttp } from '../support/http.ts';
import { MemorySecrets } from '../support/memory-secrets.ts';
import { json, startServer, type TestServer } from '../support/test-server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const SECRET = 'super-secret-value-0001';

/** Token endpoint (client_secret_basic) + an API accepting only tokens of `validSecret`. */
function oauthServer(opts: { validSecret: () => string; expiresIn?: number; tokenDelayMs?: number }) {
  let issued = 0;
  const good = new Set<string>();
  return {
    tokenRequests: () => issued,
    revokeTokens: () => good.clear(),
    handler: (
      req: { method: string; url: string; headers: Record<string, unknown>; body: string },
      res: import('node:http').ServerResponse,
    ) => {
      if (req.url === '/token') {
        issued += 1;
        const basic = String(req.headers.authorization ?? '').replace(/^Basic /, '');
        const [id, secret] = Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent);
        const form = new URLSearchParams(req.body);
        if (
          form.get('grant_type') !== 'client_credentials' ||
          id !== 'client-1' ||
          secret !== opts.validSecret()
        ) {
          json(res, 401, { error: 'invalid_client' });
          return;
        }
        const token = `tok-${issued}-${secret === SECRET ? 'a' : 'b'}`;
        good.clear();
        good.add(token);
        setTimeout(
          () =>
            json(res, 200, {
              access_token: token,
              token_type: 'Bearer',
              expires_in: opts.expiresIn ?? 3600,
              scope: form.get('scope'),
            }),
          opts.tokenDelayMs ?? 0,
        );
        return;
      }
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!good.has(token)) {
        json(res, 401, { error: { code: 'Unauthorized', message: 'bad token' } });
        return;
      }
      json(res, 200, { ok: true });
    },
  };
}

function oauthHttp(url: string, secrets: MemorySecrets, timing = fakeTiming()) {
  const auth = new OAuthClientCredentials({
    target: { vendor: 'itwin', tenantId: 't1' },
    tokenUrl: `${url}/token`,
    scope: 'itwin-platform',
    credentials: () => secrets.get('s'),
    fetch: nodeFetchTransport,
    timing,
    timeoutMs: 2000,
  });
  return { ...makeHttp({ auth, secrets, timing }), auth, timing };
}

describe('OAuth2 client credentials', () => {
  it('concurrent calls share exactly one token request; the token is reused', async () => {
    const o = oauthServer({ validSecret: () => SECRET, tokenDelayMs: 30 });
    server = await startServer((req, res) => o.handler(req, res));
    const secrets = new MemorySecrets({ s: { clientId: 'client-1', clientSecret: SECRET } });
    const { http } = oauthHttp(server.url, secrets);
    const ctx = testCtx();
    await Promise.all(
      Array.from({ length: 6 }, () =>
        http.request({ method: 'GET', url: `${server!.url}/api`, route: '/api' }, ctx),
      ),
    );
    await http.request({ method: 'GET', url: `${server.url}/api`, route: '/api' }, ctx);
    expect(o.tokenRequests()).toBe(1);
    const tokenCall = server.seen.find((s) => s.url === '/token')!;
    expect(tokenCall.headers.authorization).toMatch(/^Basic /);
    expect(new URLSearchParams(tokenCall.body).get('scope')).toBe('itwin-platform');
    expect(ctx.calls.filter((c) => c.route === '/oauth/token')).toHaveLength(1);
  });

  it('asks for a new token 60 s before expiry, not earlier', async () => {
    const o = oauthServer({ validSecret: () => SECRET, expiresIn: 600 });
    server = await startServer((req, res) => o.handler(req, res));
    const secrets = new MemorySecrets({ s: { clientId: 'client-1', clientSecret: SECRET } });
    const timing = fakeTiming();
    const { http } = oauthHttp(server.url, secrets, timing);
    const call = () =>
      http.request(
        { method: 'GET', url: `${server!.url}/api`, route: '/api' },
        testCtx({ deadlineMs: 3_600_000 }),
      );
    await call();
    timing.advance(539_000);
    await call();
    expect(o.tokenRequests()).toBe(1);
    timing.advance(2_000);
    await call();
    expect(o.tokenRequests()).toBe(2);
  });

  it('a 401 invalidates the secret once, re-reads it and succeeds (rotation)', async () => {
    let valid = SECRET;
    const o = oauthServer({ validSecret: () => valid });
    server = await startServer((req, res) => o.handler(req, res));
    const secrets = new MemorySecrets({ s: { clientId: 'client-1', clientSecret: SECRET } });
    const { http } = oauthHttp(server.url, secrets);
    await http.request({ method: 'GET', url: `${server.url}/api`, route: '/api' }, testCtx());
    // Rotation: the store gets the new secret, the vendor revokes the old one (and its tokens).
    valid = 'rotated-secret-0002';
    o.revokeTokens();
    secrets.set('s', { clientId: 'client-1', clientSecret: valid });
    const res = await http.request({ method: 'GET', url: `${server.url}/api`, route: '/api' }, testCtx());
    expect(res.status).toBe(200);
    expect(secrets.invalidations).toEqual(['s']);
  });

  it('a second 401 is vendor_auth; no secret, token or header in the error or the log', async () => {
    const o = oauthServer({ validSecret: () => 'something-else' });
    server = await startServer((req, res) => o.handler(req, res));
    const secrets = new MemorySecrets({ s: { clientId: 'client-1', clientSecret: SECRET } });
    const { http } = oauthHttp(server.url, secrets);
    const ctx = testCtx();
    const err = await http
      .request({ method: 'GET', url: `${server.url}/api`, route: '/api' }, ctx)
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_auth' });
    expect(secrets.invalidations).toEqual(['s']);
    expect(o.tokenRequests()).toBe(2);
    const basic = Buffer.from(`client-1:${SECRET}`).toString('base64');
    const dump = JSON.stringify({
      message: err.message,
      details: err.details,
      stack: err.stack,
      err,
      log: ctx.log.lines,
    });
    for (const needle of [SECRET, basic, 'Basic ', 'Bearer ']) expect(dump).not.toContain(needle);
  });

  it('an API 401 with a valid token refreshes once, then vendor_auth', async () => {
    server = await startServer((req, res) => {
      if (req.url === '/token')
        json(res, 200, { access_token: 'tok-secret-abc', token_type: 'Bearer', expires_in: 3600 });
      else json(res, 401, { error: { code: 'Unauthorized' } });
    });
    const secrets = new MemorySecrets({ s: { clientId: 'client-1', clientSecret: SECRET } });
    const { http } = oauthHttp(server.url, secrets);
    const err = await http
      .request({ method: 'GET', url: `${server.url}/api`, route: '/api' }, testCtx())
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'vendor_auth', vendorStatus: 401 });
    expect(secrets.invalidations).toEqual(['s']);
    expect(server.seen.filter((s) => s.url === '/token')).toHaveLength(2);
    expect(server.seen.filter((s) => s.url === '/api')).toHaveLength(2);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('tok-secret-abc');
  });

  it('a token endpoint outage (503) is retried like any call', async () => {
    let first = true;
    server = await startServer((req, res) => {
      if (req.url === '/token' && first) {
        first = false;
        json(res, 503, {}, { 'retry-after': '1' });
      } else if (req.url === '/token')
        json(res, 200, { access_token: 't', token_type: 'Bearer', expires_in: 3600 });
      else json(res, 200, { ok: true });
    });
    const secrets = new MemorySecrets({ s: { clientId: 'client-1', clientSecret: SECRET } });
    const { http, timing } = oauthHttp(server.url, secrets);
    const res = await http.request({ method: 'GET', url: `${server.url}/api`, route: '/api' }, testCtx());
    expect(res.status).toBe(200);
    expect(timing.sleeps).toContain(1000);
    expect(secrets.invalidations).toEqual([]);
  });
});
