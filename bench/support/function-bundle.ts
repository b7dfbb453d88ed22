/**
 * Each Lambda function's bundle, built as the stack builds it (infra/function-code.ts), and what its
 * module load reads. Shared by the cold-start benchmark (which AWS SDK packages a function loads at
 * start) and the test that keeps the modules loaded on first use out of every function's load
 * (test/unit/handlers/cold-start-graph.test.ts).
 *
 * The function list is the stack's own (FUNCTION_SPECS): a function added there is measured and
 * checked with no edit here.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, Metafile } from 'esbuild';
import { buildFunction, REPO_ROOT } from '../../infra/function-code.ts';
import { FUNCTION_SPECS, type FunctionName } from '../../infra/leaver-construct.ts';

export const HANDLERS_DIR = join(REPO_ROOT, 'lambdas/handlers');

/** One entry file and the stack's functions built from it (`api` and `apiVendor` share one). */
export interface FunctionEntry {
  /** The entry's file name without extension (`due-sweep`). */
  name: string;
  /** Absolute path of the entry file. */
  path: string;
  /** The FUNCTION_SPECS keys bundled from it. */
  functions: FunctionName[];
}

/** Every distinct entry file of FUNCTION_SPECS, in the stack's order. */
export function functionEntries(): FunctionEntry[] {
  const byFile = new Map<string, FunctionEntry>();
  for (const [fn, spec] of Object.entries(FUNCTION_SPECS) as [FunctionName, { file: string }][]) {
    const entry = byFile.get(spec.file);
    if (entry) entry.functions.push(fn);
    else
      byFile.set(spec.file, {
        name: spec.file.replace(/\.ts$/, ''),
        path: join(HANDLERS_DIR, spec.file),
        functions: [fn],
      });
  }
  return [...byFile.values()];
}

/** What one function's module load reads, from esbuild's metafile. */
export interface LoadGraph {
  /** Output files read at load: `index.mjs` and the chunks it imports statically (no maps). */
  files: string[];
  /** Bundled inputs those files hold (repository-relative paths, node_modules included). */
  modules: Set<string>;
  /** External packages those files import statically (the runtime's AWS SDK; node builtins). */
  externals: Set<string>;
  /** Bytes of the files read at load. */
  loadBytes: number;
  /** Bytes of every JavaScript file of the bundle (chunks loaded on first use included). */
  bundleBytes: number;
  /** Every bundled input, in any file. */
  allModules: Set<string>;
  /** Every JavaScript output file (the entry first). */
  chunks: string[];
}

/**
 * Follows the entry's static imports between output files (a chunk reached only by `import()` is
 * read when that runs, not at load) and collects what those files contain and import.
 */
export function loadGraph(metafile: Metafile): LoadGraph {
  const outputs = metafile.outputs;
  // The handler file (buildFunction names it index.mjs); chunks loaded with import() name an entry
  // point too.
  const entry = Object.keys(outputs).find((f) => /(^|\/)index\.mjs$/.test(f));
  if (!entry) throw new Error('the metafile names no index.mjs');
  const files: string[] = [];
  const modules = new Set<string>();
  const externals = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    const out = outputs[file]!;
    for (const input of Object.keys(out.inputs)) modules.add(input);
    for (const imp of out.imports) {
      if (imp.kind !== 'import-statement' && imp.kind !== 'require-call') continue;
      if (imp.external) externals.add(imp.path);
      else queue.push(imp.path);
    }
  }
  const js = [entry, ...Object.keys(outputs).filter((f) => f !== entry && !f.endsWith('.map'))];
  const allModules = new Set(js.flatMap((f) => Object.keys(outputs[f]!.inputs)));
  const bytes = (fs: string[]) => fs.reduce((n, f) => n + outputs[f]!.bytes, 0);
  return {
    files,
    modules,
    externals,
    loadBytes: bytes(files),
    bundleBytes: bytes(js),
    allModules,
    chunks: js,
  };
}

/**
 * Builds one entry as the stack does, into `outdir` (a temporary directory if omitted); `extra`
 * changes options (the benchmark's `--root` and `--one-file`).
 */
export function bundleFunction(
  entryPath: string,
  outdir?: string,
  extra: BuildOptions = {},
): { outdir: string; graph: LoadGraph; metafile: Metafile } {
  const dir = outdir ?? mkdtempSync(join(cacheDir(), 'leaver-bundle-'));
  const { metafile } = buildFunction(entryPath, dir, { ...extra, metafile: true, logLevel: 'silent' });
  if (!metafile) throw new Error(`esbuild returned no metafile for ${entryPath}`);
  const graph = loadGraph(metafile);
  if (!outdir) rmSync(dir, { recursive: true, force: true });
  return { outdir: dir, graph, metafile };
}

/** Inside the repository, so that a bundle's external `@aws-sdk/*` resolve from node_modules. */
export function cacheDir(): string {
  const dir = join(REPO_ROOT, 'node_modules/.cache');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The npm package a bundled input belongs to (`zod`, `@aws-lambda-powertools/tracer`), if any. */
export function packageOf(input: string): string | undefined {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
}

/** The package name of an external import (`@aws-sdk/client-dynamodb` from a deep path). */
export function externalPackage(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
