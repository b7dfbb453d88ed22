/// <reference lib="dom" />
/**
 * The web console in a real browser (Debian's Chromium through playwright-core) against the local
 * runtime started in process, the vendor sandbox over real HTTP and the console as `npm run build`
 * builds it, under its strict Content-Security-Policy: sign in (a wrong token refused), watch the
 * demo leaver go from running to completed, open her timeline with the last-owner skip, preview and
 * dry run, the kill switch on and off, a quarantined offboarding released, the time-to-revoke
 * charts, who holds what (the access inventory); an axe-core scan of every page at 1280 and 390 pixels wide; keyboard use.
 *
 * The steps share one browser tab and one runtime, in order. The blast-radius limit is one
 * offboarding an hour here, so the second real start is quarantined by the guard itself.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Offboarding, VendorId } from '../../lambdas/core/model.ts';
import { logger } from '../../lambdas/handlers/observability.ts';
import { runDemo } from '../../local/demo.ts';
import { type LocalRuntime, startLocal } from '../../local/main.ts';
import { buildConsole, launch, pageOverflowsX, screenshot, seriousViolations } from './browser.ts';

const TOKEN = 'leaver-local-demo-token';
const DANA = 'dana.leaver@example.com';
const SAM = 'sam.stays@example.com';
const LEE = 'lee.leaver@example.com';
const STEP_MS = 120_000;
const WAIT = { timeout: 60_000 };

let rt: LocalRuntime;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleDir: string;
let bundle: { totalGzipBytes: number; budgetGzipBytes: number };
/** Script errors and refusals (CSP) the pages reported. */
const pageErrors: string[] = [];
let danaId = '';

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${rt.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as T;
}

async function open(hash: string): Promise<void> {
  await page.goto(`${rt.url}/${hash}`);
  await page.locator('h1').first().waitFor(WAIT);
}

beforeAll(async () => {
  logger.setLogLevel('ERROR');
  const built = await buildConsole();
  consoleDir = built.dir;
  bundle = built.size;
  const config = JSON.parse(readFileSync('local/demo-config.json', 'utf8'));
  config.safety.blastRadius.maxOffboardings = 1;
  rt = await startLocal({
    port: 0,
    sandboxPort: 0,
    schedules: false,
    banner: false,
    config,
    consoleDir,
    secretsFile: 'local/secrets.json',
  });
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused sign-in is a 401 the browser reports on its own; every other error counts.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
});

