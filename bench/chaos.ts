/**
 * `npm run chaos` (and `npm run chaos:ci`, the short form: `--ci`): Leaver under faults.
 *
 * - moto_server (SQS + DynamoDB + Secrets Manager) started here, the access inventory synced into it
 *   before the faults (offboardings run inventory first, as deployed); worker PROCESSES (bench/chaos-worker.ts)
 *   play the SQS event source for the real worker Lambda handler with a short visibility timeout, so a
 *   killed worker's messages come back; the parent sends the webhooks through the intake handler and
 *   runs the due and retry sweeps every few seconds, as EventBridge would.
 * - The sandbox (own process) injects ~20% 5xx, 10% 429, connection resets and hung requests on every
 *   vendor call (tokens included); client timeouts are 2 s so hung requests end.
 *   One reset and one hang are also forced early (a rule matching every GET, removed as soon as the
 *   request log shows it fired), so every run has each kind whatever the dice say.
 * - Workers are SIGKILLed mid-batch and replaced. The first kill is deterministic: the first worker
 *   holds back the answer of its first successful removal (chaos-worker.ts) and is killed then, so
 *   the grant is gone at the vendor but not audited finished and the next run repeats its delete.
 *   The others come after 1-4 more removals have landed. Full form: several workers at once in
 *   real time (a killed worker's offboardings wait out its lease: its deadline + 60 s). CI form: one
 *   worker at a time, the replacement's clock moved past the dead worker's lease.
 *
 * - An iTwin group "Site Engineers" is shared by more leavers (CI 12, full 40) and 10 colleagues who
 *   stay; one of its PATCHes is accepted by the vendor but not applied. Full form: its leavers come
 *   with the others. CI form: once the last kill is done, to two more workers (started early and
 *   held until then) besides the live one, in batches of 6, all on the same clock, so none takes
 *   over another's live lease.
 *
 * Then it checks: every grant revoked in sandbox state; each vendor effect once (repeats are 404 =
 * already_absent; a group membership removed by exactly one PATCH, by the sandbox's record of group
 * changes); a repeated delete landed on already_absent; every action audited; every hash chain
 * verifies (verifyStream); nothing left `running`; the shared group kept every stayer, each leaver
 * was removed by one PATCH and none twice; and that the run was the one intended: 5xx, 429s, resets
 * and hangs injected (request log, by fault rule), workers killed mid-batch, one of them after a
 * removal landed, the group written by several workers at once with a PATCH that did not take
 * effect. Exits 1 when a check fails.
 */
import './support/env.ts';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoAuditLog, DynamoOffboardingStore, systemClock } from '../lambdas/adapters/index.ts';
import { verifyStream } from '../lambdas/core/audit-chain.ts';
import { parseConfig } from '../lambdas/core/config.ts';
import { type AuditRecord, type Offboarding, VENDORS } from '../lambdas/core/model.ts';
import { runDueSweep } from '../lambdas/handlers/due-sweep.ts';
import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { runInventorySync } from '../lambdas/handlers/inventory-sync.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { runRetrySweep } from '../lambdas/handlers/retry-sweep.ts';
import { createAwsDeps, setDeps } from '../lambdas/handlers/wiring.ts';
import { createTables } from '../local/adapters/table-setup.ts';
import type { ItwinState } from '../sandbox/itwin/types.ts';
import { callKind, summarise } from './support/calls.ts';
import {
  auditedGrants,
  type CheckResult,
  checkAudited,
  checkChains,
  checkEffectsOnce,
  checkFaultsInjected,
  checkFinished,
  checkGroupExercised,
  checkKills,
  checkNothingLeft,
  checkRepeatedDeleteAbsent,
  checkSharedGroup,
  type FaultKind,
  type GroupChange,
  injectedFaults,
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
      // Besides the first worker's kill right after its first landed removal.
      kills: 1,
      visibilityS: 5,
      budgetMs: 60_000,
      limitS: 100,
      killAfterMs: [1000, 3000],
      dueSweepS: 30,
      // The shared group: its leavers come after the others (see the header), to 3 more workers.
      group: { leavers: 12, stayers: 10, workers: 2, batch: 6 },
    }
  : {
      leavers: 60,
      workers: 3,
      // Besides each first worker's kill right after its first landed removal.
      kills: 3,
      visibilityS: 10,
      budgetMs: 40_000,
      limitS: 480,
      killAfterMs: [1000, 4000],
      dueSweepS: 60,
      group: { leavers: 40, stayers: 10, workers: 0, batch: 10 },
    };
