/**
 * The end-to-end harness: the Lambda handlers wired from the Lambda environment onto moto_server
 * (DynamoDB, SQS, Secrets Manager) and the vendor sandbox over HTTP. `work()` plays the SQS event
 * source mapping: it receives messages, invokes the worker handler with them, deletes the ones
 * that succeeded and makes the failed ones visible again.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { ScheduledEvent, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/adapters/dynamo-audit-log.ts';
import { systemClock } from '../../../lambdas/adapters/system-clock.ts';
import type { LeaverConfigInput } from '../../../lambdas/core/config.ts';
import type { ActionResult, AuditRecord, Grant, Offboarding } from '../../../lambdas/core/model.ts';
import { getConfig, resetConfigCache } from '../../../lambdas/handlers/config-loader.ts';
import { handler as dueSweepHandler } from '../../../lambdas/handlers/due-sweep.ts';
import { handler as intakeHandler } from '../../../lambdas/handlers/intake.ts';
import { logger, makeCtx } from '../../../lambdas/handlers/observability.ts';
import { handler as reconcileHandler } from '../../../lambdas/handlers/reconcile.ts';
import { handler as retrySweepHandler } from '../../../lambdas/handlers/retry-sweep.ts';
import { createAwsDeps, type HandlerDeps, setDeps } from '../../../lambdas/handlers/wiring.ts';
import { handler as workerHandler } from '../../../lambdas/handlers/worker.ts';
import { sqsRecord } from '../../../local/worker-pump.ts';
import { demoSeed, type SandboxSeed } from '../../../sandbox/demo.ts';
import { type Sandbox, type SandboxUrls, startSandbox } from '../../../sandbox/index.ts';
import {
  answer,
  applyEnv,
  type HookRequest,
  hookEvent,
  lambdaContext,
  type MotoEnv,
  SOURCE_SECRETS,
  setupMoto,
  sourcesConfig,
} from '../handlers/support.ts';

export const DANA = 'dana.leaver@example.com';
export const SAM = 'sam.stays@example.com';
export const BREAKGLASS = 'breakglass-admin@example.com';
export const CM = {
  orgId: '5f1a0000000000000000c001',
  projectId: '5f1a0000000000000000c101',
  teamId: '5f1a0000000000000000c201',
};
export const ATLAS = {
  orgId: '6a1b0000000000000000a001',
  projectId: '6a1b0000000000000000a101',
  teamId: '6a1b0000000000000000a201',
};
export const ITWIN_1 = '7c0f0a3e-0000-4000-8000-000000000001';

export const VENDOR_SECRETS = {
  'vendors/itwin': { clientId: 'service-leaver-demo', clientSecret: 'itwin-demo-secret-0001' },
  'vendors/atlas': { clientId: 'mdb_sa_id_demo0001', clientSecret: 'mdb_sa_sk_demo-secret-0001' },
  'vendors/cloudmanager': { publicKey: 'cmdemopub', privateKey: 'cm-demo-private-key-0001' },
};

/** iTwin's group PATCH takes at most this many member emails (docs/vendors.md#itwin-groups). */
export const ITWIN_GROUP_PATCH_LIMIT = 50;

/**
 * The demo seed with the leaver's big iTwin group grown past what one PATCH can express: removing
 * her would have to name more than ITWIN_GROUP_PATCH_LIMIT others (the leaver stays last).
 */
export function overLimitSeed(): SandboxSeed {
  const seed = structuredClone(demoSeed);
  const groups = (seed.itwin?.itwins ?? []).flatMap((t) => t.groups ?? []);
  const big = groups
    .filter((g) => (g.members ?? []).includes(DANA))
    .sort((x, y) => (y.members?.length ?? 0) - (x.members?.length ?? 0))[0];
  if (!big) throw new Error('the demo seed has no iTwin group with the leaver');
  const others = (big.members ?? []).filter((m) => m !== DANA);
  const extra = Array.from(
    { length: ITWIN_GROUP_PATCH_LIMIT + 5 - others.length },
    (_, i) => `extra${i}@example.com`,
  );
  big.members = [...others, ...extra, DANA];
  return seed;
}

