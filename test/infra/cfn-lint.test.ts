/**
 * cfn-lint on the synthesized template (bundling skipped; the assets do not matter to the linter).
 * CI runs it again on the real `cdk synth` output. Warnings count: cfn-lint exits non-zero on them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config.ts';
import { buildStack, exampleConfigInput } from './support.ts';

function lint(template: unknown): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'leaver-cfn-lint-'));
  const file = join(dir, 'Leaver.template.json');
  writeFileSync(file, JSON.stringify(template));
  const r = spawnSync('cfn-lint', [file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('cfn-lint', () => {
  it('is installed (CI installs it; a missing linter must fail, not pass silently)', () => {
    expect(() => execFileSync('cfn-lint', ['--version'], { stdio: 'pipe' })).not.toThrow();
  }, 60_000);

  it('passes on the example stack with no errors and no warnings', () => {
    const { template } = buildStack();
    const r = lint(template.toJSON());
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('passes on the JWT variant with an alarm e-mail', () => {
    const input = exampleConfigInput();
    input.api = { auth: 'jwt', jwt: { issuer: 'https://login.example.com/', audience: ['leaver'] } };
    const { template } = buildStack(parseConfig(input), { alarmEmail: 'secops@example.com' });
    const r = lint(template.toJSON());
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);
});
