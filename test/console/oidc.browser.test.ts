/// <reference lib="dom" />
/**
 * The console's OpenID Connect sign-in (the AWS deployment's) in Chromium, against a local
 * provider: authorization code with PKCE (S256), state and nonce checked, no client secret, the code
 * gone from the address afterwards, the access token used as the API's bearer token. The local
 * runtime accepts that token because the provider issues the local API token itself.
 */
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../lambdas/handlers/observability.ts';
import { type LocalRuntime, startLocal } from '../../local/main.ts';
import { buildConsole, launch, seriousViolations } from './browser.ts';
import { type FakeOidc, startFakeOidc } from './fake-oidc.ts';

const TOKEN = 'leaver-local-demo-token';
const CLIENT_ID = 'leaver-console-test';
const WAIT = { timeout: 60_000 };

let idp: FakeOidc;
let rt: LocalRuntime;
let browser: Browser;
let page: Page;
let dir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  logger.setLogLevel('ERROR');
  dir = (await buildConsole()).dir;
  idp = await startFakeOidc({ clientId: CLIENT_ID, accessToken: TOKEN, email: 'auditor@example.com' });
  rt = await startLocal({
    port: 0,
    sandboxPort: 0,
    schedules: false,
    banner: false,
    consoleDir: dir,
    secretsFile: 'local/secrets.json',
    consoleConfig: {
      auth: 'oidc',
      apiUrl: '',
      issuer: idp.issuer,
      clientId: CLIENT_ID,
      scopes: ['openid', 'email'],
    },
  });
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('OpenID Connect sign-in (authorization code with PKCE)', () => {
  it('signs in through the provider and calls the API with its access token', async () => {
    await page.goto(`${rt.url}/#/safety`);
    expect(await page.getByLabel('API token').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back from the provider, on the page the person asked for, signed in.
    await page.getByRole('heading', { level: 1, name: 'Safety' }).waitFor(WAIT);
    await page.getByText('auditor@example.com').waitFor(WAIT);
    await page.getByRole('link', { name: 'Kill switch off' }).waitFor(WAIT);
    expect(page.url()).toBe(`${rt.url}/#/safety`);
    expect(page.url()).not.toContain('code=');

    const authorize = idp.requests.find((r) => r.path === '/authorize')!.params;
    expect(authorize).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `${rt.url}/`,
      scope: 'openid email',
      code_challenge_method: 'S256',
    });
    expect(authorize.state!.length).toBeGreaterThanOrEqual(16);
    expect(authorize.nonce!.length).toBeGreaterThanOrEqual(16);
    const token = idp.requests.find((r) => r.path === '/token')!.params;
    expect(token.grant_type).toBe('authorization_code');
    expect(token.code_verifier!.length).toBeGreaterThanOrEqual(43);
    expect(token).not.toHaveProperty('client_secret');

    const session = JSON.parse((await page.evaluate(() => sessionStorage.getItem('leaver.session'))) ?? '{}');
    expect(session).toMatchObject({ token: TOKEN, user: 'auditor@example.com' });
    expect(session.expiresAt).toBeGreaterThan(Date.now());
    // Nothing of the sign-in is left behind.
    expect(await page.evaluate(() => sessionStorage.getItem('leaver.oidc.pending'))).toBeNull();
  }, 120_000);

  it('refuses an answer that does not belong to the tab (state), and the code never stays in the address', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor(WAIT);
    await page.goto(`${rt.url}/?code=stolen&state=forged`);
    await page.getByRole('alert').getByText('does not belong to this tab').waitFor(WAIT);
    expect(page.url()).toBe(`${rt.url}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('leaver.session'))).toBeNull();
    expect(idp.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  }, 120_000);

  it('the page allows the provider and nothing more in its CSP, and reported no error', async () => {
    const csp = (await fetch(`${rt.url}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${new URL(idp.issuer).origin}`);
    expect(pageErrors).toEqual([]);
  });
});
