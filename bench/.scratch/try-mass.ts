import '../support/env.ts';
import { measureMassLayoff } from '../mass-layoff.ts';
import { SandboxClient } from '../support/control.ts';
import { startDynaliteProcess, startSandboxProcess } from '../support/processes.ts';

const d = await startDynaliteProcess();
const s = await startSandboxProcess(true);
try {
  const sandbox = new SandboxClient(s.url, true);
  const n = Number(process.argv[2] ?? 100);
  const f = n / 1000;
  const r = await measureMassLayoff({
    sandbox,
    dynamoEndpoint: d.url,
    leavers: n,
    latencyMs: 10,
    workerConcurrency: Number(process.argv[4] ?? 4),
    storage: (process.argv[3] as 'memory') ?? 'dynalite',
    rates: {
      itwin: { capacity: 50, refillPerSecond: 45 * f },
      atlas: { capacity: 50, refillPerSecond: 45 * f },
      cloudmanager: { capacity: 50, refillPerSecond: 50 * f },
    },
  });
  console.log(JSON.stringify(r, null, 1));
} finally {
  await d.stop();
  await s.stop();
}