export function e2eConfig(
  prefix: string,
  urls: SandboxUrls,
  safety: LeaverConfigInput['safety'] = {},
): LeaverConfigInput {
  return {
    tenants: [
      {
        id: 'itwin-demo',
        vendor: 'itwin',
        baseUrl: urls.itwin.accessControl,
        tokenUrl: urls.itwin.token,
        secretName: `${prefix}/vendors/itwin`,
        itwinIds: 'all',
        itwinsUrl: urls.itwin.itwins,
      },
      {
        id: 'atlas-demo',
        vendor: 'atlas',
        baseUrl: urls.atlas.base,
        auth: 'service_account',
        tokenUrl: urls.atlas.token,
        secretName: `${prefix}/vendors/atlas`,
        orgId: ATLAS.orgId,
        projectIds: [ATLAS.projectId],
        teamIds: [ATLAS.teamId],
        // The sandbox's own Atlas buckets (100 at once, 10/s). The documented default (10 at once,
        // 5 a minute) is one budget for every run of this file (it is shared through the table, as
        // in AWS), so later runs would wait minutes for it.
        rateLimit: { perSecond: 10, burst: 100 },
      },
      {
        id: 'cloudmanager-demo',
        vendor: 'cloudmanager',
        baseUrl: urls.cloudmanager.base,
        secretName: `${prefix}/vendors/cloudmanager`,
        orgId: CM.orgId,
        projectIds: [CM.projectId],
        teamIds: [CM.teamId],
      },
    ],
    sources: sourcesConfig(prefix),
    safety: {
      protectedEmails: [BREAKGLASS],
      protectedDomains: ['apps.imsoidc.bentley.com'],
      blastRadius: { maxOffboardings: 500, windowMinutes: 60, maxPercentOfPeople: 25 },
      ...safety,
    },
    worker: { verifyRounds: 1, batchSize: 10 },
  };
}

export interface Pipeline {
  moto: MotoEnv;
  sandbox: Sandbox;
  deps: HandlerDeps;
  /** Moves the engine's clock (intake, worker, schedules) this far ahead of real time. */
  shiftClock(ms: number): void;
  /** Replaces the dependencies the handlers use (e.g. a store that fails) until `restore()`. */
  use(deps: HandlerDeps): void;
  restore(): void;
  hook(req: HookRequest): Promise<ReturnType<typeof answer>>;
  /** Runs the worker over the queue until it is empty (or `maxRounds`); returns the verdicts seen. */
  work(opts?: {
    remainingMs?: number;
    maxRounds?: number;
  }): Promise<{ processed: string[]; retried: string[] }>;
  dueSweep(): Promise<void>;
  reconcile(): Promise<void>;
  retrySweep(): Promise<void>;
  offboarding(id: string): Promise<Offboarding>;
  actions(id: string): Promise<ActionResult[]>;
  records(id: string): Promise<AuditRecord[]>;
  /** What the connectors still find for `email` at every configured tenant. */
  remaining(email: string): Promise<Grant[]>;
}

function toRecord(m: {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
  Attributes?: Record<string, string>;
}) {
  return sqsRecord({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    receiveCount: m.Attributes?.ApproximateReceiveCount ?? 1,
    sentAt: m.Attributes?.SentTimestamp ?? 0,
    region: 'us-east-1',
  });
}

