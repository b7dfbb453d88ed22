/**
 * Cold start: every Lambda function's module load, split into the AWS SDK's share (the runtime
 * provides it; its cost is the same whatever Leaver does) and Leaver's own share (its bundle: our
 * code and the packages bundled into it, zod and Powertools included).
 *
 * Method (docs/performance.md, "Cold start"):
 * 1. Each entry of the stack's function list (FUNCTION_SPECS) is bundled as the stack does
 *    (support/function-bundle.ts: LEAVER_BUNDLING through esbuild, linked source map), inside the
 *    repository so the external `@aws-sdk/*` packages resolve from node_modules.
 * 2. esbuild's metafile names the SDK packages the bundle imports statically: those its load
 *    evaluates (clients loaded with `import()` on first use are not).
 * 3. Each sample is a fresh `node --enable-source-maps` process (the stack's NODE_OPTIONS) with a
 *    Lambda-like environment (AWS_EXECUTION_ENV set, so the tracer is enabled as in Lambda). It
 *    warms the ESM loader on an empty module, then times `import()` of those SDK packages one after
 *    another (sdkMs), then `import()` of the bundle, whose SDK imports are now cached (ownMs).
 * 4. Entries are sampled round-robin (one process each per round, so drift in the machine's load
 *    falls on all of them alike); each figure is the median of its samples, taken separately
 *    (totalMs is the median of the per-process sums).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionName } from '../infra/leaver-construct.ts';
import { bundleFunction, externalPackage, functionEntries, loadGraph } from './support/function-bundle.ts';

/** Target for Leaver's own share of any function's module load, in milliseconds. */
export const COLD_START_OWN_MS = 25;

export interface ColdStartFigure {
  /** The entry file the function is bundled from. */
  entry: string;
  /** The stack's functions built from the same entry (same bundle, same figures). */
  functions: FunctionName[];
  bundleBytes: number;
  /** The AWS SDK packages the module load imports (all others load on first use, if ever). */
  sdkModules: string[];
  /** Median time to import those SDK packages in a fresh process. */
  sdkMs: number;
  /** Median time to import the bundle once the SDK is loaded: Leaver's own share. */
  ownMs: number;
  /** Median of sdk + own per process. */
  totalMs: number;
  /** Fresh processes sampled. */
  runs: number;
}

/** `coldStart` in bench/results.json: one figure per function of the stack. */
export type ColdStartResults = Record<string, ColdStartFigure>;

/** Environment of a Lambda function of the stack, as far as module load reads it. */
function lambdaEnv(functionName: string): NodeJS.ProcessEnv {
  const config = readFileSync(resolve(import.meta.dirname, '../infra/example-config.json'), 'utf8');
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `leaver-${functionName}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LEAVER_CONFIG_JSON: config,
    OFFBOARDINGS_TABLE: 'leaver-offboardings',
    AUDIT_TABLE: 'leaver-audit',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/leaver',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:leaver',
    POWERTOOLS_SERVICE_NAME: 'leaver',
    POWERTOOLS_METRICS_NAMESPACE: 'Leaver',
  };
}

/** Imported by each sample process: times the SDK, then the bundle. */
const RUNNER = `
const [bundle, ...sdk] = process.argv.slice(2);
await import('./warm.mjs');
const t0 = process.hrtime.bigint();
for (const m of sdk) await import(m);
const t1 = process.hrtime.bigint();
await import(bundle);
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ sdkMs: Number(t1 - t0) / 1e6, ownMs: Number(t2 - t1) / 1e6 }) + '\\n');
`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function measureColdStarts(
  runs = 9,
  progress: (m: string) => void = () => {},
): Promise<ColdStartResults> {
  const cache = resolve(import.meta.dirname, '../node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'leaver-cold-start-'));
  try {
    writeFileSync(join(dir, 'warm.mjs'), 'export {};\n');
    writeFileSync(join(dir, 'runner.mjs'), RUNNER);
    const built = [];
    for (const entry of functionEntries()) {
      progress(`bundling ${entry.name}`);
      const outfile = join(dir, entry.name, 'index.mjs');
      const { metafile, bytes } = await bundleFunction(entry.path, outfile);
      const sdk = [...loadGraph(metafile, entry.path).externals]
        .filter((spec) => spec.startsWith('@aws-sdk/'))
        .map(externalPackage);
      built.push({ entry, outfile, bytes, sdk: [...new Set(sdk)].sort(), samples: [] as number[][] });
    }
    for (let i = 0; i < runs; i++) {
      progress(`round ${i + 1} of ${runs}`);
      for (const b of built) {
        const out = execFileSync(
          process.execPath,
          ['--enable-source-maps', join(dir, 'runner.mjs'), pathToFileURL(b.outfile).href, ...b.sdk],
          {
            encoding: 'utf8',
            env: lambdaEnv(b.entry.functions[0]!),
            cwd: dir,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        const { sdkMs, ownMs } = JSON.parse(out.trim().split('\n').pop()!) as {
          sdkMs: number;
          ownMs: number;
        };
        b.samples.push([sdkMs, ownMs]);
      }
    }
    const results: ColdStartResults = {};
    for (const b of built) {
      const figure: ColdStartFigure = {
        entry: `${b.entry.name}.ts`,
        functions: b.entry.functions,
        bundleBytes: b.bytes,
        sdkModules: b.sdk,
        sdkMs: round(median(b.samples.map((s) => s[0]!))),
        ownMs: round(median(b.samples.map((s) => s[1]!))),
        totalMs: round(median(b.samples.map((s) => s[0]! + s[1]!))),
        runs,
      };
      for (const fn of b.entry.functions) results[fn] = figure;
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One row per bundle (functions sharing an entry share it). */
export function distinctFigures(results: ColdStartResults): ColdStartFigure[] {
  return [...new Set(Object.values(results))];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 9;
  const results = await measureColdStarts(runs, (m) => process.stderr.write(`[cold start] ${m}\n`));
  console.table(
    distinctFigures(results).map((f) => ({
      functions: f.functions.join(', '),
      'bundle KiB': Math.round(f.bundleBytes / 1024),
      'own ms': f.ownMs,
      'SDK ms': f.sdkMs,
      'total ms': f.totalMs,
      'SDK loaded': f.sdkModules.map((m) => m.replace('@aws-sdk/', '')).join(' '),
    })),
  );
}
