const fs = require('fs');
const f = process.argv[2];
const p = JSON.parse(fs.readFileSync(f));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]);
  const d = dt[i] || 0;
  total += d;
  const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*work\/main\//, '').replace(/.*node_modules\//, 'nm/')}:${n.callFrame.lineNumber}`;
  self.set(key, (self.get(key) || 0) + d);
}
// aggregate by file
const byFile = new Map();
for (const [k, v] of self) {
  const file = k.split(' ')[1].split(':')[0];
  byFile.set(file, (byFile.get(file) || 0) + v);
}
console.log('total ms', (total / 1000).toFixed(0));
console.log(
  [...byFile]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => `${(v / 1000).toFixed(0)}ms ${k}`)
    .join('\n'),
);
console.log('---');
console.log(
  [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => `${(v / 1000).toFixed(0)}ms ${k}`)
    .join('\n'),
);
