/**
 * Cold start: every Lambda function's module load, split into the AWS SDK's share (the runtime
 * provides it; its cost is the same whatever Leaver does) and Leaver's own share (its bundle: our
 * code and the packages bundled into it, zod and Powertools included).
 *
 * Method (docs/performance.md, "Cold start"):
 * 1. Each entry of the stack's function list (FUNCTION_SPECS) is bundled as the stack does
 *    (infra/function-code.ts: esbuild, code splitting, linked source maps), inside the repository
 *    so the external `@aws-sdk/*` packages resolve from node_modules.
 * 2. esbuild's metafile names the files the load reads (`index.mjs` and the chunks it imports
 *    statically) and the SDK packages they import: those its load evaluates (clients and chunks
 *    loaded with `import()` on first use are not).
 * 3. Each sample is a fresh `node` process (the stack's NODE_OPTIONS: `--enable-source-maps` only
 *    with `sourceMaps`, as LeaverProps.sourceMaps turns it on) with a
 *    Lambda-like environment (AWS_EXECUTION_ENV set, so the tracer is enabled as in Lambda). It
 *    warms the ESM loader on an empty module, then times `import()` of those SDK packages one after
 *    another (sdkMs), then `import()` of the bundle, whose SDK imports are now cached (ownMs).
 * 4. Entries are sampled round-robin (one process each per round, so drift in the machine's load
 *    falls on all of them alike); each figure is the median of its samples, taken separately
 *    (totalMs is the median of the per-process sums).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../infra/function-code.ts';
import type { FunctionName } from '../infra/leaver-construct.ts';
import { bundleFunction, externalPackage, functionEntries } from './support/function-bundle.ts';

/** Target for Leaver's own share of any function's module load, in milliseconds. */
export const COLD_START_OWN_MS = 25;

/**
 * The SDK clients' load on this kind of machine when it is idle (issue 16's measurement), against
 * which the target was set: the table scales Leaver's share by it when the machine is busy.
 */
export const SDK_REFERENCE_MS = 198;