describe('the web console in Chromium', () => {
  it('is built within its 200 KB gzipped budget', () => {
    expect(bundle.budgetGzipBytes).toBe(200 * 1024);
    expect(bundle.totalGzipBytes).toBeGreaterThan(10_000);
    expect(bundle.totalGzipBytes).toBeLessThanOrEqual(bundle.budgetGzipBytes);
  });

  it('serves the console with a strict Content-Security-Policy next to /v1', async () => {
    const res = await fetch(`${rt.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${rt.url}/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${rt.url}/v1/health`)).status).toBe(200);
  });

  it(
    'refuses a wrong token with a clear message and keeps nothing',
    async () => {
      await open('');
      const field = page.getByLabel('API token');
      expect(await field.getAttribute('type')).toBe('password');
      await field.fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').getByText('That API token was refused').waitFor(WAIT);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(page.url()).not.toContain('not-the-token');
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        expect(await seriousViolations(page), `sign-in at ${width}`).toEqual([]);
        await screenshot(page, `sign-in-${width}`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    },
    STEP_MS,
  );

  it(
    'signs in with the API token from the keyboard; the token stays in session storage only',
    async () => {
      await open('');
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
      await page.keyboard.type(TOKEN);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Offboardings' }).waitFor(WAIT);
      expect(page.url()).not.toContain(TOKEN);
      expect(await page.evaluate(() => sessionStorage.getItem('leaver.session'))).toContain(TOKEN);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect((await context.cookies()).length).toBe(0);
      // The kill switch's state shows on every page.
      await page.getByRole('link', { name: 'Kill switch off' }).waitFor(WAIT);
    },
    STEP_MS,
  );

  it(
    'skip link first, then the navigation, with a visible focus ring',
    async () => {
      await page.reload();
      await page.getByRole('heading', { name: 'Offboardings' }).waitFor(WAIT);
      await page.keyboard.press('Tab');
      const skip = await page.evaluate(() => ({
        text: document.activeElement?.textContent,
        outline: getComputedStyle(document.activeElement as Element).outlineStyle,
      }));
      expect(skip).toEqual({ text: 'Skip to content', outline: 'solid' });
      const nav: string[] = [];
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab');
        nav.push((await page.evaluate(() => document.activeElement?.textContent)) ?? '');
      }
      expect(nav).toEqual(['Offboardings', 'Start', 'Safety', 'Time to revoke']);
      for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      // From the content, the next stop is the first control of the page (the counts by status).
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate(() => document.activeElement?.closest('nav')?.getAttribute('aria-label')),
      ).toBe('Offboardings by status');
    },
    STEP_MS,
  );

  it('watches the demo leaver go from running to completed', async () => {
    await open('#/offboardings');
    // Each revocation at the sandbox takes 1.5 s, so the run is seen running for several polls.
    const slow = rt.sandbox!.control.addFault({
      type: 'latency',
      method: 'DELETE',
      distribution: { kind: 'fixed', ms: 1500 },
    });
    const demo = runDemo({
      email: DANA,
      baseUrl: rt.url,
      config: rt.config,
      secretsFile: 'local/secrets.json',
      pollMs: 200,
      timeoutMs: 200_000,
      write: () => {},
    });
    try {
      const row = page.locator('tr', { hasText: DANA });
      await row.getByText('Running', { exact: true }).waitFor(WAIT);
      await screenshot(page, 'offboardings-running');
      await row.getByText('Completed', { exact: true }).waitFor({ timeout: 200_000 });
    } finally {
      rt.sandbox!.control.removeFault(slow);
    }
    const result = await demo;
    expect(result.status).toBe('completed');
    danaId = result.offboardingId!;
    // Counts by status follow.
    await page.locator('.count.status-completed .count-n').getByText('1', { exact: true }).waitFor(WAIT);
  }, 240_000); // A loaded machine stretches the run (its revocations are slowed on purpose): generous, not timed.

  it(
    'opens her timeline: every action by vendor and tenant, the last-owner skip, the audit verdict',
    async () => {
      await page.locator('tr', { hasText: DANA }).getByRole('link', { name: DANA }).click();
      await page.getByRole('heading', { level: 1, name: new RegExp(DANA) }).waitFor(WAIT);
      await page.getByText('Audit chain intact').waitFor(WAIT);
      for (const vendor of ['Bentley iTwin', 'MongoDB Atlas', 'MongoDB Cloud Manager']) {
        await page.getByRole('heading', { level: 3, name: new RegExp(vendor) }).waitFor(WAIT);
      }
      await page.getByRole('heading', { level: 4, name: 'Tenant itwin-demo' }).waitFor(WAIT);
      const skipped = page.locator('tr', { hasText: 'Last owner: kept and alerted' });
      expect(await skipped.count()).toBe(1);
      expect(await skipped.getByText('Skipped').count()).toBe(1);
      expect(await page.getByText('Revoked', { exact: true }).count()).toBeGreaterThanOrEqual(10);
      // Source and actor, timestamps and time-to-revoke per vendor.
      await page.getByText('HR system: standard').waitFor(WAIT);
      await page.locator('dt', { hasText: 'Finished' }).waitFor(WAIT);
      expect(await page.locator('#h-ttr + .big').textContent()).toMatch(/\d/);
      // A finished offboarding offers no cancel, retry or release.
      expect(await page.getByRole('button', { name: /^(Cancel|Retry|Release)$/ }).count()).toBe(0);
      await screenshot(page, 'offboarding-1280', 'console-offboarding');
    },
    STEP_MS,
  );

  it(
    'previews a leaver and runs a dry run; nothing is created or changed',
    async () => {
      await open('#/start');
      await page.getByLabel('Email of the person leaving').fill(SAM);
      await page.getByRole('button', { name: 'Preview' }).click();
      await page.getByRole('heading', { name: 'Preview' }).waitFor(WAIT);
      await page.getByText(/grants? would be revoked/).waitFor(WAIT);
      const revokes = await page.locator('.plan tbody tr').count();
      expect(revokes).toBeGreaterThan(0);
      // A dry run needs a reason; without one it says so.
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('alert').getByText('Give a reason').waitFor(WAIT);
      await page.getByLabel('Reason (for a dry run or a start)').fill('checking before the leaving date');
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('heading', { name: 'Dry run' }).waitFor(WAIT);
      expect(await page.locator('.plan tbody tr').count()).toBe(revokes);
      const list = await api<{ items: unknown[] }>('GET', `/v1/offboardings?email=${SAM}`);
      expect(list.items).toEqual([]);
      await screenshot(page, 'start-dry-run-1280');
    },
    STEP_MS,
  );

  it(
    'turns the kill switch on and back off, each after a confirmation with a reason',
    async () => {
      await open('#/safety');
      await page.getByRole('button', { name: 'Turn the kill switch on' }).click();
      const dialog = page.getByRole('dialog', { name: 'Stop every revocation?' });
      await dialog.waitFor(WAIT);
      expect(await seriousViolations(page), 'kill switch dialog').toEqual([]);
      await dialog.getByRole('button', { name: 'Turn the kill switch on' }).click();
      await dialog.getByRole('alert').getByText('Give a reason').waitFor(WAIT);
      await dialog.getByLabel('Reason').fill('incident drill');
      await dialog.getByRole('button', { name: 'Turn the kill switch on' }).click();
      await page.getByRole('link', { name: 'Kill switch ON: revocations stopped' }).waitFor(WAIT);
      expect((await api<{ enabled: boolean }>('GET', '/v1/kill-switch')).enabled).toBe(true);
      await page.getByText('incident drill').waitFor(WAIT);
      await screenshot(page, 'safety-kill-switch-on-1280');

      await page.getByRole('button', { name: 'Turn the kill switch off' }).click();
      const back = page.getByRole('dialog', { name: 'Let revocations run again?' });
      await back.getByLabel('Reason').fill('drill over');
      await back.getByRole('button', { name: 'Turn the kill switch off' }).click();
      await page.getByRole('link', { name: 'Kill switch off' }).waitFor(WAIT);
      expect((await api<{ enabled: boolean }>('GET', '/v1/kill-switch')).enabled).toBe(false);
    },
    STEP_MS,
  );

  it(
    'starts an offboarding that the guard quarantines, and releases it from the quarantine queue',
    async () => {
      await open('#/start');
      await page.getByLabel('Email of the person leaving').fill(LEE);
      await page.getByLabel('Reason (for a dry run or a start)').fill('left the company');
      await page.getByRole('button', { name: 'Start offboarding' }).click();
      const confirm = page.getByRole('dialog', { name: `Offboard ${LEE}?` });
      await confirm.getByRole('button', { name: `Offboard ${LEE}` }).click();
      await page.getByRole('heading', { level: 1, name: new RegExp(LEE) }).waitFor(WAIT);
      await page.locator('h1').getByText('Quarantined').waitFor(WAIT);
      await page.getByRole('button', { name: 'Release' }).waitFor(WAIT);
      // Every lifecycle action asks first, naming the person; Escape goes back, changes nothing and
      // returns the focus to the button.
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      const cancel = page.getByRole('dialog', { name: `Cancel the offboarding of ${LEE}?` });
      await cancel.getByRole('button', { name: `Cancel offboarding of ${LEE}` }).waitFor(WAIT);
      await page.keyboard.press('Escape');
      await cancel.waitFor({ state: 'detached', timeout: 60_000 });
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
      const still = await api<{ items: { status: string }[] }>('GET', `/v1/offboardings?email=${LEE}`);
      expect(still.items.map((o) => o.status)).toEqual(['quarantined']);

      await open('#/safety');
      await page.locator('tr', { hasText: LEE }).waitFor(WAIT);
      await page.getByRole('button', { name: `Release ${LEE}` }).click();
      const release = page.getByRole('dialog', {
        name: `Release the offboarding of ${LEE} from quarantine?`,
      });
      await release.getByRole('button', { name: `Release offboarding of ${LEE}` }).click();
      await page.getByRole('status').getByText(`Released: ${LEE}`).waitFor(WAIT);
      await page.getByText('Nothing is quarantined.').waitFor(WAIT);
      await page.getByRole('link', { name: LEE }).first().waitFor({ state: 'detached', timeout: 60_000 });
      await rt.drain();
      await open('#/offboardings');
      await page.locator('tr', { hasText: LEE }).getByText('Completed', { exact: true }).waitFor(WAIT);
    },
    STEP_MS,
  );

  it(
    'charts time-to-revoke per vendor by day against the 4-hour target, with the slowest',
    async () => {
      await seedHistory();
      await open('#/time-to-revoke');
      await page.getByText(/revoked everything within the 4 h 00 min target/).waitFor(WAIT);
      expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(4);
      for (const title of [
        'All vendors (whole offboarding)',
        'Bentley iTwin',
        'MongoDB Atlas',
        'MongoDB Cloud Manager',
      ]) {
        const name = new RegExp(`^${title.replace(/[()]/g, '\\$&')}: p95 within the 4 h 00 min target`);
        await page.getByRole('img', { name }).waitFor(WAIT);
      }
      await page.getByRole('heading', { name: 'Slowest offboardings' }).waitFor(WAIT);
      expect(await page.locator('tr.over-target').count()).toBe(1);
      await page.getByText(/^63 of 64 offboardings \(98%\) revoked everything/).waitFor(WAIT);
      await screenshot(page, 'time-to-revoke-1280', 'console-time-to-revoke');
    },
    STEP_MS,
  );

  it(
    'looks up who holds what in the access inventory, with how fresh each tenant is',
    async () => {
      await rt.runSchedule('inventory-sync');
      await open('#/access');
      await page.getByRole('link', { name: 'Access', exact: true }).waitFor(WAIT);
      await page.getByLabel('Email', { exact: true }).fill(SAM);
      await page.getByRole('button', { name: 'Look up' }).click();
      // Sam stays: the inventory knows his grants at every vendor, each tenant synced.
      await page
        .getByRole('status')
        .getByText(/^sam\.stays@example\.com: \d+ grants known/)
        .waitFor(WAIT);
      const grants = page.getByRole('table', { name: 'Known grants' });
      for (const vendor of ['Bentley iTwin', 'MongoDB Atlas', 'MongoDB Cloud Manager']) {
        expect(await grants.getByRole('cell', { name: vendor, exact: true }).count(), vendor).toBeGreaterThan(
          0,
        );
      }
      const tenants = page.getByRole('table', { name: 'How fresh each tenant is' });
      expect(await tenants.locator('tbody tr').count()).toBe(rt.config.tenants.length);
      expect(await tenants.locator('time').count()).toBe(rt.config.tenants.length);
      expect(page.url()).toContain(`email=${encodeURIComponent(SAM)}`);
    },
    STEP_MS,
  );

  it('every page passes axe-core (no serious or critical violation) at 1280 and 390 pixels, without sideways scrolling', async () => {
    const pages: [string, string, string][] = [
      ['offboardings', '#/offboardings', 'Offboardings'],
      ['offboarding', `#/offboardings/${danaId}`, DANA],
      ['start', '#/start', 'Start an offboarding'],
      ['safety', '#/safety', 'Safety'],
      ['time-to-revoke', '#/time-to-revoke', 'Time to revoke'],
      ['access', `#/access?email=${encodeURIComponent(SAM)}`, 'Access'],
    ];
    const problems: string[] = [];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, hash, heading] of pages) {
        await open(hash);
        await page.getByRole('heading', { level: 1, name: new RegExp(heading) }).waitFor(WAIT);
        await page.getByText('Loading…').first().waitFor({ state: 'detached', timeout: 60_000 });
        if (name === 'offboarding') await page.getByText('Audit chain intact').waitFor(WAIT);
        if (name === 'time-to-revoke') await page.locator('figure.chart canvas').first().waitFor(WAIT);
        if (name === 'access') await page.getByRole('table', { name: 'Known grants' }).waitFor(WAIT);
        problems.push(...(await seriousViolations(page)).map((v) => `${name} at ${width}: ${v}`));
        if (await pageOverflowsX(page)) problems.push(`${name} at ${width}: the page scrolls sideways`);
        await screenshot(page, `${name}-${width}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(problems).toEqual([]);
  }, 300_000);

  it(
    'signs out: the token is gone from the tab',
    async () => {
      await open('#/offboardings');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('API token').waitFor(WAIT);
      expect(await page.evaluate(() => sessionStorage.getItem('leaver.session'))).toBeNull();
    },
    STEP_MS,
  );

  it('no page had a script error or a Content-Security-Policy refusal', () => {
    expect(pageErrors).toEqual([]);
  });
});

/**
 * Three weeks of finished offboardings written through the store (a run cannot be back-dated):
 * most within minutes, a few slow days, one day over the target.
 */
async function seedHistory(): Promise<void> {
  const now = Date.now();
  const MIN = 60_000;
  for (let day = 1; day <= 21; day++) {
    for (let k = 0; k < 3; k++) {
      const at = new Date(now - day * 86_400_000 + k * 3_600_000).toISOString();
      const base = (2 + ((day * 7 + k * 3) % 11)) * MIN * (day % 6 === 0 ? 12 : 1);
      const byVendor: Partial<Record<VendorId, number>> = {
        itwin: Math.round(base * 0.4),
        atlas: Math.round(base * 0.9),
        cloudmanager: Math.round(base * (day === 9 && k === 2 ? 60 : 0.6)),
      };
      const total = Math.max(...Object.values(byVendor));
      const id = `01HIST${String(day).padStart(3, '0')}${k}`;
      const o: Offboarding = {
        id,
        subject: { email: `past.leaver.${day}.${k}@example.com`, aliases: [] },
        origin: { type: 'hr', id: 'standard' },
        sourceEventId: `history-${id}`,
        status: 'completed',
        effectiveAt: at,
        receivedAt: at,
        startedAt: at,
        finishedAt: new Date(Date.parse(at) + total + 5000).toISOString(),
        lastRevokedAt: new Date(Date.parse(at) + total).toISOString(),
        timeToRevokeMs: total,
        timeToRevokeByVendorMs: byVendor,
        counts: { planned: 6, revoked: 6, alreadyAbsent: 0, skipped: 0, failed: 0 },
        attempts: 1,
        version: 1,
      };
      await rt.deps.store.create(o);
    }
  }
}
