/**
 * Smoke test of the local runtime (`npm start`) in process on random ports, driven over HTTP the
 * way a newcomer drives it: the demo script, the health route, bad requests, the schedules.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../lambdas/core/config.ts';
import { logger } from '../../../lambdas/handlers/observability.ts';
import { runDemo } from '../../../local/demo.ts';
import { type LocalRuntime, startLocal } from '../../../local/main.ts';
import { standardHook, terminationBody } from '../handlers/support.ts';
import { DANA, SAM } from './pipeline.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  logger.setLogLevel('WARN');
  rt = await startLocal({ port: 0, sandboxPort: 0, schedules: false, banner: false });
});

afterAll(async () => {
  await rt?.close();
});

describe('the local runtime', () => {
  it('points the demo configuration at the sandbox it started', () => {
    expect(rt.sandbox).toBeDefined();
    for (const t of rt.config.tenants) expect(t.baseUrl.startsWith(rt.sandbox!.url)).toBe(true);
    expect(rt.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('npm run demo: a signed termination ends completed with real revocations and a table of actions', async () => {
    let printed = '';
    const result = await runDemo({
      email: DANA,
      baseUrl: rt.url,
      config: rt.config,
      secretsFile: 'local/secrets.json',
      pollMs: 100,
      write: (t) => {
        printed += t;
      },
    });
    expect(result.status).toBe('completed');
    expect(result.exitCode).toBe(0);
    expect(result.actions.filter((a) => a.outcome === 'revoked').length).toBeGreaterThan(10);
    expect(result.actions.some((a) => a.outcome === 'skipped' && a.skipReason === 'last_owner')).toBe(true);
    expect(printed).toContain(`Offboarding ${result.offboardingId}: completed`);
    expect(printed).toMatch(/cloudmanager\s+cloudmanager-demo\s+cloudmanager_org_invitation\s+.*revoked/);
    // The sandbox really changed: no pending Cloud Manager invitation of the leaver is left.
    const cm = rt.sandbox!.control.state('cloudmanager') as {
      orgInvitations: Array<{ username: string; status: string }>;
    };
    expect(cm.orgInvitations.filter((i) => i.username === DANA && i.status === 'PENDING')).toEqual([]);
    // Someone who is not leaving is untouched.
    const cmUsers = (rt.sandbox!.control.state('cloudmanager') as { users: Array<{ username: string }> })
      .users;
    expect(cmUsers.some((u) => u.username === SAM)).toBe(true);
  });

  it('the demo exits 1 (not 0) when the webhook is refused', async () => {
    const wrong = structuredClone(rt.config);
    wrong.sources = wrong.sources.map((s) =>
      s.type === 'standard' ? { ...s, secretName: 'leaver/hooks/okta' } : s,
    );
    await expect(
      runDemo({
        email: DANA,
        baseUrl: rt.url,
        config: wrong,
        secretsFile: 'local/secrets.json',
        write: () => {},
      }),
    ).rejects.toThrow(/has no "secret"/);
  });

  it('serves GET /v1/health, 404 JSON for unknown routes, 401 for a bad signature, 413 for a huge body', async () => {
    const health = await fetch(`${rt.url}/v1/health`);
    expect(health.status).toBe(200);

    const unknown = await fetch(`${rt.url}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/json');
    expect(((await unknown.json()) as { error: string }).error).toBe('not_found');

    const req = standardHook(terminationBody('smoke.leaver@example.com'), {
      secret: 'whsec_d3Jvbmcgc2VjcmV0IGZvciB0ZXN0cw==',
    });
    const bad = await fetch(`${rt.url}/hooks/standard`, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
    });
    expect(bad.status).toBe(401);

    const huge = await fetch(`${rt.url}/hooks/standard`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);

    const unknownSource = await fetch(`${rt.url}/hooks/workday`, { method: 'POST', body: '{}' });
    expect(unknownSource.status).toBe(404);

    const api = await fetch(`${rt.url}/v1/offboardings/off_00000000000000000000000000`);
    expect(api.status).toBe(401); // the API wants the local bearer token
  });

  it('the due sweep finds a due offboarding nobody enqueued and the in-process worker runs it', async () => {
    const now = new Date().toISOString();
    const id = rt.deps.ids.offboardingId();
    await rt.deps.store.create({
      id,
      subject: { email: 'alex.morgan@example.com', aliases: [] },
      origin: { type: 'hr', id: 'standard' },
      sourceEventId: `lost-${id}`,
      status: 'scheduled',
      effectiveAt: now,
      receivedAt: now,
      counts: { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
      attempts: 0,
      version: 0,
    });
    await rt.runSchedule('due-sweep');
    await rt.drain();
    const off = await rt.deps.store.get(id);
    expect(off?.status).toBe('completed');
    expect(off?.counts.revoked).toBeGreaterThan(0);
  });

  it('reconciliation catches a re-invitation of the demo leaver', async () => {
    rt.sandbox!.control.vendorAction('cloudmanager', 'add-org-invitation', {
      orgId: '5f1a0000000000000000c001',
      username: DANA,
      roles: ['ORG_MEMBER'],
    });
    const pending = () =>
      (
        rt.sandbox!.control.state('cloudmanager') as {
          orgInvitations: Array<{ username: string; status: string }>;
        }
      ).orgInvitations.filter((i) => i.username === DANA && i.status === 'PENDING');
    expect(pending()).toHaveLength(1);
    await rt.runSchedule('reconcile');
    await rt.drain();
    expect(pending()).toEqual([]);
    await rt.runSchedule('retry-sweep'); // nothing to retry: must simply not fail
  });
});

describe('start-up problems', () => {
  it('runs without the embedded sandbox (LEAVER_SANDBOX=off)', async () => {
    const bare = await startLocal({ port: 0, sandbox: false, schedules: false });
    try {
      expect(bare.sandbox).toBeUndefined();
      expect((await fetch(`${bare.url}/v1/health`)).status).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('an invalid configuration stops start-up naming the field and the rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaver-local-'));
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({ sources: [{ id: 'Standard!', type: 'standard', secretName: 's' }] }),
    );
    await expect(startLocal({ port: 0, sandbox: false, configPath: path })).rejects.toBeInstanceOf(
      ConfigInvalidError,
    );

    const run = spawnSync(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      env: { ...process.env, LEAVER_CONFIG: path, LEAVER_SANDBOX: 'off', PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('sources[0].id: must be 1-63 lower-case letters, digits or dashes');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
