/**
 * The audit integrity commands against the local runtime (key pair, digests in memory): verify one
 * offboarding (its evidence pack re-checked by the CLI), a time window and everything; the public
 * key; an evidence pack exported and then verified offline; a tampered digest named; exit codes
 * (0 intact, 1 tampered, 2 bad usage, 3 not yet anchored with --require-anchored).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryDigestArchive } from '../../lambdas/adapters/memory-digest-archive.ts';
import { keyIdOf } from '../../lambdas/core/digest.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { startRuntime } from '../api/helpers.ts';
import { alteredEnvelope } from '../integration/audit/harness.ts';
import { onlyMongoTenants, runCli } from './helpers.ts';

let rt: LocalRuntime;
let env: Record<string, string>;
let id: string;
const dir = mkdtempSync(join(tmpdir(), 'leaver-cli-audit-'));

beforeAll(async () => {
  rt = await startRuntime(onlyMongoTenants);
  env = { LEAVER_URL: rt.url };
  const r = await runCli(
    ['offboard', 'dana.leaver@example.com', '--reason', 'audit cli', '--wait', '-q'],
    env,
  );
  id = r.stdout.trim();
  expect(id).toMatch(/^off_/);
  // The worker anchors a finished offboarding right after finishing it: wait until it is idle.
  await rt.drain();
});
afterAll(async () => {
  await rt?.close();
});

const cli = (...args: string[]) => runCli(args, env);

describe('leaver audit verify', () => {
  it('one offboarding, anchored as soon as it finished: intact, verified by the server and locally', async () => {
    const r = await cli('audit', 'verify', id, '--require-anchored');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`Audit chain of ${id}: intact \\(\\d+ records; every record anchored`),
    );
    expect(r.stdout).toContain('(checked here): VERIFIED');
    const j = JSON.parse((await cli('audit', 'verify', id, '--json')).stdout);
    expect(j).toMatchObject({ valid: true, anchored: true, server: { valid: true }, local: { valid: true } });
  });

  it('a time window and everything', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const range = await cli('audit', 'verify', '--from', from, '--to', to, '--json');
    expect(range.code, range.stderr).toBe(0);
    expect(JSON.parse(range.stdout).chains.map((c: { chain: string }) => c.chain)).toContain(id);
    const all = await cli('audit', 'verify', '--all');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/Audit of everything: intact/);
  });

  it('records after the latest digest: reported, exit 0, or 3 with --require-anchored', async () => {
    const off = (await rt.deps.store.get(id))!;
    await rt.deps.audit.append({
      streamId: id,
      event: 'cancel_after_run',
      at: new Date().toISOString(),
      actor: 'hr:standard',
      email: off.subject.email,
    });
    const r = await cli('audit', 'verify', id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 not yet anchored');
    expect((await cli('audit', 'verify', id, '--require-anchored')).code).toBe(3);
    await rt.runSchedule('digest');
    expect((await cli('audit', 'verify', id, '--require-anchored')).code).toBe(0);
  });

  it('bad usage: no scope, two scopes, --from without --to (exit 2)', async () => {
    for (const args of [
      ['audit', 'verify'],
      ['audit', 'verify', id, '--all'],
      ['audit', 'verify', '--from', '2026-01-01T00:00:00Z'],
      ['evidence', 'verify'],
      ['evidence', 'nothing'],
    ]) {
      expect((await runCli(args, env)).code, args.join(' ')).toBe(2);
    }
  });
});

describe('public key and evidence', () => {
  it('prints the public key; exports a pack that verifies offline against it', async () => {
    const keyFile = join(dir, 'leaver-public.pem');
    const k = await cli('audit', 'public-key', '--out', keyFile);
    expect(k.code).toBe(0);
    const pem = readFileSync(keyFile, 'utf8');
    expect(pem).toContain('BEGIN PUBLIC KEY');
    expect(k.stdout).toContain(keyIdOf(pem));
    expect((await cli('audit', 'public-key')).stdout).toContain('BEGIN PUBLIC KEY');

    const pack = join(dir, 'pack.json');
    const e = await cli('evidence', 'export', id, '--out', pack);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/record\(s\), \d+ digest\(s\)/);
    // Offline: an unreachable URL and no token change nothing.
    const v = await runCli(['evidence', 'verify', pack, '--public-key', keyFile], {
      LEAVER_URL: 'http://127.0.0.1:9',
      LEAVER_SECRETS_FILE: '/nonexistent',
    });
    expect(v.code, v.stdout).toBe(0);
    const bad = join(dir, 'pack-edited.json');
    writeFileSync(bad, readFileSync(pack, 'utf8').replace('"status": "completed"', '"status": "cancelled"'));
    expect((await cli('evidence', 'verify', bad, '--public-key', keyFile)).code).toBe(1);
  });

  it('a tampered digest in the archive: audit verify names it and exits 1', async () => {
    const archive = rt.deps.anchor!.archive as MemoryDigestArchive;
    const [first] = await archive.list();
    const original = archive.objects.get(first!.key)!;
    archive.objects.set(first!.key, alteredEnvelope(original));
    try {
      const r = await cli('audit', 'verify', '--all');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`digest_altered: Digest ${first!.seq}`);
    } finally {
      archive.objects.set(first!.key, original);
    }
  });
});
