import '../support/env.ts';
import { measureMassLayoff } from '../mass-layoff.ts';
import { SandboxClient } from '../support/control.ts';
import { startDynaliteProcess, startSandboxProcess } from '../support/processes.ts';

const d = await startDynaliteProcess();
const s = await startSandboxProcess(true);
try {
  const sandbox = new SandboxClient(s.url, true);
  const n = 300;
  const f = n / 1000;
  const r = await measureMassLayoff({
    sandbox,
    dynamoEndpoint: d.url,
    leavers: n,
    latencyMs: 10,
    workerConcurrency: 4,
    storage: 'memory',
    atlasClientShare: 1,
    rates: {
      itwin: { capacity: 50, refillPerSecond: 45 * f },
      atlas: { capacity: 50, refillPerSecond: 45 * f },
      cloudmanager: { capacity: 50, refillPerSecond: 50 * f },
    },
  });
  const { buckets, statuses, ...rest } = r;
  console.log(JSON.stringify(rest));
  console.log(JSON.stringify(buckets));
} finally {
  await d.stop();
  await s.stop();
}
