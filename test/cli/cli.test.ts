/**
 * The `leaver` CLI against the local runtime: every command, human and --json output, and the exit
 * codes (0 done, 1 failed actions or server error, 2 bad usage). Commands run in process through
 * `main`; the bin itself is run as a child process once per exit code.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../lambdas/core/audit-chain.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { startRuntime } from '../api/helpers.ts';
import { onlyMongoTenants, runCli, spawnCli } from './helpers.ts';

let rt: LocalRuntime;
let env: Record<string, string>;
const DANA = 'dana.leaver@example.com';
const CM_ORG = '5f1a0000000000000000c001';

beforeAll(async () => {
  rt = await startRuntime(onlyMongoTenants);
  env = { LEAVER_URL: rt.url };
});
afterAll(async () => {
  await rt?.close();
});

const cli = (...args: string[]) => runCli(args, env);

describe('the leaver bin (cli/bin.js as a child process)', () => {
  it('exits 0 for help, 2 for bad usage, 1 for a server error, and prints the API answer', async () => {
    const help = await spawnCli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: leaver <command>');
    const bad = await spawnCli(['bogus'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Usage: leaver <command>');
    const unknown = await spawnCli(['status', 'off_00000000000000000000000000'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not_found');
    const health = await spawnCli(['kill-switch', 'status', '--json'], env);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toHaveProperty('enabled', false);
  }, 120_000);
});

describe('usage (exit 2)', () => {
  it('no command, unknown command, unknown flag, missing argument: usage on stderr, exit 2', async () => {
    for (const args of [
      [],
      ['bogus'],
      ['status'],
      ['status', '--nope', 'x'],
      ['offboard', DANA],
      ['offboard'],
      ['audit'],
      ['audit', 'import'],
      ['kill-switch', 'maybe', '--reason', 'x'],
      ['kill-switch', 'on'],
      [
        'revoke',
        '--vendor',
        'cloudmanager',
        '--tenant',
        't',
        '--kind',
        'k',
        '--id',
        'nokey',
        '--reason',
        'x',
      ],
      ['list', '--limit', 'ten'],
      ['status', 'a', 'b'],
      ['audit', 'export', '--format', 'xml', '--email', DANA],
      ['audit', 'export'],
      ['--sigv4', 'status', 'x'],
    ]) {
      const r = await runCli(args, { ...env, AWS_REGION: '', AWS_DEFAULT_REGION: '' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('Usage: leaver');
      expect(r.stdout).toBe('');
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: leaver <command>');
    expect(r.stdout).toContain('audit export');
    const sub = await cli('offboard', '--help');
    expect(sub.code).toBe(0);
  });

  it('a 400 from the server (bad email, malformed grant id) is bad usage: exit 2 with the reason', async () => {
    const r = await cli('offboard', 'not-an-email', '--reason', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid_request');
    expect(r.stderr).toContain('email');
    const bad = await cli(
      'revoke',
      '--vendor',
      'cloudmanager',
      '--tenant',
      'cloudmanager-demo',
      '--kind',
      'cloudmanager_org_invitation',
      '--id',
      `orgId=${CM_ORG}`,
      '--id',
      'invitationId=xyz',
      '--reason',
      'x',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid_vendor_id');
  });
});

describe('commands', () => {
  let id: string;

  it('preview: the plan as a table, and as JSON', async () => {
    const r = await cli('preview', DANA);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Plan for dana\.leaver@example\.com: \d+ to revoke/);
    expect(r.stdout).toContain('cloudmanager_org_invitation');
    const j = await cli('preview', DANA, '--json');
    expect(j.code).toBe(0);
    const plan = JSON.parse(j.stdout);
    expect(plan.email).toBe(DANA);
    expect(plan.items.length).toBe(plan.counts.revoke + plan.counts.skip);
  });

  it('offboard --dry-run: the plan, nothing created', async () => {
    const r = await cli('offboard', DANA, '--reason', 'what if', '--dry-run', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items.length).toBeGreaterThan(0);
    expect((await rt.deps.store.query({ email: DANA })).items).toEqual([]);
  });

  it('offboard --wait: progress on stderr, the finished offboarding on stdout, exit 0', async () => {
    const r = await cli('offboard', DANA, '--reason', 'left the company', '--wait', '--interval', '0.2');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('waiting');
    expect(r.stderr).toContain('completed');
    expect(r.stdout).toMatch(/status\s+completed\n/);
    expect(r.stdout).toContain('cloudmanager: ');
    expect(r.stdout).toContain('revoked');
    id = /Offboarding (\S+)/.exec(r.stdout)![1]!;
  });

  it('status: human and --json; exit 0 when nothing failed', async () => {
    const r = await cli('status', id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Offboarding ${id}`);
    expect(r.stdout).toContain('time-to-revoke');
    const j = await cli('status', id, '--json');
    const o = JSON.parse(j.stdout);
    expect(o).toMatchObject({ id, status: 'completed', email: DANA });
    expect(o.vendors.map((v: { vendor: string }) => v.vendor)).toEqual(['atlas', 'cloudmanager']);
  });

  it('status of an unknown id: exit 1 with the server reason', async () => {
    const r = await cli('status', 'off_unknown');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not_found');
    const j = await cli('status', 'off_unknown', '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('offboard --json without --wait: the accepted offboarding', async () => {
    const r = await cli(
      'offboard',
      'json-later@example.com',
      '--reason',
      'later',
      '--at',
      '2099-06-01',
      '--json',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: 'scheduled',
      effectiveAt: '2099-06-01T00:00:00.000Z',
    });
    const w = await cli(
      'offboard',
      'json-later2@example.com',
      '--reason',
      'later',
      '--at',
      '2099-06-01',
      '--wait',
    );
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('scheduled for 2099-06-01');
  });

  it('offboard without --wait names the command that follows it, as a newcomer types it', async () => {
    const r = await cli('offboard', 'follow.me@example.com', '--reason', 'left');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accepted \(\w+\)\. Follow it with: npx leaver status off_\S+/);
  });

  it('list: a table, --json, paging with --all', async () => {
    for (let i = 0; i < 3; i++)
      await cli('offboard', 'list-me@example.com', '--reason', `n${i}`, '--at', '2099-01-01');
    const r = await cli('list', '--email', 'list-me@example.com');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+EMAIL\s+STATUS/);
    expect(r.stdout.match(/list-me@example\.com/g)).toHaveLength(3);
    const page = await cli('list', '--email', 'list-me@example.com', '--limit', '2', '--json');
    const p = JSON.parse(page.stdout);
    expect(p.items).toHaveLength(2);
    expect(p.next).toContain('cursor=');
    const all = await cli('list', '--email', 'list-me@example.com', '--limit', '2', '--all', '--json');
    expect(JSON.parse(all.stdout).items).toHaveLength(3);
    const none = await cli('list', '--email', 'nobody@example.com');
    expect(none.stdout).toContain('No offboardings.');
  });

  it('cancel: exit 0, then 1 on a second cancel (conflict); retry and release of the wrong state: 1', async () => {
    const o = JSON.parse(
      (await cli('offboard', 'cancel-me@example.com', '--reason', 'x', '--at', '2099-01-01', '--json'))
        .stdout,
    );
    const c = await cli('cancel', o.id, '--reason', 'stays');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('is now cancelled');
    const again = await cli('cancel', o.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('conflict');
    expect((await cli('retry', o.id)).code).toBe(1);
    expect((await cli('release', o.id)).code).toBe(1);
  });

  it('release and retry: exit 0 in the right state', async () => {
    const o = JSON.parse(
      (await cli('offboard', 'release-me@example.com', '--reason', 'x', '--at', '2099-01-01', '--json'))
        .stdout,
    );
    await rt.deps.store.transition(o.id, ['scheduled'], 'quarantined');
    const r = await cli('release', o.id, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('scheduled');
    await rt.deps.store.transition(o.id, ['scheduled'], 'running');
    await rt.deps.store.transition(o.id, ['running'], 'completed_with_failures');
    const failed = await cli('status', o.id);
    expect(failed.code).toBe(1);
    const t = await cli('retry', o.id);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('retry: offboarding');
  });

  it('revoke: a targeted revocation, then already absent', async () => {
    const plan = JSON.parse((await cli('preview', 'sam.stays@example.com', '--json')).stdout);
    const item = plan.items.find((i: { kind: string }) => i.kind === 'cloudmanager_team_user');
    const args = [
      'revoke',
      '--vendor',
      item.vendor,
      '--tenant',
      item.tenantId,
      '--kind',
      item.kind,
      ...Object.entries(item.ids as Record<string, string>).flatMap(([k, v]) => ['--id', `${k}=${v}`]),
      '--email',
      'sam.stays@example.com',
      '--reason',
      'removed from team by ticket',
    ];
    const r = await cli(...args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': revoked');
    const j = await cli(...args, '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ outcome: 'already_absent', grantKey: item.grantKey });
  });

  it('audit export: follows the pages to a file (csv header once), or to stdout (jsonl, ocsf)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaver-cli-'));
    const out = join(dir, 'audit.csv');
    const r = await cli('audit', 'export', '--email', DANA, '--format', 'csv', '--limit', '5', '--out', out);
    expect(r.code).toBe(0);
    const m = /Exported (\d+) records \((\d+) pages\)/.exec(r.stdout)!;
    expect(Number(m[2])).toBeGreaterThan(1);
    const lines = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(lines.filter((l) => l.startsWith('streamId,'))).toHaveLength(1);
    expect(lines.length - 1).toBe(Number(m[1]));

    const jsonl = await cli('audit', 'export', '--email', DANA, '--limit', '7');
    const records = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.length).toBe(Number(m[1]));
    const stream = records.filter((x) => x.streamId === id).sort((a, b) => a.seq - b.seq);
    expect(verifyChain(stream).ok).toBe(true);

    const ocsf = await cli('audit', 'export', '--email', DANA, '--format', 'ocsf');
    const events = ocsf.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.every((e) => e.class_uid === 3001 || e.class_uid === 3005)).toBe(true);

    const meta = await cli('audit', 'export', '--email', DANA, '--out', join(dir, 'a.jsonl'), '--json');
    expect(JSON.parse(meta.stdout)).toMatchObject({ format: 'jsonl', records: Number(m[1]), pages: 1 });
    // One page is "1 page", not "1 pages".
    const single = await cli('audit', 'export', '--email', DANA, '--out', join(dir, 'one.csv'));
    expect(single.stdout).toContain(`Exported ${m[1]} records (1 page) to`);
  });

  it('audit verify: intact chain, exit 0; unknown id, exit 1', async () => {
    const r = await cli('audit', 'verify', id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('intact');
    const j = JSON.parse((await cli('audit', 'verify', id, '--json')).stdout);
    expect(j).toMatchObject({ valid: true, server: { valid: true }, local: { valid: true } });
    expect((await cli('audit', 'verify', 'off_unknown')).code).toBe(1);
  });

  it('kill-switch on / status / off', async () => {
    const on = await cli('kill-switch', 'on', '--reason', 'incident');
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('Kill switch ON');
    expect(on.stdout).toContain('by local');
    expect((await cli('kill-switch', 'status')).stdout).toContain('ON');
    const off = await cli('kill-switch', 'off', '--reason', 'resolved', '--json');
    expect(JSON.parse(off.stdout)).toMatchObject({ enabled: false });
  });
});

describe('connection and auth', () => {
  it('reads the token from local/secrets.json by default, and refuses a wrong one (exit 1)', async () => {
    expect((await runCli(['kill-switch', 'status'], { LEAVER_URL: rt.url })).code).toBe(0);
    const bad = await runCli(['kill-switch', 'status'], {
      LEAVER_URL: rt.url,
      LEAVER_TOKEN: 'wrong-token-123',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unauthorized');
    const flag = await runCli(['--url', rt.url, '--token', 'wrong-token-123', 'kill-switch', 'status']);
    expect(flag.code).toBe(1);
    // A secrets file without the token: no Authorization header at all.
    const none = await runCli(['--url', rt.url, 'kill-switch', 'status'], {
      LEAVER_SECRETS_FILE: '/nonexistent.json',
    });
    expect(none.code).toBe(1);
  });

  it('an unreachable server: exit 1 with a clear message', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as { port: number }).port;
    await new Promise((ok) => closed.close(ok));
    const r = await runCli(['status', 'x'], { LEAVER_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('--sigv4 signs with credentials from the standard chain for execute-api', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ enabled: false, configured: false }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      // The standard chain reads the process environment: run the bin.
      const r = await spawnCli(
        ['--url', `http://127.0.0.1:${port}`, '--sigv4', '--region', 'eu-west-1', 'kill-switch', 'status'],
        {
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
          AWS_SESSION_TOKEN: 'session-token',
          AWS_PROFILE: '',
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Kill switch off');
      const h = seen[0]!;
      expect(h.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(h['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(h['x-amz-security-token']).toBe('session-token');
    } finally {
      server.close();
    }
  });
});

describe('stats and the newest-first list (the routes the web console uses)', () => {
  it('stats prints counts by status and time-to-revoke against the target; --json gives both answers', async () => {
    const started = await cli('offboard', 'stats.cli@example.com', '--reason', 'left', '--wait', '--json');
    expect(started.code, started.stderr).toBe(0);
    const human = await cli('stats');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Offboardings: \d+ \(.*\d+ completed/m);
    expect(human.stdout, human.stdout).toMatch(/: \d+ of \d+ within the 240\.0 min target/);
    const json = await cli('stats', '--json');
    const body = JSON.parse(json.stdout);
    expect(body.counts.total).toBeGreaterThanOrEqual(1);
    expect(body.timeToRevoke.targetMs).toBe(4 * 3_600_000);
    expect((await cli('stats', '--from', 'yesterday')).code).toBe(2);
  });

  it('list --order desc lists newest first', async () => {
    const first = JSON.parse(
      (await cli('offboard', 'order.one@example.com', '--reason', 'left', '--json')).stdout,
    );
    const second = JSON.parse(
      (await cli('offboard', 'order.two@example.com', '--reason', 'left', '--json')).stdout,
    );
    await rt.drain();
    // Up to now: offboardings scheduled for later by other tests are newer by effective time.
    const r = await cli(
      'list',
      '--order',
      'desc',
      '--to',
      new Date().toISOString(),
      '--limit',
      '2',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).items.map((o: { id: string }) => o.id)).toEqual([second.id, first.id]);
  });
});
