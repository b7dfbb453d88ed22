/**
 * The CLI never prints a control character raw, even for data stored before the edge refused them:
 * a crafted reason that would clear the screen and draw a fake "status completed" line is shown
 * with its escapes visible (`\u001b[2J`), on one line; --json keeps the exact value (as JSON
 * escapes); an audit export written to a file with --out is the server's answer byte for byte.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Offboarding } from '../../lambdas/core/model.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { startRuntime } from '../api/helpers.ts';
import { onlyMongoTenants, runCli } from './helpers.ts';

let rt: LocalRuntime;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

/** Clears the screen, homes the cursor, and draws a line that looks like the real status. */
const CRAFTED_REASON = 'moved on\u001b[2J\u001b[H\r\n  status        completed\u009b32m\u2028\u0007';
/** Addresses like this passed the old webhook regex (it refused whitespace, not escapes). */
const CRAFTED_EMAIL = 'dana\u001b[8m@example.com';
const RAW_CONTROL = /[\p{Cc}\u2028\u2029]/u;

/** Output as a terminal would get it: any control character except the newlines between lines. */
const rawControls = (text: string) => [...text.replace(/\n/g, '')].filter((c) => RAW_CONTROL.test(c));

let crafted: Offboarding;
const from = new Date(Date.now() - 60_000).toISOString();

beforeAll(async () => {
  rt = await startRuntime(onlyMongoTenants);
  env = { LEAVER_URL: rt.url };
  const now = new Date().toISOString();
  crafted = {
    id: rt.deps.ids.offboardingId(),
    subject: { email: CRAFTED_EMAIL, aliases: [] },
    origin: { type: 'hr', id: 'standard\u001b[1m' },
    sourceEventId: 'stored-before-the-edge',
    reason: CRAFTED_REASON,
    status: 'scheduled',
    effectiveAt: '2099-01-01T00:00:00.000Z',
    receivedAt: now,
    counts: { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
    attempts: 0,
    version: 0,
  };
  await rt.deps.store.create(crafted);
  await rt.deps.audit.append({
    streamId: crafted.id,
    event: 'received',
    at: now,
    email: CRAFTED_EMAIL,
    actor: 'hr:standard',
    detail: { reason: CRAFTED_REASON },
  });
});
afterAll(async () => {
  await rt?.close();
});

describe('stored control characters are printed as visible escapes', () => {
  it('status: no raw control character, the reason on one line with its escapes visible, one status line', async () => {
    const res = await cli('status', crafted.id);
    expect(res.code).toBe(0);
    expect(rawControls(res.stdout)).toEqual([]);
    expect(rawControls(res.stderr)).toEqual([]);
    const lines = res.stdout.split('\n');
    expect(lines.filter((l) => /^\s*status\s/.test(l))).toEqual(['  status        scheduled']);
    expect(lines).toContain(
      '  reason        moved on\\u001b[2J\\u001b[H\\u000d\\u000a  status        completed\\u009b32m\\u2028\\u0007',
    );
    expect(lines).toContain('  email         dana\\u001b[8m@example.com');
    expect(lines).toContain('  origin        hr:standard\\u001b[1m');
  });

  it('list: the table shows the escaped address, no raw control character', async () => {
    const res = await cli('list', '--status', 'scheduled', '--all');
    expect(res.code).toBe(0);
    expect(rawControls(res.stdout)).toEqual([]);
    const row = res.stdout.split('\n').find((l) => l.startsWith(crafted.id));
    expect(row).toContain('dana\\u001b[8m@example.com');
  });

  it('--json: the exact stored value survives as JSON escapes, and nothing is raw', async () => {
    const res = await cli('status', crafted.id, '--json');
    expect(res.code).toBe(0);
    expect(rawControls(res.stdout)).toEqual([]);
    const parsed = JSON.parse(res.stdout) as { reason: string; email: string };
    expect(parsed.reason).toBe(CRAFTED_REASON);
    expect(parsed.email).toBe(CRAFTED_EMAIL);
  });

  it('audit export: on stdout every control character is escaped; with --out the file is the server answer', async () => {
    const shown = await cli('audit', 'export', '--from', from, '--format', 'csv');
    expect(shown.code).toBe(0);
    expect(rawControls(shown.stdout.replace(/\r\n/g, '\n'))).toEqual([]);
    expect(shown.stdout).toContain('dana\\u001b[8m@example.com');

    const dir = mkdtempSync(join(tmpdir(), 'leaver-escape-'));
    const file = join(dir, 'audit.jsonl');
    const saved = await cli('audit', 'export', '--from', from, '--out', file);
    expect(saved.code).toBe(0);
    expect(rawControls(saved.stdout)).toEqual([]);
    const served = await fetch(`${rt.url}/v1/audit?from=${encodeURIComponent(from)}`, {
      headers: { authorization: 'Bearer leaver-local-demo-token' },
    });
    expect(readFileSync(file, 'utf8')).toBe(await served.text());
    const record = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { streamId: string; email?: string })
      .find((r) => r.streamId === crafted.id);
    expect(record?.email).toBe(CRAFTED_EMAIL);
  });
});
