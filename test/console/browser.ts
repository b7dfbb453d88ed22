/// <reference lib="dom" />
/**
 * Browser test support: Debian's Chromium (/usr/bin/chromium, never a downloaded browser) driven by
 * playwright-core, the console built into a temporary folder with Vite, axe-core run inside the
 * page, and screenshots.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM = process.env.LEAVER_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Every screenshot of a run (gitignored). */
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'console');
/** The screenshots the docs show, refreshed when LEAVER_UPDATE_SCREENSHOTS=1. */
export const DOC_IMAGES = join(ROOT, 'docs', 'images');

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is required for the console tests and ${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Builds the console as `npm run build` does, into a fresh folder; returns it and the size report. */
export async function buildConsole(): Promise<{
  dir: string;
  size: { totalGzipBytes: number; budgetGzipBytes: number };
}> {
  const dir = mkdtempSync(join(tmpdir(), 'leaver-console-'));
  await build({
    configFile: join(ROOT, 'console', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true },
  });
  return { dir, size: JSON.parse(readFileSync(join(dir, 'bundle-size.json'), 'utf8')) };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core on the page (WCAG 2.1 A and AA and best practices) and returns the serious and
 * critical violations. The source goes in through the DevTools protocol, not a script tag, so the
 * page's Content-Security-Policy stays as strict as it is.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations;
  })) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
}

export async function screenshot(page: Page, name: string, docName?: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  if (docName && process.env.LEAVER_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true });
    await page.screenshot({ path: join(DOC_IMAGES, `${docName}.png`), fullPage: true });
  }
}

/** Whether the page scrolls sideways (a table may, inside its own region; the page must not). */
export async function pageOverflowsX(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}
