/**
 * Serves the built web console (console/dist, `npm run build`) at the local runtime's root, beside
 * /v1 and /hooks: `/` and `/index.html`, the hashed files under `/assets/`, and
 * `console-config.json`, which tells the console to sign in with the local API token. Every answer
 * carries the security headers the AWS deployment sets at CloudFront, so the console is tested
 * under the same Content-Security-Policy.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../console/dist/', import.meta.url));

/**
 * Only what the console needs: its own scripts, styles and API (and, when it signs in with OpenID
 * Connect, the identity provider); no frames, no plugins, no inline code.
 */
export function localConsoleCsp(idpOrigin?: string): string {
  const idp = idpOrigin ? ` ${idpOrigin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${idp}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    `form-action 'self'${idp}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

export const LOCAL_CONSOLE_CSP = localConsoleCsp();

const OTHER_SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Leaver console</title></head>
<body><main><h1>The console is not built</h1><p>Run <code>npm run build</code> (npm start does it first), then reload.</p></main></body></html>`;

export interface ConsoleFiles {
  /** Answers the request when it is one of the console's paths; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether the built console was found. */
  built: boolean;
}

function send(
  res: ServerResponse,
  csp: string,
  status: number,
  body: Buffer | string,
  type: string,
  cache: string,
  head: boolean,
): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, {
    'content-security-policy': csp,
    ...OTHER_SECURITY_HEADERS,
    'content-type': type,
    'content-length': String(data.length),
    'cache-control': cache,
  });
  res.end(head ? undefined : data);
}

/**
 * `consoleConfig`: what console-config.json answers; default the local API token sign-in. An
 * OpenID Connect configuration (`{ auth: 'oidc', issuer, ... }`) lets the sign-in flow be tried
 * against a local identity provider, whose origin the CSP then allows.
 */
export function consoleFiles(
  dir: string = DEFAULT_CONSOLE_DIR,
  consoleConfig: Record<string, unknown> = { auth: 'token', apiUrl: '' },
): ConsoleFiles {
  const root = resolve(dir);
  const index = join(root, 'index.html');
  const config = JSON.stringify(consoleConfig);
  const csp = localConsoleCsp(
    typeof consoleConfig.issuer === 'string' ? new URL(consoleConfig.issuer).origin : undefined,
  );
  return {
    get built() {
      return existsSync(index);
    },
    handle(req, res) {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const head = method === 'HEAD';
      if (method !== 'GET' && !head) return false;
      if (path === '/' || path === '/index.html') {
        if (!existsSync(index)) {
          send(res, csp, 503, NOT_BUILT, TYPES['.html']!, 'no-store', head);
        } else {
          // The page names the hashed files of this build: always revalidated.
          send(res, csp, 200, readFileSync(index), TYPES['.html']!, 'no-cache', head);
        }
        return true;
      }
      if (path === '/console-config.json') {
        send(res, csp, 200, config, TYPES['.json']!, 'no-store', head);
        return true;
      }
      const asset = /^\/assets\/([A-Za-z0-9_.-]+)$/.exec(path);
      if (!asset || asset[1]!.startsWith('.')) return false;
      const file = join(root, 'assets', asset[1]!);
      const ext = /\.[a-z0-9]+$/.exec(file)?.[0] ?? '';
      if (!TYPES[ext] || !existsSync(file) || !statSync(file).isFile()) return false;
      // Hashed names change with their content: cached for good.
      send(res, csp, 200, readFileSync(file), TYPES[ext]!, 'public, max-age=31536000, immutable', head);
      return true;
    },
  };
}
