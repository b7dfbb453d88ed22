/**
 * The shared rate budget (issue 14): processes calling one Cloud Manager tenant of the sandbox
 * through Leaver's HTTP layer, the budget kept in DynamoDB (the benchmark's dynalite process). The
 * sandbox enforces the vendor's bucket and answers 429 beyond it.
 *
 *   rateBudget.loneCallerShare: one process alone; requests it completed beyond its burst per
 *     second, over the limit's refill rate (target: at least 0.9: a lone caller gets the limit).
 *   rateBudget.rateLimited: four processes at once; the 429s the sandbox sent (target: 0).
 *
 * The tenant is configured with the vendor's own rate and half its burst (headroom for requests
 * that reach the vendor later than they were let go).
 */
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables } from '../local/adapters/table-setup.ts';
import type { SandboxClient } from './support/control.ts';
import { spawnTs } from './support/processes.ts';

const ORG = '5f1a0000000000000000bb01';
const KEY = { publicKey: 'cmbudgetbench', privateKey: 'cm-budget-bench-key' };
const VENDOR = { capacity: 20, refillPerSecond: 50 };
const TENANT_RATE = { perSecond: 50, burst: 10 };
const CALLER = resolve(import.meta.dirname, '../test/support/budget-caller.ts');

export interface RateBudgetResult {
  limitPerSecond: number;
  lone: { requests: number; seconds: number; perSecond: number };
  loneCallerShare: number;
  several: { processes: number; requests: number; seconds: number; perSecond: number };
  rateLimited: number;
}

interface CallerOut {
  ok: number;
  rateLimited: number;
  startedAt: number;
  finishedAt: number;
  done: number[];
}

function runCaller(input: Record<string, unknown>): Promise<CallerOut> {
  const child = spawnTs(CALLER, { BUDGET_CALLER: JSON.stringify(input) });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) return fail(new Error(`budget caller exited ${code}: ${err}`));
      ok(JSON.parse(line) as CallerOut);
    });
  });
}

export async function measureRateBudget(opts: {
  sandbox: SandboxClient;
  dynamoEndpoint: string;
  latencyMs: number;
}): Promise<RateBudgetResult> {
  const { sandbox } = opts;
  const dynamo = new DynamoDBClient({
    endpoint: opts.dynamoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const table = `budget-${Date.now().toString(36)}`;
  await createTables(dynamo, { offboardingsTable: table, auditTable: `${table}-audit` });
  dynamo.destroy();
  await sandbox.clearFaults();
  await sandbox.seed({
    cloudmanager: {
      orgs: [{ id: ORG, name: 'Budget Corp' }],
      apiKeys: [{ ...KEY, roles: [{ orgId: ORG, roleName: 'ORG_OWNER' }] }],
    },
  });
  await sandbox.setRateLimit('cloudmanager', VENDOR);
  await sandbox.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: opts.latencyMs } });
  const base = {
    dynamo: opts.dynamoEndpoint,
    table,
    baseUrl: sandbox.urls.cloudmanager.base,
    orgId: ORG,
    ...KEY,
    rate: TENANT_RATE,
    concurrency: 16,
  };
  try {
    // One caller alone: everything it completes beyond its burst, per second of its run.
    const lone = await runCaller({ ...base, requests: 500, startAt: Date.now() + 2_000 });
    const loneSeconds = (lone.finishedAt - lone.startedAt) / 1000;
    const lonePerSecond = (lone.ok - TENANT_RATE.burst) / loneSeconds;
    // Four at once, after the vendor's bucket has refilled.
    await new Promise((r) => setTimeout(r, 2_000));
    await sandbox.clearRequests();
    const startAt = Date.now() + 4_000;
    const outs = await Promise.all(
      Array.from({ length: 4 }, () => runCaller({ ...base, requests: 150, startAt })),
    );
    const log = await sandbox.requests();
    const api = log.filter((e) => e.vendor === 'cloudmanager' && e.status !== 401);
    const first = Math.min(...outs.map((o) => o.startedAt));
    const last = Math.max(...outs.map((o) => o.finishedAt));
    const total = outs.reduce((n, o) => n + o.ok, 0);
    return {
      limitPerSecond: VENDOR.refillPerSecond,
      lone: { requests: lone.ok, seconds: round(loneSeconds, 2), perSecond: round(lonePerSecond, 1) },
      loneCallerShare: round(lonePerSecond / VENDOR.refillPerSecond, 3),
      several: {
        processes: outs.length,
        requests: total,
        seconds: round((last - first) / 1000, 2),
        perSecond: round(total / ((last - first) / 1000), 1),
      },
      rateLimited: api.filter((e) => e.status === 429).length,
    };
  } finally {
    await sandbox.clearFaults();
  }
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
