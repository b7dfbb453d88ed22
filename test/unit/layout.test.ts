/**
 * The layout's dependency rules, checked on every import (static, type-only, re-export and dynamic)
 * so the structure cannot drift again:
 *
 * - `lambdas/core` imports nothing outside core (and no AWS SDK, Lambda types, Powertools or middy);
 * - `lambdas/connectors` and `lambdas/sources` import only themselves and core;
 * - `lambdas/adapters` imports only itself and core;
 * - `lambdas/api` never imports `lambdas/handlers` (handlers wire the API, not the reverse);
 * - nothing in `lambdas/` imports local/, cli/, bench/, sandbox/, infra/, test/ or console/;
 * - `sandbox/` imports nothing from `lambdas/` (an emulator that shares the client's code proves nothing);
 * - no import cycle inside `lambdas/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(import.meta.dirname, '..', '..'));

/** Every .ts file under `dir` (repo-relative, `/`-separated). */
function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * The module specifiers a source imports: static, `import type`, `export ... from`, and (unless
 * `staticOnly`) `import()`.
 */
function specifiersOf(source: string, staticOnly = false): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /(?:^|[\n;])\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of staticOnly ? patterns.slice(0, 2) : patterns) {
    for (const m of code.matchAll(re)) found.push(m[1]!);
  }
  return found;
}

/** A file's import graph: relative imports resolved to repo paths, packages as `pkg:<name>`. */
type Graph = Map<string, string[]>;

function graphOf(files: readonly string[], staticOnly = false): Graph {
  return new Map(
    files.map((file) => [
      file,
      specifiersOf(readFileSync(join(ROOT, file), 'utf8'), staticOnly).map((s) =>
        s.startsWith('.')
          ? relative(ROOT, join(ROOT, dirname(file), s))
              .split('\\')
              .join('/')
          : `pkg:${s}`,
      ),
    ]),
  );
}

const within = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const isPackage = (target: string) => target.startsWith('pkg:');

const OUTSIDE_LAMBDAS = ['local', 'cli', 'bench', 'sandbox', 'infra', 'test', 'console'];
const CORE_FORBIDDEN_PACKAGES = [
  /^pkg:@aws-sdk\//,
  /^pkg:aws-lambda$/,
  /^pkg:@aws-lambda-powertools\//,
  /^pkg:@middy\//,
];

/** Each broken rule as `from -> to: why`. */
function violations(graph: Graph): string[] {
  const out: string[] = [];
  const only = (from: string, to: string, folder: string, allowed: string[]) => {
    if (within(from, folder) && !isPackage(to) && !allowed.some((a) => within(to, a))) {
      out.push(`${from} -> ${to}: ${folder} imports only ${allowed.join(' and ')}`);
    }
  };
  for (const [from, targets] of graph) {
    for (const to of targets) {
      only(from, to, 'lambdas/core', ['lambdas/core']);
      only(from, to, 'lambdas/connectors', ['lambdas/connectors', 'lambdas/core']);
      only(from, to, 'lambdas/sources', ['lambdas/sources', 'lambdas/core']);
      only(from, to, 'lambdas/adapters', ['lambdas/adapters', 'lambdas/core']);
      if (within(from, 'lambdas/core') && CORE_FORBIDDEN_PACKAGES.some((p) => p.test(to))) {
        out.push(`${from} -> ${to}: core uses no AWS or Lambda package`);
      }
      if (within(from, 'lambdas/api') && within(to, 'lambdas/handlers')) {
        out.push(`${from} -> ${to}: api never imports handlers`);
      }
      if (within(from, 'lambdas') && OUTSIDE_LAMBDAS.some((f) => within(to, f))) {
        out.push(`${from} -> ${to}: lambdas imports nothing outside lambdas`);
      }
      if (within(from, 'sandbox') && within(to, 'lambdas')) {
        out.push(`${from} -> ${to}: the sandbox shares no code with lambdas`);
      }
    }
  }
  return out;
}

