/**
 * Bundling (the part the other infra tests skip): esbuild runs locally (no Docker), produces an
 * ESM bundle with the createRequire banner, minified, with an external source map. Uses the
 * stand-in entries so the test does not depend on the handlers' code; the real synth bundles
 * lambdas/handlers the same way.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { LeaverStack } from '../../infra/leaver-stack.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig, FIXTURE_HANDLERS } from './support.ts';

describe('bundling', () => {
  it('builds one ESM bundle per function with the createRequire banner and a source map', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'leaver-cdk-out-'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    new LeaverStack(app, 'Leaver', { config: exampleConfig(), leaver: { handlersDir: FIXTURE_HANDLERS } });
    const assembly = app.synth();
    const template = assembly.getStackByName('Leaver').template as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(6);
    for (const fn of fns) {
      const assetPath = fn.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const code = readFileSync(join(outdir, assetPath!, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(import.meta.url);")).toBe(true);
      expect(code).toMatch(/export\s*\{/); // ESM export of the handler
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      expect(existsSync(join(outdir, assetPath!, 'index.mjs.map'))).toBe(true);
    }
  });
});

describe('infra/app.ts', () => {
  it('prints the configuration problems and exits 1 without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaver-app-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ api: { auth: 'jwt' } }));
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        env: { ...process.env, LEAVER_CONFIG: bad, CDK_OUTDIR: dir },
        stdio: 'pipe',
      });
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      status = err.status;
      stderr = err.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain(`${bad}: api.jwt: jwt is required when auth is "jwt"`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(EXAMPLE_CONFIG_PATH).toMatch(/infra\/example-config\.json$/);
  });
});
