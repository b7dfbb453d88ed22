import '../support/env.ts';
import { measureSingleLeaver } from '../single-leaver.ts';
import { SandboxClient } from '../support/control.ts';
import { startDynaliteProcess, startSandboxProcess } from '../support/processes.ts';

const d = await startDynaliteProcess();
const s = await startSandboxProcess(true);
try {
  const sandbox = new SandboxClient(s.url, true);
  for (const n of (process.argv[2] ?? '10').split(',').map(Number)) {
    const r = await measureSingleLeaver({
      sandbox,
      dynamoEndpoint: d.url,
      tenantsPerVendor: n,
      latencyMs: 40,
      storage: (process.argv[3] as 'memory') ?? 'dynalite',
    });
    console.log(JSON.stringify(r));
    const log = await sandbox.requests();
    const byRoute = new Map<string, number>();
    for (const e of log) {
      const k = `${e.vendor} ${e.method} ${e.path.replace(/[0-9a-f]{24}|[0-9a-f-]{36}/g, '{id}')} ${e.status}`;
      byRoute.set(k, (byRoute.get(k) ?? 0) + 1);
    }
    const t0 = Math.min(...log.map((e) => Date.parse(e.at)));
    const buckets = new Map<number, Record<string, number>>();
    for (const e of log) {
      const b = Math.floor((Date.parse(e.at) - t0) / 250);
      const r = buckets.get(b) ?? {};
      const k = e.method;
      r[k] = (r[k] ?? 0) + 1;
      buckets.set(b, r);
    }
    console.log(
      [...buckets]
        .sort((a, b) => a[0] - b[0])
        .map(([b, r]) => `${b * 250}ms ${JSON.stringify(r)}`)
        .join('\n'),
    );
    if (n <= 1)
      console.log(
        [...byRoute]
          .sort()
          .map(([k, v]) => `${v}\t${k}`)
          .join('\n'),
      );
  }
} finally {
  await d.stop();
  await s.stop();
}
