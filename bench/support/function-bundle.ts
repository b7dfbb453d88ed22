/**
 * Each Lambda function's bundle, built as the stack builds it (infra LEAVER_BUNDLING, through the
 * same local esbuild), and the modules its load evaluates. Shared by the cold-start benchmark (which
 * AWS SDK packages a function loads at start) and the test that keeps modules loaded on first use
 * out of every function's load (test/unit/handlers/cold-start-graph.test.ts).
 *
 * The function list is the stack's own (FUNCTION_SPECS): a function added there is measured and
 * checked with no edit here.
 */
import { join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { FUNCTION_SPECS, type FunctionName, LEAVER_BUNDLING } from '../../infra/leaver-construct.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const HANDLERS_DIR = join(ROOT, 'lambdas/handlers');

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

/**
 * The esbuild options NodejsFunction derives from LEAVER_BUNDLING (ESM, main fields, banner,
 * minified, linked source map without sources, target, the AWS SDK external), so what is measured
 * and checked is what is deployed.
 */
export function stackBuildOptions(): BuildOptions {
  const b = LEAVER_BUNDLING;
  return {
    bundle: true,
    platform: 'node',
    format: b.format === 'esm' ? 'esm' : 'cjs',
    ...(b.target ? { target: b.target } : {}),
    ...(b.mainFields ? { mainFields: [...b.mainFields] } : {}),
    ...(b.banner ? { banner: { js: b.banner } } : {}),
    minify: b.minify === true,
    sourcemap: b.sourceMap ? 'linked' : false,
    sourcesContent: b.sourcesContent !== false,
    external: [...(b.externalModules ?? [])],
    absWorkingDir: ROOT,
    logLevel: 'silent',
  };
}

export interface BuiltFunction {
  metafile: Metafile;
  /** Bytes of the bundle (index.mjs), source map excluded. */
  bytes: number;
}

/** Bundles one entry as the stack does; writes it to `outfile` when given, else keeps it in memory. */
export async function bundleFunction(entryPath: string, outfile?: string): Promise<BuiltFunction> {
  const result = await build({
    ...stackBuildOptions(),
    entryPoints: [entryPath],
    outfile: outfile ?? join(ROOT, 'node_modules/.cache/leaver-graph/index.mjs'),
    write: outfile !== undefined,
    metafile: true,
  });
  const out = Object.entries(result.metafile.outputs).find(([file]) => !file.endsWith('.map'));
  if (!out) throw new Error(`esbuild produced no bundle for ${entryPath}`);
  return { metafile: result.metafile, bytes: out[1].bytes };
}

/** What a function's module load evaluates: reached from the entry by static imports only. */
export interface LoadGraph {
  /** Bundled inputs (paths relative to the repository, node_modules included). */
  modules: Set<string>;
  /** External packages imported statically (the AWS SDK the runtime provides; node builtins). */
  externals: Set<string>;
}

/**
 * Follows import statements and require calls from the entry, not `import()`: esbuild keeps a
 * dynamically imported module in the bundle but evaluates it only when the `import()` runs, so it
 * is no part of the module load. A require inside a function body counts as loaded (conservative).
 */
export function loadGraph(metafile: Metafile, entryPath: string): LoadGraph {
  const entry = relative(ROOT, entryPath);
  if (!metafile.inputs[entry]) throw new Error(`${entry} is not an input of this bundle`);
  const modules = new Set<string>();
  const externals = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (modules.has(file)) continue;
    modules.add(file);
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.kind === 'dynamic-import' || imp.kind === 'require-resolve') continue;
      if (imp.external) externals.add(imp.path);
      else queue.push(imp.path);
    }
  }
  return { modules, externals };
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
