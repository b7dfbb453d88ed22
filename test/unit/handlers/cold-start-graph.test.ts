/**
 * What each Lambda function's module load reads: every function of the stack (FUNCTION_SPECS, so a
 * function added there is checked too) is bundled as the stack bundles it (infra/function-code.ts)
 * and esbuild's metafile is followed from index.mjs through its static imports only. The modules
 * below are loaded with import() on first use and must stay out of that graph: a static import of
 * any of them, anywhere on a handler's path, puts it back into every cold start.
 *
 * Deterministic: it reads the bundler's module graph, it times nothing (the figures are in
 * `npm run bench`, docs/performance.md).
 */
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bundleFunction,
  externalPackage,
  type FunctionEntry,
  functionEntries,
  type LoadGraph,
  packageOf,
} from '../../../bench/support/function-bundle.ts';

/** Loaded on first use, never at a function's start. */
const LOADED_ON_FIRST_USE: Array<{ what: string; matches: (input: string) => boolean }> = [
  { what: 'zod', matches: (i) => packageOf(i) === 'zod' },
  { what: 'the configuration schema', matches: (i) => i === 'lambdas/core/config.ts' },
  { what: 'the configuration loader', matches: (i) => i === 'lambdas/handlers/config-loader.ts' },
  { what: 'the AWS wiring (adapters)', matches: (i) => i === 'lambdas/handlers/wiring.ts' },
  { what: 'the Powertools tracer', matches: (i) => packageOf(i) === '@aws-lambda-powertools/tracer' },
  { what: 'the X-Ray SDK', matches: (i) => packageOf(i) === 'aws-xray-sdk-core' },
  { what: 'Powertools Metrics', matches: (i) => packageOf(i) === '@aws-lambda-powertools/metrics' },
  { what: 'the connectors', matches: (i) => i.startsWith('lambdas/connectors/') },
  { what: 'the OAuth client', matches: (i) => packageOf(i) === 'oauth4webapi' },
  { what: "the API's route table", matches: (i) => i === 'lambdas/api/routes.ts' },
  { what: "the API's schemas", matches: (i) => i === 'lambdas/api/schemas.ts' },
  { what: 'the OpenAPI generator', matches: (i) => i === 'lambdas/api/openapi.ts' },
];

/** The AWS SDK packages a start loads (runtime-deps.ts); every other client loads on first use. */
const SDK_AT_START = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager', '@aws-sdk/lib-dynamodb'];

interface Built {
  entry: FunctionEntry;
  graph: LoadGraph;
  metafile: Metafile;
}

/** The chain of static imports from the entry to `target` (for the failure message). */
function importChain(metafile: Metafile, from: string, target: string): string[] {
  const parent = new Map<string, string>([[from, '']]);
  const queue = [from];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (file === target) break;
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.external || imp.kind === 'dynamic-import' || parent.has(imp.path)) continue;
      parent.set(imp.path, file);
      queue.push(imp.path);
    }
  }
  const chain: string[] = [];
  for (let f: string | undefined = target; f; f = parent.get(f)) chain.unshift(f);
  return chain;
}

const entries = functionEntries();
const built = new Map<string, Built>();

beforeAll(() => {
  for (const entry of entries) {
    const { graph, metafile } = bundleFunction(entry.path);
    built.set(entry.name, { entry, graph, metafile });
  }
}, 120_000);

describe("each function's module load", () => {
  it('covers every function of the stack', () => {
    const functions = entries.flatMap((e) => e.functions);
    expect(functions).toEqual(expect.arrayContaining(['intake', 'worker', 'api', 'apiVendor', 'dueSweep']));
    expect(built.size).toBe(entries.length);
  });

  it.each(entries.map((e) => [e.name]))('%s: reads none of the modules loaded on first use', (name) => {
    const { graph, metafile, entry } = built.get(name)!;
    const entryInput = Object.keys(metafile.inputs).find((i) => entry.path.endsWith(i))!;
    // One line per module loaded too early, with the shortest chain of imports that brings it.
    const offenders = LOADED_ON_FIRST_USE.flatMap((l) => {
      const chains = [...graph.modules]
        .filter((input) => l.matches(input))
        .map((input) => importChain(metafile, entryInput, input))
        .sort((a, b) => a.length - b.length);
      return chains.length > 0 ? [`${l.what}: ${chains[0]!.join(' -> ')}`] : [];
    });
    expect(offenders, 'loaded at start, through these static imports').toEqual([]);
  });

  it.each(entries.map((e) => [e.name]))('%s: loads the SDK clients it always uses, and no other', (name) => {
    const { graph } = built.get(name)!;
    const sdk = [
      ...new Set([...graph.externals].filter((x) => x.startsWith('@aws-sdk/')).map(externalPackage)),
    ];
    expect(sdk.sort()).toEqual(SDK_AT_START);
  });

  it.each(entries.map((e) => [e.name]))(
    '%s: the check sees real imports (the logger at start; zod, the tracer and the connectors in a chunk)',
    (name) => {
      const { graph } = built.get(name)!;
      // The walk follows static imports: the handler's own logger is found at start...
      expect([...graph.modules].some((i) => packageOf(i) === '@aws-lambda-powertools/logger')).toBe(true);
      // ...and what loads on first use is in the bundle, only not read at start.
      for (const pkg of ['zod', 'aws-xray-sdk-core', '@aws-lambda-powertools/metrics']) {
        expect(
          [...graph.allModules].some((i) => packageOf(i) === pkg),
          pkg,
        ).toBe(true);
      }
      expect([...graph.allModules].some((i) => i.startsWith('lambdas/connectors/'))).toBe(true);
      expect(graph.chunks.length).toBeGreaterThan(graph.files.length);
    },
  );
});