/** Every import cycle among the graph's own files, each as `a -> b -> a` (found by a DFS). */
function cycles(graph: Graph): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('the layout rules', () => {
  const lambdas = graphOf(tsFiles('lambdas'));
  const sandbox = graphOf(tsFiles('sandbox'));

  it('scans the code it means to (every lambdas folder, imports resolved)', () => {
    const folders = new Set([...lambdas.keys()].map((f) => f.split('/')[1]));
    for (const f of ['core', 'connectors', 'adapters', 'sources', 'handlers', 'api'])
      expect(folders).toContain(f);
    expect(lambdas.get('lambdas/handlers/api.ts')).toContain('lambdas/api/app.ts');
  });

  it('holds for lambdas/ and sandbox/', () => {
    expect(violations(new Map([...lambdas, ...sandbox]))).toEqual([]);
  });

  it('finds no import cycle inside lambdas/', () => {
    // Static and type imports only: an import() runs after every static module has loaded, so a
    // lazily loaded part (handlers/first-use.ts) may reach back into the modules that load it.
    expect(cycles(graphOf(tsFiles('lambdas'), true))).toEqual([]);
  });
});

describe('the checker itself', () => {
  it('reads every form of import and ignores commented-out ones', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      'import {',
      '  c,',
      "} from './c.ts';",
      "export { d } from './d.ts';",
      "export * from './e.ts';",
      "import './f.ts';",
      "const g = await import('./g.ts');",
      "// import { h } from './h.ts';",
      "/* import { i } from './i.ts'; */",
      "import { z } from 'zod';",
    ].join('\n');
    expect(specifiersOf(source)).toEqual(
      expect.arrayContaining(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', './f.ts', './g.ts', 'zod']),
    );
    expect(specifiersOf(source)).not.toContain('./h.ts');
    expect(specifiersOf(source)).not.toContain('./i.ts');
  });

  it('names each broken rule', () => {
    const bad: Graph = new Map([
      ['lambdas/core/x.ts', ['lambdas/adapters/y.ts', 'pkg:@aws-sdk/client-dynamodb', 'pkg:zod']],
      ['lambdas/api/router.ts', ['lambdas/handlers/http-response.ts']],
      ['lambdas/handlers/api.ts', ['local/main.ts', 'lambdas/api/app.ts']],
      ['lambdas/adapters/z.ts', ['lambdas/handlers/wiring.ts']],
      ['lambdas/connectors/atlas/index.ts', ['lambdas/connectors/http/client.ts', 'lambdas/adapters/ids.ts']],
      ['sandbox/atlas/index.ts', ['lambdas/connectors/atlas/schemas.ts']],
    ]);
    const found = violations(bad);
    expect(found).toHaveLength(7);
    expect(found.join('\n')).toMatch(/core\/x\.ts -> lambdas\/adapters\/y\.ts/);
    expect(found.join('\n')).toMatch(/core\/x\.ts -> pkg:@aws-sdk\/client-dynamodb/);
    expect(found.join('\n')).toMatch(/api never imports handlers/);
    expect(found.join('\n')).toMatch(/handlers\/api\.ts -> local\/main\.ts/);
    expect(found.join('\n')).toMatch(/adapters\/z\.ts -> lambdas\/handlers\/wiring\.ts/);
    expect(found.join('\n')).toMatch(/connectors\/atlas\/index\.ts -> lambdas\/adapters\/ids\.ts/);
    expect(found.join('\n')).toMatch(/the sandbox shares no code/);
  });

  it('finds a cycle, type-only imports included, and none in a tree', () => {
    const graph: Graph = new Map([
      ['lambdas/api/auth.ts', ['lambdas/api/router.ts']],
      ['lambdas/api/router.ts', ['lambdas/api/auth.ts', 'lambdas/core/errors.ts']],
      ['lambdas/core/errors.ts', []],
    ]);
    expect(cycles(graph)).toEqual(['lambdas/api/auth.ts -> lambdas/api/router.ts -> lambdas/api/auth.ts']);
    graph.set('lambdas/api/router.ts', ['lambdas/core/errors.ts']);
    expect(cycles(graph)).toEqual([]);
  });
});
