/**
 * The shared rate budget on dynalite, driven with explicit clock values (deterministic): a lone
 * caller gets the whole burst and then the whole rate; several callers (separate instances, as
 * separate processes would be) together never get more than burst + rate x elapsed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRateBudget } from '../../../lambdas/adapters/dynamo-rate-budget.ts';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { credentials, region, uniqueName } from './support.ts';

let server: RunningDynalite;
let client: DynamoDBClient;
let table: string;

beforeAll(async () => {
  server = await startDynalite();
  client = new DynamoDBClient({ endpoint: server.endpoint, region, credentials });
  table = uniqueName('off');
  await createTables(client, { offboardingsTable: table, auditTable: uniqueName('audit') });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

const spec = { perSecond: 10, burst: 5 };
const T0 = 1_800_000_000_000;

describe('DynamoRateBudget', () => {
  it('gives a lone caller the burst, then one token per 1/rate, and says how long to wait', async () => {
    const budget = new DynamoRateBudget({ client, tableName: table });
    // readyInMs: when the next token will be there (0: there are more now).
    expect(await budget.take('lone', 3, spec, T0)).toEqual({ granted: 3, readyInMs: 0 });
    expect(await budget.take('lone', 3, spec, T0)).toEqual({ granted: 2, readyInMs: 100 });
    expect(await budget.take('lone', 1, spec, T0)).toEqual({ granted: 0, waitMs: 100 });
    expect(await budget.take('lone', 4, spec, T0 + 100)).toEqual({ granted: 1, readyInMs: 100 });
    expect(await budget.take('lone', 1, spec, T0 + 150)).toEqual({ granted: 0, waitMs: 50 });
    // Seconds later the bucket is full again, and never fuller.
    expect(await budget.take('lone', 9, spec, T0 + 5_000)).toEqual({ granted: 5, readyInMs: 100 });
  });

  it('keeps several callers together within burst + rate x elapsed, whatever the interleaving', async () => {
    const callers = [0, 1, 2].map(() => new DynamoRateBudget({ client, tableName: table }));
    let granted = 0;
    // A fixed pseudo-random interleaving: callers ask at shared times, in varying order and sizes.
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step <= 20; step++) {
      const now = T0 + 10_000 + step * 100;
      for (const c of [...callers].sort(() => rnd() - 0.5)) {
        const r = await c.take('shared', 1 + Math.floor(rnd() * 3), spec, now);
        granted += r.granted;
      }
      expect(granted).toBeLessThanOrEqual(spec.burst + (spec.perSecond * step * 100) / 1000);
    }
    // And they used it: every token the budget had was taken by someone.
    expect(granted).toBe(spec.burst + (spec.perSecond * 20 * 100) / 1000);
  });
});
