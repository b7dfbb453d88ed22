/**
 * What the README tells operators about the stack matches the stack: the vendor rate-limit
 * arithmetic, the routes that need no credentials, and an audit export that the API accepts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_API_VENDOR_CONCURRENCY,
  DEFAULT_WORKER_MAX_CONCURRENCY,
} from '../../infra/leaver-construct.ts';
import { PUBLIC_API_ROUTES } from '../../lambdas/handlers/vendor-routes.ts';

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The text of a `## ` section, up to the next one. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

describe('README, Deploying to AWS', () => {
  const deploy = section('Deploying to AWS');

  it('says to configure the vendor limit itself (Leaver splits it), never to divide it', () => {
    expect(deploy).not.toMatch(/divided by `workerMaxConcurrency`/);
    expect(deploy).not.toMatch(/divide[sd]?\b[^.]*rateLimit/i);
    expect(deploy).toContain("Set each tenant's `rateLimit` to the vendor's own limit");
  });

  it('explains the shared rate budget (no fixed split) and the caps of the vendor callers', () => {
    expect(deploy).toContain('one budget per tenant and rate bucket');
    expect(deploy).not.toContain('LEAVER_RATE_SHARE');
    expect(deploy).toContain(`\`apiVendorConcurrency\` (default ${DEFAULT_API_VENDOR_CONCURRENCY})`);
    expect(deploy).toContain(`\`workerMaxConcurrency\`\n(default ${DEFAULT_WORKER_MAX_CONCURRENCY})`);
  });
});

describe('README, audit exports and public routes', () => {
  it('every /v1/audit example gives email or from (the API answers 400 otherwise), within 400 days', () => {
    const examples = [...README.matchAll(/\/v1\/audit\?([^`"\s]+)/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const q of examples) {
      const params = new URLSearchParams(q);
      if (params.has('email')) continue;
      const from = params.get('from');
      expect(from, q).toBeTruthy();
      if (!/^\d{4}-\d{2}-\d{2}/.test(from!)) continue; // e.g. $(date -u +%F)
      const to = params.get('to');
      const days = ((to ? Date.parse(to) : Date.now()) - Date.parse(from!)) / 86_400_000 + 1;
      expect(days, q).toBeGreaterThan(0);
      expect(days, q).toBeLessThanOrEqual(400); // DynamoAuditLog's widest window without an email
    }
    // the teardown export in particular
    expect(section('Deploying to AWS')).toMatch(/GET \/v1\/audit\?from=[^`]*&to=[^`]*&format=csv/);
  });

  it('names exactly the public /v1 routes of the stack as needing no credentials', () => {
    const sentence = section('Management API and the `leaver` CLI')
      .split('\n- ')
      .find((b) => b.includes('need no credentials'));
    expect(sentence).toBeDefined();
    for (const r of PUBLIC_API_ROUTES) expect(sentence).toContain(`\`${r.method} ${r.path}\``);
    expect(sentence).toContain('in AWS too');
  });
});
