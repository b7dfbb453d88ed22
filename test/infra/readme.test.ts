/**
 * What the documentation tells operators about the stack matches the stack: the vendor rate-limit
 * arithmetic (docs/deploying.md), the routes that need no credentials (docs/api-and-cli.md), and
 * audit exports the API accepts (every document).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_API_VENDOR_CONCURRENCY,
  DEFAULT_WORKER_MAX_CONCURRENCY,
} from '../../infra/leaver-construct.ts';
import { PUBLIC_API_ROUTES } from '../../lambdas/handlers/vendor-routes.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(fileURLToPath(new URL(path, ROOT)), 'utf8');

/** The README and every document under docs/. */
const DOCS: Record<string, string> = Object.fromEntries([
  ['README.md', read('README.md')],
  ...readdirSync(fileURLToPath(new URL('docs/', ROOT)))
    .filter((f) => f.endsWith('.md'))
    .map((f) => [`docs/${f}`, read(`docs/${f}`)]),
]);

/** Line breaks in prose are layout, not meaning: compare with runs of whitespace as one space. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('docs/deploying.md, vendor rate limits', () => {
  const deploy = flat(read('docs/deploying.md'));

  it('says to configure the vendor limit itself (Leaver splits it), never to divide it', () => {
    expect(deploy).not.toMatch(/divided by `workerMaxConcurrency`/);
    expect(deploy).not.toMatch(/divide[sd]?\b[^.]*rateLimit/i);
    expect(deploy).toContain("Set each tenant's `rateLimit` to the vendor's own limit");
  });

  it('explains the shared rate budget (no fixed split) and the caps of the vendor callers', () => {
    expect(deploy).toContain('one budget per tenant and rate bucket');
    expect(deploy).not.toContain('LEAVER_RATE_SHARE');
    expect(deploy).toContain(`\`apiVendorConcurrency\` (default ${DEFAULT_API_VENDOR_CONCURRENCY})`);
    expect(deploy).toContain(`\`workerMaxConcurrency\` (default ${DEFAULT_WORKER_MAX_CONCURRENCY})`);
  });
});

describe('audit exports and public routes in the documentation', () => {
  it('every /v1/audit example gives email or from (the API answers 400 otherwise), within 400 days', () => {
    const examples = Object.entries(DOCS).flatMap(([file, text]) =>
      [...text.matchAll(/\/v1\/audit\?([^`"\s]+)/g)].map((m) => [file, m[1]!] as const),
    );
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [file, q] of examples) {
      const params = new URLSearchParams(q);
      if (params.has('email')) continue;
      const from = params.get('from');
      expect(from, `${file}: ${q}`).toBeTruthy();
      if (!/^\d{4}-\d{2}-\d{2}/.test(from!)) continue; // e.g. $(date -u +%F)
      const to = params.get('to');
      const days = ((to ? Date.parse(to) : Date.now()) - Date.parse(from!)) / 86_400_000 + 1;
      expect(days, `${file}: ${q}`).toBeGreaterThan(0);
      expect(days, `${file}: ${q}`).toBeLessThanOrEqual(400); // DynamoAuditLog's widest window without an email
    }
    // the teardown export in particular
    expect(read('docs/operations.md')).toMatch(/GET \/v1\/audit\?from=[^`]*&to=[^`]*&format=csv/);
  });

  it('names exactly the public /v1 routes of the stack as needing no credentials', () => {
    const sentence = read('docs/api-and-cli.md')
      .split('\n- ')
      .find((b) => b.includes('need no credentials'));
    expect(sentence).toBeDefined();
    for (const r of PUBLIC_API_ROUTES) expect(sentence).toContain(`\`${r.method} ${r.path}\``);
    expect(sentence).toContain('in AWS too');
  });
});