export interface ColdStartFigure {
  /** The entry file the function is bundled from. */
  entry: string;
  /** The stack's functions built from the same entry (same bundle, same figures). */
  functions: FunctionName[];
  /** Bytes of every JavaScript file of the function's bundle. */
  bundleBytes: number;
  /** Bytes of the files its module load reads (index.mjs and its static chunks). */
  loadBytes: number;
  /** The AWS SDK packages the module load imports (all others load on first use, if ever). */
  sdkModules: string[];
  /** Median time to import those SDK packages in a fresh process. */
  sdkMs: number;
  /** Median time to import the bundle once the SDK is loaded: Leaver's own share. */
  ownMs: number;
  /** Median of sdk + own per process. */
  totalMs: number;
  /**
   * Median time to import, after the load, every chunk it did not read: all that the function may
   * load on first use (zod and the configuration schema, the tracer, the connectors...). An upper
   * bound: most invocations load only some of it, and some functions never load parts of it.
   */
  firstUseMs: number;
  /** The same three as CPU time of the process (user + system). */
  ownCpuMs: number;
  sdkCpuMs: number;
  firstUseCpuMs: number;
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

/**
 * Each sample process runs this: times the SDK packages, then the bundle, then every chunk the load
 * did not read (what the function loads on first use, at most). Wall time and the process's CPU
 * time (user + system, all threads), which a busy machine inflates far less.
 */
const RUNNER = `
const { bundle, sdk, later } = JSON.parse(process.argv[2]);
await import('./warm.mjs');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const marks = [];
const mark = () => marks.push([Number(process.hrtime.bigint()) / 1e6, cpu()]);
mark();
for (const m of sdk) await import(m);
mark();
await import(bundle);
mark();
for (const c of later) await import(c);
mark();
const span = (i, k) => marks[i + 1][k] - marks[i][k];
process.stdout.write(JSON.stringify([0, 1, 2].map((i) => [span(i, 0), span(i, 1)])) + '\\n');
`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

/** One sample: [wall, cpu] of the SDK, the bundle's load, and the chunks loaded on first use. */
type Sample = [[number, number], [number, number], [number, number]];

export interface ColdStartOptions {
  /** Fresh processes per function. */
  runs?: number;
  progress?: (m: string) => void;
  /**
   * Another checkout of Leaver to measure instead of this one (with node_modules beside it): the
   * figures of an earlier commit, measured the same way. The function list is this checkout's.
   */
  root?: string;
  /** Bundle each function into one file, as NodejsFunction did before code splitting. */
  oneFile?: boolean;
  /** Node's source maps on, as a stack deployed with `sourceMaps` (default off, as the stack's default). */
  sourceMaps?: boolean;
}

export async function measureColdStarts(opts: ColdStartOptions = {}): Promise<ColdStartResults> {
  const { runs = 25, progress = () => {}, root = REPO_ROOT, oneFile = false, sourceMaps = false } = opts;
  // Inside the measured checkout, so that the bundles' external `@aws-sdk/*` resolve from its node_modules.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, 'node_modules/.cache/leaver-cold-start-'));
  try {
    writeFileSync(join(dir, 'warm.mjs'), 'export {};\n');
    writeFileSync(join(dir, 'runner.mjs'), RUNNER);
    const built = [];
    for (const entry of functionEntries()) {
      progress(`bundling ${entry.name}`);
      const { graph } = bundleFunction(join(root, relative(REPO_ROOT, entry.path)), join(dir, entry.name), {
        absWorkingDir: root,
        ...(oneFile ? { splitting: false } : {}),
      });
      const sdk = [...graph.externals].filter((spec) => spec.startsWith('@aws-sdk/')).map(externalPackage);
      const url = (file: string) => pathToFileURL(join(root, file)).href;
      const later = graph.chunks.filter((f) => !graph.files.includes(f)).map(url);
      built.push({
        entry,
        graph,
        sdk: [...new Set(sdk)].sort(),
        args: JSON.stringify({ bundle: url(graph.files[0]!), sdk: [...new Set(sdk)].sort(), later }),
        samples: [] as Sample[],
      });
    }
    for (let i = 0; i < runs; i++) {
      progress(`round ${i + 1} of ${runs}`);
      for (const b of built) {
        // The stack's NODE_OPTIONS: with source maps on, Node reads each file's map as the file loads.
        const out = execFileSync(
          process.execPath,
          [...(sourceMaps ? ['--enable-source-maps'] : []), join(dir, 'runner.mjs'), b.args],
          {
            encoding: 'utf8',
            env: lambdaEnv(b.entry.functions[0]!),
            cwd: dir,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        b.samples.push(JSON.parse(out.trim().split('\n').pop()!) as Sample);
      }
    }
    const results: ColdStartResults = {};
    for (const b of built) {
      const m = (f: (s: Sample) => number) => round(median(b.samples.map(f)));
      const figure: ColdStartFigure = {
        entry: `${b.entry.name}.ts`,
        functions: b.entry.functions,
        bundleBytes: b.graph.bundleBytes,
        loadBytes: b.graph.loadBytes,
        sdkModules: b.sdk,
        ownMs: m((s) => s[1][0]),
        sdkMs: m((s) => s[0][0]),
        totalMs: m((s) => s[0][0] + s[1][0]),
        firstUseMs: m((s) => s[2][0]),
        ownCpuMs: m((s) => s[1][1]),
        sdkCpuMs: m((s) => s[0][1]),
        firstUseCpuMs: m((s) => s[2][1]),
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
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const root = arg('--root');
  const results = await measureColdStarts({
    runs: Number(arg('--runs') ?? 25),
    progress: (m) => process.stderr.write(`[cold start] ${m}\n`),
    ...(root ? { root: resolve(root) } : {}),
    oneFile: process.argv.includes('--one-file'),
    sourceMaps: process.argv.includes('--source-maps'),
  });
  console.table(
    distinctFigures(results).map((f) => ({
      functions: f.functions.join(', '),
      'bundle KiB': Math.round(f.bundleBytes / 1024),
      'read at load KiB': Math.round(f.loadBytes / 1024),
      'own ms': f.ownMs,
      'own CPU ms': f.ownCpuMs,
      'SDK ms': f.sdkMs,
      'SDK CPU ms': f.sdkCpuMs,
      'total ms': f.totalMs,
      'first use ms (max)': f.firstUseMs,
      'SDK loaded': f.sdkModules.map((m) => m.replace('@aws-sdk/', '')).join(' '),
    })),
  );
}
