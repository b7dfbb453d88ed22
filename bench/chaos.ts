/**
 * `npm run chaos` (and `npm run chaos:ci`, the short form: `--ci`): Leaver under faults.
 *
 * - moto_server (SQS + DynamoDB + Secrets Manager) started here; worker PROCESSES (bench/chaos-worker.ts)
 *   play the SQS event source for the real worker Lambda handler with a short visibility timeout, so a
 *   killed worker's messages come back; the parent sends the webhooks through the intake handler and
 *   runs the due and retry sweeps every few seconds, as EventBridge would.
 * - The sandbox (own process) injects ~20% 5xx, 10% 429, connection resets and hung requests on every
 *   vendor call (tokens included); client timeouts are 2 s so hung requests end.
 * - Workers are SIGKILLed mid-batch and replaced. Full form: several workers at once in real time (a
 *   killed worker's offboardings wait out its lease: its deadline + 60 s). CI form: one worker at a
 *   time, the replacement's clock moved past the dead worker's lease (see chaos-worker.ts).
 *
 * Then it checks: every grant revoked in sandbox state; each vendor effect once (repeats are 404 =
 * already_absent); every action audited; every hash chain verifies (verifyStream); nothing left
 * `running`. Exits 1 when a check fails.
 */
import './support/env.ts';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  createTables,
  DynamoAuditLog,
  DynamoOffboardingStore,
  systemClock,
} from '../lambdas/adapters/index.ts';
import { verifyStream } from '../lambdas/core/audit-chain.ts';
import { parseConfig } from '../lambdas/core/config.ts';
import type { AuditRecord, Offboarding } from '../lambdas/core/model.ts';
import { runDueSweep } from '../lambdas/handlers/due-sweep.ts';
import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { runRetrySweep } from '../lambdas/handlers/retry-sweep.ts';
import { createAwsDeps, setDeps } from '../lambdas/handlers/wiring.ts';
import { callKind, summarise } from './support/calls.ts';
import {
  auditedGrants,
  type CheckResult,
  checkAudited,
  checkChains,
  checkEffectsOnce,
  checkFinished,
  checkNothingLeft,
} from './support/chaos-checks.ts';
import { SandboxClient } from './support/control.ts';
import { spawnTs, startMoto, startSandboxProcess, stopChild } from './support/processes.ts';
import { massLayoffScenario } from './support/scenario.ts';
import { remainingGrants } from './support/state.ts';
import { terminationEvent } from './support/webhooks.ts';

const CI = process.argv.includes('--ci');
const P = CI
  ? {
      leavers: 10,
      workers: 1,
      kills: 2,
      visibilityS: 5,
      budgetMs: 60_000,
      limitS: 80,
      killAfterMs: [1000, 3000],
      dueSweepS: 30,
    }
  : {
      leavers: 60,
      workers: 3,
      kills: 5,
      visibilityS: 10,
      budgetMs: 40_000,
      limitS: 480,
      killAfterMs: [1000, 4000],
      dueSweepS: 60,
    };
/** CI form: how far each replacement worker's clock jumps (past the dead worker's deadline + 60 s lease margin). */
const LEASE_JUMP_MS = P.budgetMs + 70_000;

