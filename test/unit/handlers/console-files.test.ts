/**
 * The local runtime's console files: the page, hashed assets and console-config.json with the
 * security headers; nothing outside the build folder; a clear page when the console is not built.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFiles, LOCAL_CONSOLE_CSP } from '../../../local/console-files.ts';

let server: Server;
let base = '';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leaver-console-files-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'not served');
  const files = consoleFiles(dir);
  server = createServer((req, res) => {
    if (!files.handle(req, res)) {
      res.writeHead(404);
      res.end('not the console');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe('console files', () => {
  it('serves the page with a strict CSP and no caching of the page', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toBe(LOCAL_CONSOLE_CSP);
    expect(LOCAL_CONSOLE_CSP).not.toMatch(/unsafe/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('<title>console</title>');
  });

  it('serves hashed assets for good, and the token sign-in configuration', async () => {
    const js = await fetch(`${base}/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    const cfg = await fetch(`${base}/console-config.json`);
    expect(await cfg.json()).toEqual({ auth: 'token', apiUrl: '' });
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves nothing else: other files, traversal, other methods and other paths are not its own', async () => {
    for (const path of [
      '/secret.txt',
      '/assets/../secret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/.hidden.js',
      '/v1/health',
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe('not the console');
    }
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(404);
  });

  it('answers 503 with what to run when the console is not built', async () => {
    const empty = consoleFiles(mkdtempSync(join(tmpdir(), 'leaver-console-empty-')));
    expect(empty.built).toBe(false);
    const s = createServer((req, res) => {
      if (!empty.handle(req, res)) res.end();
    });
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
    await new Promise<void>((ok) => s.close(() => ok()));
  });
});
