/**
 * Bundling (the part the other infra tests skip): esbuild runs locally (no Docker) through
 * infra/function-code.ts and produces an ESM entry with the createRequire banner, minified, with a
 * linked source map, and a chunk of its own for each module loaded with import(). Uses fixture
 * entries so the test does not depend on the handlers' code; the real synth bundles
 * lambdas/handlers the same way.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Architecture, Function as LambdaFn, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { FUNCTION_HANDLER, functionCode, LEAVER_ESBUILD } from '../../infra/function-code.ts';
import { EXAMPLE_CONFIG_PATH, SLOW_TEST_TIMEOUT_MS } from './support.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures/bundling');

describe('bundling', () => {
  it('the shared options (every function uses them): ESM, split, minified, source-mapped, SDK from the runtime', () => {
    expect(LEAVER_ESBUILD).toMatchObject({
      format: 'esm',
      splitting: true,
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: 'linked',
      external: ['@aws-sdk/*'],
    });
    expect(LEAVER_ESBUILD.banner.js).toBe(
      "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
    );
  });

  it('builds each function locally: its own asset, an ESM index.mjs with linked map, import() in a chunk', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'leaver-cdk-out-'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Bundle');
    for (const id of ['First', 'Second']) {
      new LambdaFn(stack, id, {
        code: functionCode(join(FIXTURES, `${id.toLowerCase()}.ts`)),
        handler: FUNCTION_HANDLER,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
      });
    }
    const template = app.synth().getStackByName('Bundle').template as {
      Resources: Record<
        string,
        { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
      >;
    };
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns.map((f) => f.Properties.Handler)).toEqual(['index.handler', 'index.handler']);
    const [first, second] = fns.map((f) => join(outdir, f.Metadata!['aws:asset:path']!));
    // CDK caches assets by their bundling options: each entry must still get its own bundle.
    expect(first).not.toBe(second);

    const code = readFileSync(join(first!, 'index.mjs'), 'utf8');
    expect(code.startsWith(LEAVER_ESBUILD.banner.js)).toBe(true);
    expect(code).toMatch(/export\s*\{/); // ESM export of the handler
    expect(code).toContain('//# sourceMappingURL=index.mjs.map');
    expect(existsSync(join(first!, 'index.mjs.map'))).toBe(true);
    // The module loaded with import() is not in index.mjs but in a chunk beside it.
    expect(code).not.toContain('LATER_MODULE_SENTINEL');
    const chunks = readdirSync(join(first!, 'chunks')).filter((f) => f.endsWith('.mjs'));
    expect(
      chunks.some((c) => readFileSync(join(first!, 'chunks', c), 'utf8').includes('LATER_MODULE_SENTINEL')),
    ).toBe(true);
    // And the chunk resolves from the deployed layout.
    const { handler } = (await import(pathToFileURL(join(first!, 'index.mjs')).href)) as {
      handler: () => Promise<string>;
    };
    await expect(handler()).resolves.toBe('LATER_MODULE_SENTINEL answered first');
    expect(readFileSync(join(second!, 'index.mjs'), 'utf8')).not.toContain('LATER_MODULE_SENTINEL');
  });
});

/** Runs the CDK app with `env` added (synthesising into a temporary folder): its exit status and stderr. */
function runApp(env: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'leaver-app-'))) {
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      env: { ...process.env, CDK_OUTDIR: dir, ...env },
      stdio: 'pipe',
    });
    return { status: 0, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stderr: Buffer };
    return { status: err.status, stderr: err.stderr.toString() };
  }
}

describe('infra/app.ts', () => {
  it('prints the configuration problems and exits 1 without a stack trace', {
    timeout: SLOW_TEST_TIMEOUT_MS,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaver-app-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ api: { auth: 'jwt' } }));
    const { status, stderr } = runApp({ LEAVER_CONFIG: bad }, dir);
    expect(status).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain(`${bad}: api.jwt: jwt is required when auth is "jwt"`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(EXAMPLE_CONFIG_PATH).toMatch(/infra\/example-config\.json$/);
  });

  it('refuses a LEAVER_SOURCE_MAPS that is neither on nor off, in one line', () => {
    const { status, stderr } = runApp({ LEAVER_SOURCE_MAPS: 'yes' });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe('LEAVER_SOURCE_MAPS must be "on" or "off", not "yes"');
  });
});
