/**
 * `leaver access <email>` against the local runtime: the known grants as a table with their
 * freshness, --json the API's answer, and a malformed address is bad usage (exit 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ago } from '../../cli/access-format.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { startRuntime } from '../api/helpers.ts';
import { onlyMongoTenants, runCli } from './helpers.ts';

let rt: LocalRuntime;
let env: Record<string, string>;
const DANA = 'dana.leaver@example.com';

beforeAll(async () => {
  rt = await startRuntime(onlyMongoTenants);
  env = { LEAVER_URL: rt.url };
  await rt.runSchedule('inventory-sync');
});
afterAll(async () => {
  await rt?.close();
});

describe('leaver access', () => {
  it('prints every known grant with vendor, tenant and how fresh, and each tenant last complete sync', async () => {
    const r = await runCli(['access', DANA], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dana\.leaver@example\.com: \d+ grant\(s\) known/);
    expect(r.stdout).toMatch(/VENDOR +TENANT +KIND +SCOPE +LISTED/);
    expect(r.stdout).toContain('atlas_org_invitation');
    expect(r.stdout).toContain('cloudmanager_org_user');
    expect(r.stdout).toMatch(/\d+ s ago/);
    expect(r.stdout).toContain('LAST COMPLETE SYNC');
    expect(r.stdout).not.toContain('never: not covered yet');
  });

  it('--json is the API answer', async () => {
    const r = await runCli(['access', DANA, '--json'], env);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.email).toBe(DANA);
    expect(body.counts.grants).toBe(body.grants.length);
    expect(body.grants.length).toBeGreaterThan(0);
  });

  it('a malformed address is bad usage (the server says 400): exit 2', async () => {
    const r = await runCli(['access', 'not-an-email'], env);
    expect(r.code).toBe(2);
    expect((await runCli(['access'], env)).code).toBe(2);
  });

  it('says how old a time is in words', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    expect(ago('2026-05-01T11:59:30Z', now)).toBe('30 s ago');
    expect(ago('2026-05-01T11:00:00Z', now)).toBe('60 min ago');
    expect(ago('2026-04-30T06:00:00Z', now)).toBe('30 h ago');
    expect(ago('2026-04-29T12:00:00Z', now)).toBe('2 d ago');
    expect(ago(undefined, now)).toBe('never');
  });
});