/** CHAOS_LIMIT_S overrides the time limit (a machine busy with other work). */
const limitS = Number(process.env.CHAOS_LIMIT_S) || P.limitS;
/** CI form: how far each replacement worker's clock jumps (past the dead worker's deadline + 60 s lease margin). */
const LEASE_JUMP_MS = P.budgetMs + 70_000;

const started = Date.now();
const say = (m: string) =>
  process.stdout.write(`[chaos ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);

const moto = await startMoto();
const sandboxProc = await startSandboxProcess();
const sandbox = new SandboxClient(sandboxProc.url);
interface Worker {
  child: ChildProcess;
  busy: boolean;
  offset: number;
  /** Busy with a batch that holds one of the shared group's offboardings. */
  groupBatch?: boolean;
  /** Held back the answer of a removal that landed (CHAOS_STALL_AFTER_DELETE): kill it now. */
  stalled: boolean;
  killed: boolean;
}
const workers = new Set<Worker>();
let exitCode = 1;
try {
  // ---- vendor state and faults
  // Atlas at 10/s a bucket (the sandbox's own default limit) instead of the connector's cautious
  // 1/s default, which a 429 halves: the run is about faults, not about Atlas's slowest setting.
  const sc = massLayoffScenario(P.leavers, sandbox.urls, {
    stayers: 10,
    verifyRounds: 3,
    tenantRates: { atlas: { perSecond: 10, burst: 10 } },
    sharedGroup: { leavers: P.group.leavers, stayers: P.group.stayers },
  });
  const group = sc.group!;
  const config = {
    ...sc.config,
    tenants: (sc.config.tenants ?? []).map((t) => ({ ...t, timeoutMs: 2_000, maxConcurrency: 8 })),
    schedules: { retryMinutes: 1, retry: { maxAttempts: 20, baseDelayMinutes: 0.05, maxDelayMinutes: 0.1 } },
  };
  parseConfig(config);
  await sandbox.seed(sc.seed);
  for (const v of VENDORS) await sandbox.setRateLimit(v, null);

  // ---- AWS on moto: tables, queue, secrets; the Lambda environment
  const prefix = `chaos-${randomUUID().slice(0, 8)}`;
  const offsetFile = resolve(tmpdir(), `${prefix}-clock-offset`);
  const clientConfig = {
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaos' },
  };
  const dynamo = new DynamoDBClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const sm = new SecretsManagerClient(clientConfig);
  const tables = {
    offboardingsTable: `${prefix}-offboardings`,
    auditTable: `${prefix}-audit`,
    inventoryTable: `${prefix}-inventory`,
  };
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
    // As the stack deploys it: inventory first, the discovery rounds as verification.
    INVENTORY_TABLE: tables.inventoryTable,
    QUEUE_URL: queueUrl,
    LEAVER_CONFIG_JSON: JSON.stringify(awsConfig),
    CHAOS_VISIBILITY_S: String(P.visibilityS),
    CHAOS_BUDGET_MS: String(P.budgetMs),
  };
  Object.assign(process.env, env);
  const base = createAwsDeps(process.env, parseConfig(awsConfig));
  let clockOffset = 0;
  setDeps({ ...base, clock: { now: () => new Date(Date.now() + clockOffset) } }, 'aws');
  // The inventory is synced before the layoff (and before the faults): the first passes revoke
  // what it knows, and the verification rounds meet the faults like every other listing.
  await runInventorySync(10 * 60_000, { force: true });
  say('inventory synced');

  // ---- faults on every vendor call
  const faults = [
    { type: 'latency' as const, distribution: { kind: 'uniform' as const, minMs: 2, maxMs: 20 } },
    { type: 'error' as const, status: 500, share: 0.1 },
    { type: 'error' as const, status: 503, share: 0.11 },
    { type: 'rate-limit' as const, share: 0.1, retryAfterSeconds: 1 },
    { type: 'reset' as const, share: 0.03 },
    { type: 'hang' as const, share: 0.02 },
  ];
  const kindOf = (f: { type: string }): FaultKind | undefined =>
    f.type === 'error'
      ? '5xx'
      : f.type === 'rate-limit'
        ? '429'
        : f.type === 'reset'
          ? 'reset'
          : f.type === 'hang'
            ? 'hang'
            : undefined;
  /** Fault rule id -> what it injects (the request log names the rule that decided each answer). */
  const faultRules = new Map<string, FaultKind>();
  for (const f of faults) {
    const { id } = await sandbox.addFault(f);
    const kind = kindOf(f);
    if (kind) faultRules.set(id, kind);
  }
  // One reset, then one hang, forced on the next GET (any vendor), each rule removed once it fired.
  const primers = (async () => {
    for (const type of ['reset', 'hang'] as const) {
      const { id } = await sandbox.addFault({ type, method: 'GET' });
      faultRules.set(id, type);
      for (let waited = 0; waited < 60_000; waited += 200) {
        await new Promise((r) => setTimeout(r, 200));
        if ((await sandbox.requests()).some((e) => e.fault === id)) break;
      }
      await sandbox.removeFault(id);
    }
  })();

  // ---- webhooks through the intake handler
  const ids: string[] = [];
  /** Sends each email's termination through the intake, `parallel` at a time. */
  const terminate = async (emails: readonly string[], parallel = 1, into?: Set<string>) => {
    const todo = [...emails];
    const one = async () => {
      for (let email = todo.shift(); email !== undefined; email = todo.shift()) {
        const r = (await intakeHandler(terminationEvent(email), localContext('leaver-intake', 30_000))) as {
          statusCode: number;
          body: string;
        };
        if (r.statusCode !== 202) throw new Error(`intake answered ${r.statusCode}: ${r.body}`);
        const id = (JSON.parse(r.body) as { offboardingId: string }).offboardingId;
        ids.push(id);
        into?.add(id);
      }
    };
    await Promise.all(Array.from({ length: parallel }, one));
  };
  // The shared group's PATCHes meet the vendor faults, and one of them is accepted but not applied.
  const groupFault = () =>
    sandbox.vendorAction('itwin', 'set-group-patch-fault', { mode: 'ignore', groupId: group.id, times: 1 });
  // Full form: the group's leavers come with everyone else, to the workers killed in real time.
  // CI form: after the others, to several workers at once (see the header).
  const groupLater = P.group.workers > 0;
  /** The shared group's offboardings: a worker busy with a batch holding one of them counts. */
  const groupIds = new Set<string>();
  await terminate(sc.leavers);
  if (!groupLater) await terminate(group.leavers, 1, groupIds);
  if (!groupLater) await groupFault();
  say(
    `${ids.length} terminations accepted; ${P.workers} worker process(es), each killed after its first removal, then ${P.kills} more kills`,
  );

  // ---- worker processes, killed mid-batch
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let kills = 0;
  let killsAfterDelete = 0;
  /** Most workers busy at once with batches holding the shared group's offboardings. */
  let workersAtOnce = 0;
  let seen = 0;
  const revocations = async () =>
    (await sandbox.requests()).filter((e) => callKind(e) === 'revoke' && e.status !== null && e.status < 300)
      .length;
  /** SIGKILLs a worker and starts its replacement (CI form: its clock past the dead one's lease). */
  const killAndReplace = async (victim: Worker, how: string) => {
    if (victim.killed) return;
    victim.killed = true;
    victim.child.kill('SIGKILL');
    const n = ++kills;
    if (victim.stalled) killsAfterDelete++;
    const offset = CI ? victim.offset + LEASE_JUMP_MS : 0;
    if (CI) clockOffset = offset;
    const exited = new Promise((r) => victim.child.once('exit', r));
    seen = await revocations();
    say(
      `killed worker pid ${victim.child.pid} ${how}, ${seen} removals so far (kill ${n}); replacement started`,
    );
    await exited;
    spawnWorker(offset);
  };
  const spawnWorker = (offset: number, stallAfterDelete = false, batch = 10, hold = false) => {
    const child = spawnTs(resolve(import.meta.dirname, 'chaos-worker.ts'), {
      ...env,
      CHAOS_CLOCK_OFFSET_MS: String(offset),
      CHAOS_STALL_AFTER_DELETE: stallAfterDelete ? '1' : '0',
      CHAOS_BATCH: String(batch),
      ...(hold ? { CHAOS_HOLD: '1', CHAOS_OFFSET_FILE: offsetFile } : {}),
    });
    const w: Worker = { child, busy: false, offset, stalled: false, killed: false };
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('CHAOS ')) {
          const ev = JSON.parse(line.slice(6)) as { event: string; ids?: string[] };
          if (ev.event === 'delete-landed') {
            // A removal landed and its answer is held back: kill now, before it can be audited.
            w.stalled = true;
            void killAndReplace(w, 'right after a removal landed, before its action_finished');
          } else {
            w.busy = ev.event === 'batch-start';
            w.groupBatch = w.busy && (ev.ids ?? []).some((id) => groupIds.has(id));
            const now = [...workers].filter((x) => x.groupBatch && !x.killed).length;
            workersAtOnce = Math.max(workersAtOnce, now);
          }
        }
        nl = buf.indexOf('\n');
      }
    });
    child.stderr?.on('data', () => {});
    child.on('exit', () => workers.delete(w));
    workers.add(w);
    return w;
  };
  // Every first worker holds back the answer of its first landed removal and is killed then; their
  // replacements do not. Then P.kills more, each after 1-4 more removals have landed.
  for (let i = 0; i < P.workers; i++) spawnWorker(0, true);
  // CI form: the shared group's workers start now and wait (their start-up overlaps the kills).
  const groupWorkers = groupLater
    ? Array.from({ length: P.group.workers }, () => spawnWorker(0, false, P.group.batch, true))
    : [];

  let killerDone = false;
  const killer = (async () => {
    // The forced kill first (the first landed removal): a random kill racing it could take the
    // worker between its removal landing and the parent reading its `delete-landed` line.
    for (let waited = 0; waited < 60_000 && killsAfterDelete === 0; waited += 100) await sleep(100);
    for (let k = 0; k < P.kills; k++) {
      const [lo, hi] = P.killAfterMs as [number, number];
      await sleep(lo + Math.random() * (hi - lo));
      const target = seen + 1 + Math.floor(Math.random() * 4);
      let victim: Worker | undefined;
      for (let waited = 0; waited < 20_000 && !victim; waited += 100) {
        const live = (w: Worker) => w.busy && !w.stalled && !w.killed && workers.has(w);
        const busy = [...workers].find(live);
        // Checked again after the await: a worker may have stalled (and been killed) meanwhile.
        if (busy && (await revocations()) >= target && live(busy)) victim = busy;
        else await sleep(100);
      }
      if (!victim) break; // no batch left to interrupt: the run is nearly over (checkKills judges)
      await killAndReplace(victim, 'mid-batch');
    }
    if (groupLater) {
      // CI form: no kill is left, so several workers may run at once: the shared group's leavers go
      // to three more, on the last replacement's clock (every live worker on the same clock, so
      // none takes over another's live lease).
      await groupFault();
      writeFileSync(offsetFile, String(clockOffset));
      for (const w of groupWorkers) w.child.kill('SIGUSR2');
      await terminate(group.leavers, 5, groupIds);
      say(`${group.leavers.length} leavers of one group sent; ${P.group.workers} more worker(s)`);
    }
    killerDone = true;
  })();

  // ---- wait for every offboarding to finish; run the schedules meanwhile
  const store = new DynamoOffboardingStore({ client: dynamo, tableName: tables.offboardingsTable });
  let offs: (Offboarding | undefined)[] = [];
  let lastDueSweep = Date.now();
  const waitAll = async (): Promise<boolean> => {
    while ((Date.now() - started) / 1000 < limitS) {
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
      if (open === 0 && killerDone) return true;
      const st: Record<string, number> = {};
      for (const o of offs) st[o?.status ?? 'missing'] = (st[o?.status ?? 'missing'] ?? 0) + 1;
      say(
        `${JSON.stringify(st)}; queue ${q.Attributes?.ApproximateNumberOfMessages ?? '?'} visible, ${q.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '?'} in flight`,
      );
    }
    return false;
  };
  const finished = await waitAll();
  await killer;
  await primers;
  await Promise.all([...workers].map((w) => stopChild(w.child)));
  say(finished ? 'all offboardings completed' : `time limit ${limitS}s reached`);

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
  const remaining = await remainingGrants(sandbox, [...sc.leavers, ...group.leavers]);
  const groupChanges = (
    await sandbox.vendorAction<{ changes: GroupChange[] }>('itwin', 'group-changes', { groupId: group.id })
  ).changes;
  const groupMembers =
    (await sandbox.state<ItwinState>('itwin')).itwins
      .find((t) => t.id === group.itwinId)
      ?.groups.find((g) => g.id === group.id)
      ?.members.map((m) => m.email) ?? [];
  const groupPatchesOk = log.filter(
    (e) => e.method === 'PATCH' && e.path.toLowerCase().endsWith(group.id) && e.status === 200,
  ).length;
  const sharedGroup = checkSharedGroup({
    changes: groupChanges,
    groupId: group.id,
    members: groupMembers,
    leavers: group.leavers,
    stayers: group.stayers,
    streams,
  });
  const grants = auditedGrants(streams);
  const expected = sc.grants.itwin + sc.grants.atlas + sc.grants.cloudmanager;
  const effects = checkEffectsOnce(log, grants, expected, groupChanges);
  const repeated = checkRepeatedDeleteAbsent(streams, log);
  const audited = checkAudited(streams, log, groupChanges);
  const injected = injectedFaults(log, faultRules);
  const checks: CheckResult[] = [
    checkNothingLeft(remaining.total),
    effects,
    repeated,
    audited,
    chainResults.length ? chainResults[0]! : checkChains(streams),
    checkFinished(offs),
    checkFaultsInjected(injected),
    checkKills(kills, killsAfterDelete),
    sharedGroup,
    checkGroupExercised({ workersAtOnce, ignoredPatches: groupPatchesOk - sharedGroup.patches }),
  ];
  const s = summarise(log);
  const summary = {
    form: CI ? 'ci' : 'full',
    seconds: Math.round((Date.now() - started) / 100) / 10,
    leavers: ids.length,
    grants: expected,
    sharedGroup: {
      leavers: group.leavers.length,
      stayers: group.stayers.length,
      patches: sharedGroup.patches,
      patchesAcceptedNotApplied: groupPatchesOk - sharedGroup.patches,
      workersAtOnce,
    },
    workerKills: kills,
    workerKillsAfterDelete: killsAfterDelete,
    vendorCalls: s.total,
    injected: {
      serverErrors: injected['5xx'],
      rateLimited: injected['429'],
      resets: injected.reset,
      hangs: injected.hang,
    },
    repeatedDeletes: effects.repeatedDeletes,
    repeatedDeletesAlreadyAbsent: repeated.repeatedAbsent,
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
    `vendor calls ${s.total}: ${injected['5xx']} 5xx, ${injected['429']} 429, ${injected.reset} resets, ${injected.hang} hangs injected; ${kills} worker(s) killed mid-batch (${killsAfterDelete} after a removal landed); ${effects.repeatedDeletes} repeated deletes (${repeated.repeatedAbsent} audited already_absent); ${summary.attempts} runs for ${ids.length} offboardings`,
  );
  writeFileSync(
    resolve(import.meta.dirname, CI ? 'chaos-ci-results.json' : 'chaos-results.json'),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
  exitCode = checks.every((c) => c.ok) && finished ? 0 : 1;
  rmSync(offsetFile, { force: true });
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
