/**
 * Cold start: bundles each Lambda handler as the CDK stack does (infra LEAVER_BUNDLING: esbuild,
 * ESM, minified, the AWS SDK left to the runtime) and measures the bundle's size and its module load
 * time in a fresh Node process (median of several runs). The bundles are written inside the
 * repository so the external AWS SDK resolves from node_modules, and its load time counts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export interface ColdStartRow {
  handler: string;
  bundleBytes: number;
  loadMs: number;
}

const HANDLERS_DIR = resolve(import.meta.dirname, '../lambdas/handlers');
const BANNER = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

export const ENTRY_NAMES = [
  'intake',
  'worker',
  'api',
  'due-sweep',
  'reconcile',
  'retry-sweep',
  'digest',
  'inventory-sync',
];

/** Median of `runs` fresh-process imports of the bundle, in milliseconds. */
function measureLoad(file: string, runs: number): number {
  const script = `const t=process.hrtime.bigint();await import(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        LEAVER_CONFIG_JSON: '{}',
        POWERTOOLS_SERVICE_NAME: 'leaver',
      },
    });
    samples.push(Number(out.trim().split('\n').pop()));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

export async function measureColdStarts(runs = 5): Promise<ColdStartRow[]> {
  const cache = resolve(import.meta.dirname, '../node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(join(cache, 'leaver-bundles-'));
  const rows: ColdStartRow[] = [];
  try {
    for (const name of ENTRY_NAMES) {
      const entry = join(HANDLERS_DIR, `${name}.ts`);
      if (!existsSync(entry)) continue;
      const outfile = join(out, `${name}.mjs`);
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        minify: true,
        mainFields: ['module', 'main'],
        banner: { js: BANNER },
        external: ['@aws-sdk/*'],
        outfile,
        logLevel: 'silent',
      });
      rows.push({ handler: name, bundleBytes: statSync(outfile).size, loadMs: measureLoad(outfile, runs) });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}

/**
 * The AWS SDK clients every function loads at start (DynamoDB, its document client, Secrets
 * Manager), alone in a fresh process: the part of a cold start the Lambda runtime's SDK costs
 * whatever Leaver does, so a reader can tell Leaver's own share from the machine's speed.
 */
export function measureSdkLoad(runs = 5): number {
  const cache = resolve(import.meta.dirname, '../node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'leaver-sdk-'));
  try {
    const file = join(dir, 'sdk.mjs');
    writeFileSync(
      file,
      [
        "import '@aws-sdk/client-dynamodb';",
        "import '@aws-sdk/lib-dynamodb';",
        "import '@aws-sdk/client-secrets-manager';",
      ].join('\n'),
    );
    return measureLoad(file, runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await measureColdStarts();
  console.table(
    rows.map((r) => ({
      handler: r.handler,
      'bundle KiB': (r.bundleBytes / 1024).toFixed(0),
      'load ms': r.loadMs.toFixed(1),
    })),
  );
}
