import './support/env.ts';
import { readFileSync } from 'node:fs';
import { measureSingleLeaver } from './single-leaver.ts';
import { SandboxClient } from './support/control.ts';
import { startDynaliteProcess, startSandboxProcess } from './support/processes.ts';

const n = Number(process.argv[2] ?? 100);
const modes = (process.argv[3] ?? 'dynalite,memory').split(',') as ('dynalite' | 'memory')[];
const reps = Number(process.argv[4] ?? 2);
const dynalite = await startDynaliteProcess();
const sp = await startSandboxProcess(true);
const sandbox = new SandboxClient(sp.url, true);
const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const self = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
try {
  for (let i = 0; i < reps; i++)
    for (const storage of modes) {
      const c0 = [self(), cpu(dynalite.process.pid!), cpu(sp.process.pid!)];
      const r = await measureSingleLeaver({
        sandbox,
        dynamoEndpoint: dynalite.url,
        tenantsPerVendor: n,
        latencyMs: 40,
        storage,
      });
      const c1 = [self(), cpu(dynalite.process.pid!), cpu(sp.process.pid!)];
      const d = c1.map((x, j) => (x - c0[j]!).toFixed(2));
      console.log(
        storage,
        (r.fromWebhookMs / 1000).toFixed(2),
        r.status,
        r.remaining,
        `cpu leaver ${d[0]} dynalite ${d[1]} sandbox ${d[2]}`,
      );
    }
} finally {
  await sp.stop();
  await dynalite.stop();
}
process.exit(0);
