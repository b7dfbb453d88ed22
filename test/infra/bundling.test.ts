/**
 * Bundling (the part the other infra tests skip): esbuild runs locally (no Docker), produces an
 * ESM bundle with the createRequire banner, minified, with an external source map. Uses the
 * stand-in entries so the test does not depend on the handlers' code; the real synth bundles
 * lambdas/handlers the same way.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it } from 'vitest';
import { LEAVER_BUNDLING } from '../../infra/leaver-construct.ts';
import { EXAMPLE_CONFIG_PATH, FIXTURE_HANDLERS, SLOW_TEST_TIMEOUT_MS } from './support.ts';

describe('bundling', () => {
  it('the shared options (every function uses them) are ESM, minified, source-mapped, SDK from the runtime', () => {
    expect(LEAVER_BUNDLING).toMatchObject({
      format: 'esm',
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      bundleAwsSDK: false,
      externalModules: ['@aws-sdk/*'],
    });
  });

  it('builds an ESM bundle with the createRequire banner and a linked source map, locally', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'leaver-cdk-out-'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Bundle');
    new NodejsFunction(stack, 'Fn', {
      entry: join(FIXTURE_HANDLERS, 'intake.ts'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      bundling: LEAVER_BUNDLING,
    });
    const template = app.synth().getStackByName('Bundle').template as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    const assetPath = fn.Metadata?.['aws:asset:path'];
    expect(assetPath).toBeDefined();
    const code = readFileSync(join(outdir, assetPath!, 'index.mjs'), 'utf8');
    expect(code.startsWith(LEAVER_BUNDLING.banner!)).toBe(true);
    expect(LEAVER_BUNDLING.banner).toBe(
      "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
    );
    expect(code).toMatch(/export\s*\{/); // ESM export of the handler
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    expect(existsSync(join(outdir, assetPath!, 'index.mjs.map'))).toBe(true);
  });
});

describe('infra/app.ts', () => {
  it('prints the configuration problems and exits 1 without a stack trace', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
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
