/**
 * Exit code 1 when an offboarding ends with failures: a Cloud Manager tenant whose credentials the
 * vendor refuses makes the run end `completed_with_failures`; `offboard --wait` and `status` say so,
 * and name the tenant that could not be read.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocal } from '../../local/main.ts';
import { runCli } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  const secrets = JSON.parse(readFileSync('local/secrets.json', 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  secrets['leaver/cloudmanager-demo'] = { publicKey: 'cmdemopub', privateKey: 'not-the-key' };
  const dir = mkdtempSync(join(tmpdir(), 'leaver-cli-fail-'));
  const secretsFile = join(dir, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify(secrets));
  const config = JSON.parse(readFileSync('local/demo-config.json', 'utf8')) as {
    tenants: { vendor: string }[];
  };
  config.tenants = config.tenants.filter((t) => t.vendor === 'cloudmanager');
  rt = await startLocal({ port: 0, sandboxPort: 0, schedules: false, banner: false, secretsFile, config });
});
afterAll(async () => {
  await rt?.close();
});

describe('failed actions: exit 1', () => {
  it('offboard --wait and status exit 1 when the offboarding ends with failures', async () => {
    const env = { LEAVER_URL: rt.url, LEAVER_TOKEN: 'leaver-local-demo-token' };
    const r = await runCli(
      ['offboard', 'dana.leaver@example.com', '--reason', 'left', '--wait', '--interval', '0.2'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/status\s+completed_with_failures/);
    // No action failed: the tenant that could not be read is why, and the status says which.
    expect(r.stdout).toMatch(/unreadable\s+cloudmanager-demo \(cloudmanager: vendor_auth\)/);
    const id = /Offboarding (\S+)/.exec(r.stdout)![1]!;
    const s = await runCli(['status', id, '--json'], env);
    expect(s.code).toBe(1);
    expect(JSON.parse(s.stdout).status).toBe('completed_with_failures');
    expect(JSON.parse(s.stdout).failedTenants).toEqual([
      { vendor: 'cloudmanager', tenantId: 'cloudmanager-demo', errorCode: 'vendor_auth' },
    ]);
    // The preview says the tenant could not be searched, and exits 1 too.
    const p = await runCli(['preview', 'dana.leaver@example.com', '--json'], env);
    expect(p.code).toBe(1);
    expect(JSON.parse(p.stdout).failures).toEqual([
      { vendor: 'cloudmanager', tenantId: 'cloudmanager-demo', errorCode: 'vendor_auth' },
    ]);
  });
});