export async function startPipeline(
  endpoint: string,
  sandbox: Sandbox,
  safety: LeaverConfigInput['safety'] = {},
): Promise<Pipeline> {
  const moto = await setupMoto(endpoint, { ...SOURCE_SECRETS, ...VENDOR_SECRETS }, (prefix) =>
    e2eConfig(prefix, sandbox.urls, safety),
  );
  applyEnv(moto.env);
  resetConfigCache();
  // Built exactly as a Lambda cold start builds them, from the environment.
  const base = createAwsDeps(process.env, getConfig());
  let current = base;
  setDeps(base, 'aws');
  const audit = new DynamoAuditLog({
    client: moto.dynamo,
    tableName: moto.tables.auditTable,
    clock: systemClock,
  });
  const schedule: ScheduledEvent = {
    version: '0',
    id: 'e2e',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: {},
  };

  const p: Pipeline = {
    moto,
    sandbox,
    get deps() {
      return current;
    },
    shiftClock(ms) {
      current = { ...current, clock: { now: () => new Date(Date.now() + ms) } };
      setDeps(current, 'aws');
    },
    use(deps) {
      current = deps;
      setDeps(deps, 'aws');
    },
    restore() {
      current = base;
      setDeps(base, 'aws');
    },
    async hook(req) {
      return answer(await intakeHandler(hookEvent(req), lambdaContext('leaver-intake')));
    },
    async work(opts = {}) {
      const processed: string[] = [];
      const retried: string[] = [];
      for (let round = 0; round < (opts.maxRounds ?? 10); round++) {
        const r = await moto.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: moto.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 120,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const messages = r.Messages ?? [];
        if (messages.length === 0) break;
        const event: SQSEvent = { Records: messages.map(toRecord) };
        const res = await workerHandler(event, lambdaContext('leaver-worker', opts.remainingMs ?? 300_000));
        const failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        const ok = messages.filter((m) => !failed.has(m.MessageId!));
        const bad = messages.filter((m) => failed.has(m.MessageId!));
        for (const m of messages) {
          const id = (JSON.parse(m.Body!) as { offboardingId: string }).offboardingId;
          (failed.has(m.MessageId!) ? retried : processed).push(id);
        }
        if (ok.length > 0) {
          await moto.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: moto.queueUrl,
              Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
        if (bad.length > 0) {
          await moto.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: moto.queueUrl,
              Entries: bad.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.ReceiptHandle!,
                VisibilityTimeout: 0,
              })),
            }),
          );
        }
      }
      return { processed, retried };
    },
    async dueSweep() {
      await dueSweepHandler(schedule, lambdaContext('leaver-due-sweep'));
    },
    async reconcile() {
      await reconcileHandler(schedule, lambdaContext('leaver-reconcile', 600_000));
    },
    async retrySweep() {
      await retrySweepHandler(schedule, lambdaContext('leaver-retry-sweep'));
    },
    async offboarding(id) {
      const o = await current.store.get(id);
      if (!o) throw new Error(`offboarding ${id} not found`);
      return o;
    },
    actions: (id) => current.store.listActions(id),
    async records(id) {
      const out: AuditRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await audit.stream(id, { limit: 500, ...(cursor ? { cursor } : {}) });
        out.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      return out;
    },
    async remaining(email) {
      const ctx = makeCtx({ deadline: Date.now() + 60_000 });
      const found: Grant[] = [];
      for (const tenant of current.config.tenants) {
        const connector = current.connectors[tenant.vendor]!;
        found.push(...(await connector.discover([{ email, aliases: [] }], tenant, ctx)));
      }
      return found;
    },
  };
  return p;
}

/**
 * The set-up the pipeline e2e files share: the demo sandbox and a pipeline on moto, started once
 * per file; before each test the sandbox is reset, the real deps are back and the queue is empty
 * (what an earlier test left queued is not the next test's business). `use` receives both once
 * they are up.
 */
export function usePipeline(endpoint: string, use: (sandbox: Sandbox, pipeline: Pipeline) => void): void {
  let sandbox: Sandbox | undefined;
  let pipeline: Pipeline | undefined;
  beforeAll(async () => {
    logger.setLogLevel('WARN');
    sandbox = await startSandbox({ seed: 'demo' });
    pipeline = await startPipeline(endpoint, sandbox);
    use(sandbox, pipeline);
  });
  afterAll(async () => {
    pipeline?.moto.close();
    await sandbox?.close();
  });
  beforeEach(async () => {
    sandbox!.control.reset();
    pipeline!.restore();
    await pipeline!.moto.receiveIds();
  });
}
