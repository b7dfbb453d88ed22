/**
 * One rate budget shared by several processes, against the sandbox's own rate limit over real
 * HTTP: three processes call the same Cloud Manager tenant at once, each through Leaver's HTTP
 * layer with the budget kept in dynalite. The sandbox refuses (429) anything beyond its bucket, so
 * its request log tells whether the processes together stayed within the limit. Each process alone
 * would send at the whole rate: without the shared budget the three together send three times it.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDynalite, startDynalite } from '../../local/adapters/dynalite-server.ts';
import { createTables } from '../../local/adapters/table-setup.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';

const ORG = '5f1a00000000000000000b01';
const KEY = { publicKey: 'cmbudget', privateKey: 'cm-budget-key' };
const CALLER = resolve(import.meta.dirname, '../support/budget-caller.ts');

let dynalite: RunningDynalite;
let sandbox: Sandbox;
const table = 'leaver-budget-offboardings';

beforeAll(async () => {
  dynalite = await startDynalite({ host: '127.0.0.1' });
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTables(client, { offboardingsTable: table, auditTable: 'leaver-budget-audit' });
  client.destroy();
  sandbox = await startSandbox({
    seed: {
      cloudmanager: {
        orgs: [{ id: ORG, name: 'Budget Corp' }],
        apiKeys: [{ ...KEY, roles: [{ orgId: ORG, roleName: 'ORG_OWNER' }] }],
      },
    },
  });
});

afterAll(async () => {
  await sandbox?.close();
  await dynalite?.close();
});

interface CallerResult {
  ok: number;
  rateLimited: number;
}

function caller(input: Record<string, unknown>): Promise<CallerResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CALLER], {
      env: { ...process.env, BUDGET_CALLER: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) return fail(new Error(`budget caller exited ${code}: ${err}`));
      ok(JSON.parse(line) as CallerResult);
    });
  });
}

describe('the rate budget shared by several processes', () => {
  it('three processes at once never take the tenant past its limit: no 429 from the vendor', async () => {
    // The vendor's bucket: 20 at once, 12 a second. The tenant's configured limit (what each
    // process would take alone): 10 a second, 5 at once, a little under the vendor's, as an
    // operator configures it from the documentation.
    sandbox.control.setRateLimit('cloudmanager', { capacity: 20, refillPerSecond: 12 });
    sandbox.control.clearRequests();
    const input = {
      dynamo: dynalite.endpoint,
      table,
      baseUrl: sandbox.urls.cloudmanager.base,
      orgId: ORG,
      ...KEY,
      rate: { perSecond: 10, burst: 5 },
      requests: 20,
      concurrency: 8,
      startAt: Date.now() + 3_000,
    };
    const results = await Promise.all([caller(input), caller(input), caller(input)]);

    expect(results.map((r) => r.ok)).toEqual([20, 20, 20]);
    const api = sandbox.control
      .requests()
      .filter((e) => e.vendor === 'cloudmanager' && e.path.endsWith('/invites'));
    expect(api.filter((e) => e.status === 429)).toEqual([]);
    expect(api.filter((e) => e.status === 200)).toHaveLength(60);
    expect(results.map((r) => r.rateLimited)).toEqual([0, 0, 0]);
  }, 120_000);
});