const started = Date.now();
const say = (m: string) =>
  process.stdout.write(`[chaos ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);

const moto = await startMoto();
const sandboxProc = await startSandboxProcess();
const sandbox = new SandboxClient(sandboxProc.url);
const workers = new Set<{ child: ChildProcess; busy: boolean; offset: number }>();
let exitCode = 1;
try {
  // ---- vendor state and faults
  // Atlas at 10/s a bucket (the sandbox's own default limit) instead of the connector's cautious
  // 1/s default, which a 429 halves: the run is about faults, not about Atlas's slowest setting.
  const sc = massLayoffScenario(P.leavers, sandbox.urls, {
    stayers: 10,
    verifyRounds: 3,
    tenantRates: { atlas: { perSecond: 10, burst: 10 } },
  });
  const config = {
    ...sc.config,
    tenants: (sc.config.tenants ?? []).map((t) => ({ ...t, timeoutMs: 2_000, maxConcurrency: 8 })),
    schedules: { retryMinutes: 1, retry: { maxAttempts: 20, baseDelayMinutes: 0.05, maxDelayMinutes: 0.1 } },
  };
  parseConfig(config);
  await sandbox.seed(sc.seed);
  for (const v of ['itwin', 'atlas', 'cloudmanager'] as const) await sandbox.setRateLimit(v, null);

  // ---- AWS on moto: tables, queue, secrets; the Lambda environment
  const prefix = `chaos-${randomUUID().slice(0, 8)}`;
  const clientConfig = {
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaos' },
  };
  const dynamo = new DynamoDBClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const sm = new SecretsManagerClient(clientConfig);
  const tables = { offboardingsTable: `${prefix}-offboardings`, auditTable: `${prefix}-audit` };
  await createTables(dynamo, tables);
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-jobs`,
        Attributes: { VisibilityTimeout: String(P.visibilityS) },
      }),
    )
  ).QueueUrl!;
  const secretNames = new Map<string, string>();
  for (const [name, value] of Object.entries(sc.secrets)) {
    secretNames.set(name, `${prefix}/${name}`);
    await sm.send(
      new CreateSecretCommand({ Name: `${prefix}/${name}`, SecretString: JSON.stringify(value) }),
    );
  }
  const rename = (n: string) => secretNames.get(n) ?? n;
  const awsConfig = {
    ...config,
    tenants: config.tenants.map((t) => ({ ...t, secretName: rename(t.secretName) })),
    sources: (config.sources ?? []).map((s) => ({ ...s, secretName: rename(s.secretName) })),
  };
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: moto.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'chaos',
    AWS_SECRET_ACCESS_KEY: 'chaos',
    OFFBOARDINGS_TABLE: tables.offboardingsTable,
    AUDIT_TABLE: tables.auditTable,
    QUEUE_URL: queueUrl,
    LEAVER_CONFIG_JSON: JSON.stringify(awsConfig),
    CHAOS_VISIBILITY_S: String(P.visibilityS),
    CHAOS_BUDGET_MS: String(P.budgetMs),
  };
  Object.assign(process.env, env);
  const base = createAwsDeps(process.env, parseConfig(awsConfig));
  let clockOffset = 0;
  setDeps({ ...base, clock: { now: () => new Date(Date.now() + clockOffset) } }, 'aws');

  // ---- faults on every vendor call
  const faults = [
    { type: 'latency' as const, distribution: { kind: 'uniform' as const, minMs: 2, maxMs: 20 } },
    { type: 'error' as const, status: 500, share: 0.1 },
    { type: 'error' as const, status: 503, share: 0.11 },
    { type: 'rate-limit' as const, share: 0.1, retryAfterSeconds: 1 },
    { type: 'reset' as const, share: 0.03 },
    { type: 'hang' as const, share: 0.02 },
  ];
  for (const f of faults) await sandbox.addFault(f);

  // ---- webhooks through the intake handler
  const ids: string[] = [];
  for (const email of sc.leavers) {
    const r = (await intakeHandler(terminationEvent(email), localContext('leaver-intake', 30_000))) as {
      statusCode: number;
      body: string;
    };
    if (r.statusCode !== 202) throw new Error(`intake answered ${r.statusCode}: ${r.body}`);
    ids.push((JSON.parse(r.body) as { offboardingId: string }).offboardingId);
  }
  say(`${ids.length} terminations accepted; ${P.workers} worker process(es), ${P.kills} kills planned`);

  // ---- worker processes, killed mid-batch
  const spawnWorker = (offset: number) => {
    const child = spawnTs(resolve(import.meta.dirname, 'chaos-worker.ts'), {
      ...env,
      CHAOS_CLOCK_OFFSET_MS: String(offset),
    });
    const w = { child, busy: false, offset };
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('CHAOS ')) {
          const ev = JSON.parse(line.slice(6)) as { event: string };
          w.busy = ev.event === 'batch-start';
        }
        nl = buf.indexOf('\n');
      }
    });
    child.stderr?.on('data', () => {});
    child.on('exit', () => workers.delete(w));
    workers.add(w);
    return w;
  };
  for (let i = 0; i < P.workers; i++) spawnWorker(0);

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let kills = 0;
  let killerDone = false;
  const revocations = async () =>
    (await sandbox.requests()).filter((e) => callKind(e) === 'revoke' && e.status !== null && e.status < 300)
      .length;
  const killer = (async () => {
    let seen = 0;
    while (kills < P.kills) {
      const [lo, hi] = P.killAfterMs as [number, number];
      await sleep(lo + Math.random() * (hi - lo));
      // Kill in the middle of revoking: after 1-4 more removals have landed at the vendors.
      const target = seen + 1 + Math.floor(Math.random() * 4);
      let victim: { child: ChildProcess; busy: boolean; offset: number } | undefined;
      for (let waited = 0; waited < 20_000 && !victim; waited += 100) {
        const busy = [...workers].find((w) => w.busy);
        if (busy && (await revocations()) >= target) victim = busy;
        else await sleep(100);
      }
      if (!victim) break; // no batch left to interrupt: the run is nearly over
      victim.child.kill('SIGKILL');
      seen = await revocations();
      kills++;
      const offset = CI ? victim.offset + LEASE_JUMP_MS : 0;
      if (CI) clockOffset = offset;
      say(
        `killed worker pid ${victim.child.pid} mid-batch after ${seen} removals (${kills}/${P.kills}); replacement started`,
      );
      await new Promise((r) => victim!.child.once('exit', r));
      spawnWorker(offset);
    }
    killerDone = true;
  })();

  // ---- wait for every offboarding to finish; run the schedules meanwhile
  const store = new DynamoOffboardingStore({ client: dynamo, tableName: tables.offboardingsTable });
  let offs: (Offboarding | undefined)[] = [];
  let finished = false;
  let lastDueSweep = Date.now();
  while ((Date.now() - started) / 1000 < P.limitS) {
    await sleep(2_000);
    // EventBridge's schedules: the retry sweep often (retries are due within seconds here), the
    // due sweep (which re-enqueues whatever is still `scheduled`) at its own slower pace.
    if (Date.now() - lastDueSweep > P.dueSweepS * 1000) {
      lastDueSweep = Date.now();
      await runDueSweep().catch(() => undefined);
    }
    await runRetrySweep().catch(() => undefined);
    offs = await Promise.all(ids.map((id) => store.get(id)));
    const open = offs.filter((o) => o?.status !== 'completed').length;
    const q = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    if (open === 0 && killerDone) {
      finished = true;
      break;
    }
    const st: Record<string, number> = {};
    for (const o of offs) st[o?.status ?? 'missing'] = (st[o?.status ?? 'missing'] ?? 0) + 1;
    say(
      `${JSON.stringify(st)}; queue ${q.Attributes?.ApproximateNumberOfMessages ?? '?'} visible, ${q.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '?'} in flight`,
    );
  }
  await killer;
  await Promise.all([...workers].map((w) => stopChild(w.child)));
  say(finished ? 'all offboardings completed' : `time limit ${P.limitS}s reached`);

  // ---- checks
  await sandbox.clearFaults();
  const log = await sandbox.requests();
  if (process.env.CHAOS_DUMP) writeFileSync(process.env.CHAOS_DUMP, JSON.stringify(log));
  const audit = new DynamoAuditLog({ client: dynamo, tableName: tables.auditTable, clock: systemClock });
  const streams = new Map<string, AuditRecord[]>();
  const chainResults: CheckResult[] = [];
  for (const id of ids) {
    const v = await verifyStream(audit, id);
    streams.set(id, v.records);
    if (process.env.CHAOS_DUMP)
      writeFileSync(`${process.env.CHAOS_DUMP}.${id}.audit`, JSON.stringify(v.records));
    if (!v.ok) chainResults.push({ name: 'chain', ok: false, detail: `${id}: ${v.reason}` });
  }
  offs = await Promise.all(ids.map((id) => store.get(id)));
  const remaining = await remainingGrants(sandbox, sc.leavers);
  const grants = auditedGrants(streams);
  const expected = sc.grants.itwin + sc.grants.atlas + sc.grants.cloudmanager;
  const effects = checkEffectsOnce(log, grants, expected);
  const audited = checkAudited(streams, log);
  const checks: CheckResult[] = [
    checkNothingLeft(remaining.total),
    effects,
    audited,
    chainResults.length ? chainResults[0]! : checkChains(streams),
    checkFinished(offs),
  ];
  const s = summarise(log);
  const summary = {
    form: CI ? 'ci' : 'full',
    seconds: Math.round((Date.now() - started) / 100) / 10,
    leavers: ids.length,
    grants: expected,
    workerKills: kills,
    vendorCalls: s.total,
    injected: {
      serverErrors: s.serverErrors,
      rateLimited: s.rateLimited,
      resetsOrHangs: log.filter((e) => e.status === null).length,
    },
    repeatedDeletes: effects.repeatedDeletes,
    repeatedDeleteRoutes: Object.fromEntries([
      ...log
        .filter((e) => callKind(e) === 'revoke' && e.status === 404)
        .reduce((m, e) => {
          const k = `${e.vendor} ${e.method} ${e.path.replace(/[0-9a-f]{24}|[0-9a-f-]{36}/gi, '{id}')}`;
          return m.set(k, (m.get(k) ?? 0) + 1);
        }, new Map<string, number>())
        .entries(),
    ]),
    evidenceOnlyActions: audited.evidenceOnly,
    attempts: offs.reduce((a, o) => a + (o?.attempts ?? 0), 0),
    checks,
  };
  for (const c of checks) say(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  const stuck = offs.find((o) => o && o.status !== 'completed');
  if (stuck) {
    say(`audit of ${stuck.id} (${stuck.status}):`);
    for (const r of streams.get(stuck.id) ?? []) {
      say(
        `  ${r.at} ${r.event} ${r.actor} ${r.grantKey ?? ''} ${r.outcome ?? ''} ${r.errorCode ?? ''} ${r.detail ? JSON.stringify(r.detail).slice(0, 160) : ''}`,
      );
    }
  }
  say(
    `vendor calls ${s.total}: ${s.serverErrors} 5xx, ${s.rateLimited} 429, ${summary.injected.resetsOrHangs} resets/hangs injected; ${kills} worker(s) killed mid-batch; ${summary.attempts} runs for ${ids.length} offboardings`,
  );
  writeFileSync(
    resolve(import.meta.dirname, CI ? 'chaos-ci-results.json' : 'chaos-results.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
  exitCode = checks.every((c) => c.ok) && finished ? 0 : 1;
  dynamo.destroy();
  sqs.destroy();
  sm.destroy();
} catch (e) {
  say(`chaos run failed: ${(e as Error).stack ?? String(e)}`);
  exitCode = 1;
} finally {
  for (const w of workers) w.child.kill('SIGKILL');
  await sandboxProc.stop();
  await moto.stop();
}
process.exit(exitCode);
