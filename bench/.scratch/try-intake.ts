import '../support/env.ts';
import { startDynaliteProcess } from '../support/processes.ts';
import { measureIntake } from '../intake.ts';
const d = await startDynaliteProcess();
try {
  const r = await measureIntake({ dynamoEndpoint: d.url, requests: Number(process.argv[2] ?? 1000), concurrency: Number(process.argv[3] ?? 16), warmup: 100 });
  console.log(JSON.stringify(r, null, 1));
} finally { await d.stop(); }
