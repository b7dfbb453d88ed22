/**
 * A small OpenID Connect provider on loopback for the console's sign-in test: discovery, an
 * authorization endpoint that signs the person in at once and redirects back with a code, and a
 * token endpoint that checks the PKCE verifier against the challenge (S256), the redirect URI and
 * the client, and issues the access token it was given. It refuses anything else, and keeps every
 * request so the test can look at them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOidc {
  issuer: string;
  requests: { path: string; params: Record<string, string> }[];
  close(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

export async function startFakeOidc(opts: {
  clientId: string;
  accessToken: string;
  email: string;
}): Promise<FakeOidc> {
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string }>();
  const requests: FakeOidc['requests'] = [];
  let issuer = '';
  const send = (res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'content-type',
      ...headers,
    });
    res.end(json === undefined ? undefined : JSON.stringify(json));
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const params = Object.fromEntries(
        req.method === 'POST' ? new URLSearchParams(await body(req)) : url.searchParams,
      );
      requests.push({ path: url.pathname, params });
      if (req.method === 'OPTIONS') return send(res, 204, undefined);
      if (url.pathname === '/.well-known/openid-configuration') {
        return send(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (url.pathname === '/authorize') {
        const ok =
          params.response_type === 'code' &&
          params.client_id === opts.clientId &&
          params.code_challenge_method === 'S256' &&
          /^[A-Za-z0-9_-]{43}$/.test(params.code_challenge ?? '') &&
          params.state &&
          params.nonce &&
          params.redirect_uri;
        if (!ok) return send(res, 400, { error: 'invalid_request' });
        const code = b64url(randomBytes(16));
        codes.set(code, {
          challenge: params.code_challenge!,
          nonce: params.nonce!,
          redirectUri: params.redirect_uri!,
        });
        const back = new URL(params.redirect_uri!);
        back.search = new URLSearchParams({ code, state: params.state!, iss: issuer }).toString();
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        const grant = codes.get(params.code ?? '');
        codes.delete(params.code ?? '');
        const verifier = params.code_verifier ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !grant ||
          params.grant_type !== 'authorization_code' ||
          params.client_id !== opts.clientId ||
          params.redirect_uri !== grant.redirectUri ||
          challenge !== grant.challenge ||
          'client_secret' in params
        ) {
          return send(res, 400, { error: 'invalid_grant' });
        }
        const idToken = [
          b64url(JSON.stringify({ alg: 'none', typ: 'JWT' })),
          b64url(
            JSON.stringify({
              iss: issuer,
              aud: opts.clientId,
              sub: 'user-1',
              email: opts.email,
              nonce: grant.nonce,
            }),
          ),
          '',
        ].join('.');
        return send(res, 200, {
          access_token: opts.accessToken,
          token_type: 'Bearer',
          expires_in: 3600,
          id_token: idToken,
        });
      }
      return send(res, 404, { error: 'not_found' });
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/leaver`;
  // The issuer has a path, as Okta's and Entra's have: the routes above live under it.
  const inner = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    req.url = (req.url ?? '/').replace(/^\/oauth2\/leaver/, '') || '/';
    inner(req, res);
  });
  return {
    get issuer() {
      return issuer;
    },
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
