import { build } from 'esbuild';

const r = await build({
  entryPoints: ['lambdas/handlers/intake.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  mainFields: ['module', 'main'],
  write: false,
  metafile: true,
  outfile: '/tmp/x.mjs',
  logLevel: 'silent',
});
const out = Object.values(r.metafile.outputs)[0]!;
const by = new Map<string, number>();
for (const [f, v] of Object.entries(out.inputs)) {
  const m = f.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  const k = m ? m[1]! : 'leaver';
  by.set(k, (by.get(k) ?? 0) + v.bytesInOutput);
}
const groups = new Map<string, number>();
for (const [k, v] of by) {
  const g =
    k.startsWith('@aws-sdk') || k.startsWith('@smithy') || k.startsWith('@aws-crypto')
      ? 'aws-sdk+smithy'
      : k.startsWith('@aws-lambda-powertools')
        ? 'powertools'
        : k;
  groups.set(g, (groups.get(g) ?? 0) + v);
}
console.log(
  [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KiB`)
    .join('\n'),
);
