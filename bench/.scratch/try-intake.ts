import '../support/env.ts';
import { measureDynalitePuts, measureIntake } from '../intake.ts';
import { startDynaliteProcess } from '../support/processes.ts';

const d = await startDynaliteProcess();
try {
  console.log('dynalite puts/s', await measureDynalitePuts(d.url));
  const r = await measureIntake({
    dynamoEndpoint: d.url,
    requests: 2000,
    concurrency: 16,
    warmup: 200,
    storage: 'memory',
  });
  console.log(JSON.stringify(r));
} finally {
  await d.stop();
}
