/**
 * One process calling a Cloud Manager tenant of the sandbox through Leaver's own HTTP layer with
 * the rate budget shared through DynamoDB (dynalite): the test of the shared budget and the
 * benchmark start several of these at once. Input: the JSON in BUDGET_CALLER; output: one JSON line.
 *
 *   { dynamo, table, baseUrl, orgId, publicKey, privateKey, rate: { perSecond, burst },
 *     requests, concurrency, startAt? (epoch ms: all callers begin together), shared? (default true) }
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRateBudget } from '../../lambdas/adapters/dynamo-rate-budget.ts';
import { TenantClients } from '../../lambdas/connectors/common/tenant-http.ts';
import { nodeFetchTransport } from '../../lambdas/connectors/http/transport.ts';
import { mapLimit } from '../../lambdas/core/concurrency.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import type { Ctx, Log } from '../../lambdas/core/ports.ts';

interface Input {
  dynamo: string;
  table: string;
  baseUrl: string;
  orgId: string;
  publicKey: string;
  privateKey: string;
  rate: { perSecond: number; burst: number };
  requests: number;
  concurrency: number;
  startAt?: number;
  shared?: boolean;
}

const input = JSON.parse(process.env.BUDGET_CALLER ?? '{}') as Input;
const dynamo = new DynamoDBClient({
  endpoint: input.dynamo,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const tenant = parseConfig({
  tenants: [
    {
      id: 'cm-budget',
      vendor: 'cloudmanager',
      baseUrl: input.baseUrl,
      orgId: input.orgId,
      secretName: 'cm',
      rateLimit: input.rate,
      maxConcurrency: 64,
    },
  ],
}).tenants[0]!;
const secrets = {
  get: async <T>() => ({ publicKey: input.publicKey, privateKey: input.privateKey }) as T,
  invalidate: () => {},
};
const clients = new TenantClients({
  secrets,
  fetch: nodeFetchTransport,
  ...(input.shared === false
    ? {}
    : { budget: new DynamoRateBudget({ client: dynamo, tableName: input.table }) }),
});
const http = clients.get(tenant, { type: 'digest' }, { accept: 'application/json' });
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
let rateLimited = 0;
const ctx: Ctx = {
  deadline: Date.now() + 600_000,
  log: quiet,
  onVendorCall: (c) => {
    if (c.status === 429) rateLimited++;
  },
};
const url = `${input.baseUrl.replace(/\/+$/, '')}/orgs/${input.orgId}/invites`;

if (input.startAt && input.startAt > Date.now())
  await new Promise((r) => setTimeout(r, input.startAt! - Date.now()));
const started = Date.now();
let ok = 0;
const done: number[] = [];
await mapLimit(Array.from({ length: input.requests }), input.concurrency, async () => {
  const res = await http.request({ method: 'GET', url, route: '/orgs/{id}/invites' }, ctx);
  if (res.status === 200) ok++;
  done.push(Date.now());
});
process.stdout.write(
  `${JSON.stringify({ ok, rateLimited, startedAt: started, finishedAt: Date.now(), done })}\n`,
);
dynamo.destroy();
process.exit(0);
