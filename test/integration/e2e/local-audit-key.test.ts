/**
 * The local runtime's audit anchoring with LEAVER_DATA_DIR: a signing key pair made on first start
 * beside the data (the private key readable by its owner only), digests written to a folder there,
 * and both found again after a restart (the same key, the digest chain continued).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '../../../lambdas/adapters/key-pair-digest-signer.ts';
import { verifyDeps } from '../../../lambdas/core/anchor.ts';
import { verifyAudit } from '../../../lambdas/core/audit-verify.ts';
import { startLocal } from '../../../local/main.ts';

const start = (dataDir: string) =>
  startLocal({
    port: 0,
    sandbox: false,
    schedules: false,
    banner: false,
    secretsFile: 'local/secrets.json',
    config: {},
    dataDir,
  });

describe('local runtime: audit key and digests beside the data', () => {
  it('makes the key pair once, writes digests to the folder, and keeps both across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'leaver-data-'));
    const audit = join(dataDir, 'audit');
    let rt = await start(dataDir);
    let publicPem: string;
    try {
      expect(statSync(join(audit, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
      publicPem = readFileSync(join(audit, PUBLIC_KEY_FILE), 'utf8');
      expect(await rt.deps.anchor!.signer.publicKeyPem()).toBe(publicPem);
      await rt.deps.audit.append({
        streamId: 'global',
        event: 'kill_switch',
        at: new Date().toISOString(),
        actor: 'local',
      });
      await rt.runSchedule('digest');
      expect(readdirSync(join(audit, 'digests'))).toHaveLength(1);
    } finally {
      await rt.close();
    }
    rt = await start(dataDir);
    try {
      expect(await rt.deps.anchor!.signer.publicKeyPem()).toBe(publicPem);
      await rt.deps.audit.append({
        streamId: 'global',
        event: 'kill_switch',
        at: new Date().toISOString(),
        actor: 'local',
      });
      await rt.runSchedule('digest');
      expect(readdirSync(join(audit, 'digests')).sort()).toEqual([
        expect.stringMatching(/^000000000001-/),
        expect.stringMatching(/^000000000002-/),
      ]);
      const report = await verifyAudit(await verifyDeps(rt.deps), { kind: 'all' });
      expect(report).toMatchObject({ valid: true, anchored: true, problems: [] });
    } finally {
      await rt.close();
    }
  });
});
