/**
 * How every Lambda function is built: esbuild (the local devDependency, never Docker) through its
 * JavaScript API, with code splitting. The cold-start benchmark (bench/cold-start.ts) and the test
 * of each function's load (test/unit/handlers/cold-start-graph.test.ts) build with these same
 * options.
 *
 * - ESM (`index.mjs`), `mainFields: module, main` (packages' ES builds, which bundle smaller) and
 *   the createRequire banner (some bundled CommonJS still calls `require` for Node's modules).
 * - Code splitting: a module loaded with `import()` (zod and the configuration schema, the tracer,
 *   the connectors, the API's route table) goes to a chunk of its own that Node reads only when the
 *   `import()` runs. In one file (what NodejsFunction builds) that code is still read and parsed
 *   at every start although it does not run, which was about half of the functions' own load time.
 * - Minified: less to read and parse.
 * - A linked source map without the sources: with `sourceMaps` on (LeaverProps; NODE_OPTIONS=
 *   --enable-source-maps) stack traces point at the TypeScript files, and Node reads each file's map
 *   as that file loads; off (the default), the maps are not read, and resolve a stack offline.
 * - The AWS SDK v3 stays external: the nodejs22.x runtime provides it. Leaver calls only
 *   long-stable DynamoDB, SQS, SNS and Secrets Manager operations, which any runtime SDK v3 has.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, type BuildResult, buildSync } from 'esbuild';

/** The repository root: esbuild's working directory (metafile paths are relative to it). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Options shared by every function (entry point and output directory aside). */
export const LEAVER_ESBUILD = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  splitting: true,
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  external: ['@aws-sdk/*'],
  outExtension: { '.js': '.mjs' },
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  absWorkingDir: REPO_ROOT,
  logLevel: 'warning',
} satisfies BuildOptions;

/** The Lambda handler setting for a function built by `functionCode`. */
export const FUNCTION_HANDLER = 'index.handler';

/**
 * Builds one function: `index.mjs` (exporting `handler`) and its chunks under `outdir`. `extra`
 * adds build options (the benchmark asks for the metafile).
 */
export function buildFunction(entry: string, outdir: string, extra: BuildOptions = {}): BuildResult {
  return buildSync({ ...LEAVER_ESBUILD, ...extra, entryPoints: { index: entry }, outdir });
}

/**
 * The function's code asset, bundled locally at synth time. Hashed by its output, as NodejsFunction
 * does: a change that leaves the bundle identical does not update the function.
 */
export function functionCode(entry: string): Code {
  return Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never Docker: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('none'),
      // CDK keys its asset cache on these options, which leave `tryBundle` out: without the entry
      // here every function of a stack would get the first one's bundle.
      environment: { LEAVER_ENTRY: relative(REPO_ROOT, entry) },
      local: {
        tryBundle(outputDir: string) {
          buildFunction(entry, outputDir);
          return true;
        },
      },
    },
  });
}
