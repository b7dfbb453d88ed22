/**
 * The examples of docs/api-and-cli.md run as written against the local runtime with the demo data:
 * the CLI block and the curl block, each line in order, stopping at the first failure. A doc example
 * that stops working fails this test. The CLI examples say `npx leaver`: the examples run the
 * package's bin directly (one npx resolution per line would only add time), and a separate case
 * checks that `npx leaver` resolves to that bin in this repository.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/main.ts';
import { startRuntime } from '../api/helpers.ts';

const DOC = 'docs/api-and-cli.md';
let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

/** The first ```sh block after `marker` in the document. */
function shellBlock(doc: string, marker: string): string {
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`${DOC} has no "${marker}"`);
  const m = /```sh\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!m) throw new Error(`${DOC} has no sh block after "${marker}"`);
  return m[1]!;
}

function bash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd: process.cwd(),
        env: { ...process.env, LEAVER_TOKEN: '', ...env },
        timeout: 240_000,
        maxBuffer: 32 << 20,
      },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe(`${DOC} examples`, () => {
  const doc = readFileSync(DOC, 'utf8');

  it('the CLI examples run as written (each exits 0)', async () => {
    const block = shellBlock(doc, 'each of these works as written');
    const lines = block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(lines.length).toBeGreaterThanOrEqual(10);
    // Every command of the CLI appears in the examples or the text around them.
    for (const cmd of [
      'preview',
      'offboard',
      'status',
      'list',
      'access',
      'cancel',
      'revoke',
      'audit export',
      'audit verify',
      'kill-switch',
      'retry',
    ]) {
      expect(block).toContain(`npx leaver ${cmd}`);
    }
    // A quarantine cannot be staged in a few lines: `release` is described right after the block.
    expect(doc.slice(doc.indexOf(block))).toMatch(/^`release <id> \[--wait\]`/m);
    const bin = resolve('cli/bin.js');
    const script = [
      'set -euo pipefail',
      // `npx leaver` is the package's bin; anything else npx is asked for fails the example.
      `npx() { if [ "$1" = leaver ]; then shift; node ${JSON.stringify(bin)} "$@"; else echo "npx $1 is not Leaver" >&2; return 127; fi; }`,
      // Echo each example before it runs, so a failure names it.
      ...lines.flatMap((l) => [`echo ${JSON.stringify(`>>> ${l}`).replace(/\$/g, '\\$')} >&2`, l]),
    ].join('\n');
    const r = await bash(script.replaceAll('SANDBOX=http://127.0.0.1:4010', `SANDBOX=${rt.sandbox!.url}`), {
      LEAVER_URL: rt.url,
    });
    expect(r.code, `${r.stderr.split('\n').slice(-25).join('\n')}\nSTDOUT: ${r.stdout.slice(-1500)}`).toBe(0);
    expect(r.stdout).toContain('Plan for dana.leaver@example.com');
    expect(r.stdout).toMatch(/Audit chain of off_\S+: intact/);
    expect(r.stdout).toContain('Exported');
    expect(r.stdout).toContain('is now cancelled');
    expect(r.stdout).toMatch(/: revoked/);
    expect(r.stdout).toContain('Kill switch ON');
    // What the inventory knows Sam holds (he stays: nothing of his is revoked).
    expect(r.stdout).toMatch(/sam\.stays@example\.com: \d+ grant\(s\) known/);
    // The staged outage: the offboarding fails at Cloud Manager only, then the retry completes it.
    expect(r.stdout).toMatch(/exit 1 \(Cloud Manager is down\)/);
    const retried = r.stdout.slice(r.stdout.lastIndexOf('new.hire@example.com'));
    expect(retried).toMatch(/status\s+completed\n/);
    expect(retried).toMatch(/actions\s+\d+ revoked, \d+ already absent, 0 skipped, 0 failed/);
    expect(retried).toMatch(/cloudmanager: 1 revoked, 0 already absent, 0 skipped, 0 failed/);
    expect(readFileSync('/tmp/leaver-audit.csv', 'utf8')).toMatch(/^streamId,seq,at,event/);
  }, 240_000);

  it('every CLI example runs the package bin through `npx leaver`', () => {
    const block = shellBlock(doc, 'each of these works as written');
    const calls = block.match(/\bleaver \S+/g) ?? [];
    expect(calls.length).toBeGreaterThanOrEqual(10);
    expect(block.match(/\bnpx leaver \S+/g)).toEqual(calls.map((c) => `npx ${c}`));
  });

  it('`npx leaver` resolves to the package bin in the repository after npm ci (no registry)', async () => {
    const r = await bash('npx --no-install leaver --help', {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: leaver <command> \[options\]/);
  });

  it('the curl examples run as written (every answer 2xx)', async () => {
    const block = shellBlock(doc, '### curl');
    const script = [
      'set -euo pipefail',
      // Any non-2xx answer fails the example.
      'curl() { command curl --fail-with-body "$@"; }',
      block.replace('API=http://127.0.0.1:3000', `API=${rt.url}`),
    ].join('\n');
    const r = await bash(script, {});
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    expect(r.stdout).toContain('"openapi":"3.1.0"');
    expect(r.stdout).toContain('"outcome":"revoked"');
    expect(r.stdout).toMatch(/^link: <.*rel="next"/im);
  });
});
