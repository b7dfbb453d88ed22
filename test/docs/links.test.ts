/**
 * The repository stands alone: every link between its Markdown documents resolves (file and
 * anchor), every `docs/<file>.md#<anchor>` a source comment cites exists, and no source file points
 * at documents outside the repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = relative(ROOT, fileURLToPath(import.meta.url));
const SKIP = new Set(['node_modules', '.git', 'cdk.out', 'coverage']);

function files(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(ROOT, path)];
  });
}

const ALL = files();
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** GitHub's heading ids: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2... */
function anchorsOf(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of text.matchAll(/<a id="([^"]+)"><\/a>/g)) ids.add(m[1]!);
  for (const m of text.matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** `[text](target)` links of a Markdown file that point inside the repository. */
function localLinks(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

function problemsOf(target: string, from: string): string | undefined {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  const file = path === '' ? from : normalize(join(dirname(from), path));
  if (!existsSync(join(ROOT, file))) return `${file} does not exist`;
  if (anchor === undefined || !file.endsWith('.md')) return undefined;
  return anchorsOf(read(file)).has(anchor) ? undefined : `${file} has no anchor #${anchor}`;
}

describe('documentation links', () => {
  const markdown = ALL.filter((f) => f.endsWith('.md'));

  it('finds the documents', () => {
    expect(markdown).toContain('README.md');
    expect(markdown.filter((f) => f.startsWith('docs/')).length).toBeGreaterThanOrEqual(10);
  });

  it('every relative link in every Markdown file resolves, anchors included', () => {
    const broken = markdown.flatMap((file) =>
      localLinks(read(file)).flatMap((target) => {
        const problem = problemsOf(target, file);
        return problem ? [`${file}: (${target}) ${problem}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('the anchor reader sees explicit ids, headings and repeats (or this test proves nothing)', () => {
    const ids = anchorsOf(
      '<a id="x-y"></a>\n## The `leaver` CLI\n### Errors\n### Errors\n```\n# not one\n```\n',
    );
    expect([...ids].sort()).toEqual(['errors', 'errors-1', 'the-leaver-cli', 'x-y']);
    expect(problemsOf('docs/vendors.md#no-such-anchor', 'README.md')).toMatch(/no anchor/);
    expect(problemsOf('no-such-file.md', 'README.md')).toMatch(/does not exist/);
  });
});

describe('source comments cite documents in the repository', () => {
  const sources = ALL.filter((f) => /\.(ts|js|mjs|json|yaml|sh)$/.test(f) || f === '.ci/run').filter(
    (f) => f !== SELF && !f.startsWith('test/fixtures/') && f !== 'package-lock.json',
  );

  it('every docs/<file>.md#<anchor> cited in code exists', () => {
    const broken = sources.flatMap((file) =>
      [...read(file).matchAll(/\bdocs\/([a-z0-9-]+\.md)(#[a-z0-9-]+)?/g)].flatMap((m) => {
        const problem = problemsOf(`docs/${m[1]}${m[2] ?? ''}`, 'README.md');
        return problem ? [`${file}: ${m[0]}: ${problem}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('no file points at a document outside the repository', () => {
    // Built from parts so this file does not match itself. In Markdown, the vendor and HR-source
    // documents named without a folder are the ones under docs/ (their links are checked above).
    const anywhere = ['\\.\\./shared', 'shared/' + 'specs', 'DES' + 'IGN'];
    const inCode = new RegExp([...anywhere, '(?<!docs/)vendors\\.md', '(?<!docs/)hr-sources\\.md'].join('|'));
    const inMarkdown = new RegExp(anywhere.join('|'));
    const found = ALL.flatMap((file) => {
      const pattern = sources.includes(file) ? inCode : file.endsWith('.md') ? inMarkdown : undefined;
      if (!pattern) return [];
      return read(file)
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(found).toEqual([]);
  });
});
