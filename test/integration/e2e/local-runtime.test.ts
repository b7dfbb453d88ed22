/**
 * Smoke test of the local runtime (`npm start`) in process on random ports, driven over HTTP the
 * way a newcomer drives it: the demo script, the health route, bad requests, the schedules.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../lambdas/core/config.ts';
import { GRANT_KIND_NAMES, type Grant, grantKey } from '../../../lambdas/core/model.ts';
import { logger, makeCtx } from '../../../lambdas/handlers/observability.ts';
import { runDemo } from '../../../local/demo.ts';
import { type LocalRuntime, startLocal } from '../../../local/main.ts';
import { standardHook, terminationBody } from '../handlers/support.ts';
import { DANA, SAM } from './pipeline.ts';

let rt: LocalRuntime;
const PACKAGE_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** What the runtime's own connectors still find for `email` at every demo tenant. */
async function grantsAt(email: string): Promise<Grant[]> {
  const ctx = makeCtx({ deadline: Date.now() + 60_000 });
  const found: Grant[] = [];
  for (const tenant of rt.config.tenants) {
    found.push(...(await rt.deps.connectors[tenant.vendor]!.discover([{ email, aliases: [] }], tenant, ctx)));
  }
  return found;
}

/** A free loopback port (asked of the OS, then released). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

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
    // The demo leaver holds every kind of access a person can hold (the targeted-only
    // itwin_group_member is removed by the API, not found per person).
    const before = await grantsAt(DANA);
    const personKinds = GRANT_KIND_NAMES.filter((k) => k !== 'itwin_group_member');
    expect(new Set(before.map((g) => g.kind))).toEqual(new Set(personKinds));
    const samBefore = (await grantsAt(SAM)).map(grantKey).sort();
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
    // As the README's demo section says: 17 revoked, her sole ownership of an iTwin skipped as last_owner.
    const revoked = result.actions.filter((a) => a.outcome === 'revoked');
    const skipped = result.actions.filter((a) => a.outcome === 'skipped');
    expect(revoked).toHaveLength(17);
    expect(readFileSync('README.md', 'utf8')).toContain(`**${revoked.length} grants revoked**`);
    expect(skipped.map((a) => [a.kind, a.skipReason])).toEqual([['itwin_owner_member', 'last_owner']]);
    expect(result.actions.filter((a) => a.outcome === 'failed')).toEqual([]);
    // Every vendor really changed: all that is left of her is the skipped ownership.
    expect((await grantsAt(DANA)).map((g) => g.kind)).toEqual(['itwin_owner_member']);
    expect((await grantsAt(SAM)).map(grantKey).sort()).toEqual(samBefore);
    expect(printed).toContain(`Offboarding ${result.offboardingId}: completed`);
    expect(printed).toMatch(
      /^cloudmanager, tenant cloudmanager-demo\n {2}GRANT.*\n {2}org_invitation\s+.*revoked$/m,
    );
    expect(printed).toMatch(/^ {2}owner_member\s+iTwin \S+\s+skipped\s+last_owner$/m);
    // The demo's table fits a 100-column terminal.
    const tables = printed.slice(printed.indexOf('\nitwin, tenant')).split('\n');
    expect(tables.length).toBeGreaterThan(18);
    for (const line of tables) expect(line.length, line).toBeLessThanOrEqual(100);
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

  it('serves GET /v1/health, 404 problems for unknown routes, 401 for a bad signature, 413 for a huge body', async () => {
    const health = await fetch(`${rt.url}/v1/health`);
    expect(health.status).toBe(200);

    const unknown = await fetch(`${rt.url}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(((await unknown.json()) as { code: string }).code).toBe('not_found');

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

describe('npm start (local/main.ts as a process)', () => {
  it('listens on PORT, prints where and what to try next, answers, and stops cleanly on SIGINT', async () => {
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        SANDBOX_PORT: String(sandboxPort),
        POWERTOOLS_LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      out += t;
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('Stop with Ctrl+C.') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toContain(`Leaver local runtime listening on http://127.0.0.1:${port}`);
      expect(out).toContain(`Sandbox        http://127.0.0.1:${sandboxPort}`);
      // The web console and how to sign in (the demo secrets file's token), or how to build it.
      expect(out).toMatch(
        new RegExp(
          `Console {8}http://127\\.0\\.0\\.1:${port}/  \\((sign in with the API token leaver-local-demo-token|not built: run npm run build)\\)`,
        ),
      );
      expect(out).toContain('Try next (in another terminal):');
      expect(out).toContain('npm run demo -- dana.leaver@example.com');
      const health = await fetch(`http://127.0.0.1:${port}/v1/health`);
      expect(health.status).toBe(200);
      // The version is the package's, not a copy kept by hand.
      expect(((await health.json()) as { version: string }).version).toBe(PACKAGE_VERSION);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('SIGINT: stopping');
  }, 90_000);
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
