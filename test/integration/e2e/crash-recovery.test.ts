/**
 * Nothing accepted is lost by a crash: the local runtime (`tsx local/main.ts`, its data on disk in
 * LEAVER_DATA_DIR) is sent signed terminations for leavers seeded in the vendor sandbox and is
 * killed with SIGKILL several times at random moments (two while the webhooks arrive, one after the
 * last 202 while the work runs, one while the restarted runtime resumes it), each time restarted on
 * the same directory. The sandbox runs in its own process, so its state outlives every kill. A
 * webhook whose answer a kill swallowed is sent again with the same webhook-id, as HR systems do.
 *
 * Then: every accepted id (every 202) is terminal within 60 s of the last restart (a bound of the
 * poll, not a speed assertion), no email has two offboardings (read from the table itself after a
 * clean stop), every grant of every leaver is gone from the sandbox's state and every colleague who
 * stays keeps theirs, and no runtime life logged an ERROR (an expected resumption is not one).
 *
 * The kill plan comes from a seeded PRNG; the seed is printed. CRASH_SEED=<seed> repeats the plan
 * (the moments are the same counts and delays; the interleaving with the runtime's work is not).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClient } from '../../../bench/support/control.ts';
import { type Child, startSandboxProcess } from '../../../bench/support/processes.ts';
import { massLayoffScenario, type Scenario } from '../../../bench/support/scenario.ts';
import { remainingGrants } from '../../../bench/support/state.ts';
import { signedTermination } from '../../../bench/support/webhooks.ts';
import { TERMINAL_STATUSES } from '../../../lambdas/core/model.ts';
import { startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { RuntimeProcess, seededRandom } from './crash-runtime.ts';

const LEAVERS = 200;
const STAYERS = 10;
const SENDERS = 8;
/** After the last restart every accepted offboarding must be terminal within this bound. */
const RESUME_BOUND_MS = 60_000;
const API_TOKEN = 'crash-recovery-token';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const began = Date.now();
const say = (m: string) =>
  process.stdout.write(`crash-recovery ${((Date.now() - began) / 1000).toFixed(1)}s: ${m}\n`);

let dir: string;
let sandboxProc: Child;
let sandbox: SandboxClient;
let sc: Scenario;
let runtime: RuntimeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leaver-crash-'));
  sandboxProc = await startSandboxProcess();
  sandbox = new SandboxClient(sandboxProc.url);
  // Rates well above what this run needs: it is about crashes, not about vendor limits.
  const fast = { perSecond: 500, burst: 500 };
  sc = massLayoffScenario(LEAVERS, sandbox.urls, {
    stayers: STAYERS,
    tenantRates: { itwin: fast, atlas: fast, cloudmanager: fast },
    // One grant per leaver, at each vendor in turn: the run is about crashes, and the CI machine
    // has two cores for the runtime, the sandbox and this test.
    oneGrantEach: true,
  });
  await sandbox.seed(sc.seed);
  for (const v of ['itwin', 'atlas', 'cloudmanager'] as const) await sandbox.setRateLimit(v, null);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(sc.config));
  writeFileSync(
    join(dir, 'secrets.json'),
    JSON.stringify({ ...sc.secrets, 'leaver/api': { token: API_TOKEN } }),
  );
  runtime = new RuntimeProcess({
    LEAVER_CONFIG: join(dir, 'config.json'),
    LEAVER_SECRETS_FILE: join(dir, 'secrets.json'),
    LEAVER_DATA_DIR: join(dir, 'data'),
    POWERTOOLS_LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? 'WARN',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});

afterAll(async () => {
  await runtime?.kill9();
  await sandboxProc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Offboarding items in the table itself (not an index), read with dynalite after a clean stop. */
async function storedOffboardings(): Promise<Array<{ id: string; email: string; status: string }>> {
  const db = await startDynalite({ path: join(dir, 'data') });
  const client = new DynamoDBClient({
    region: 'local',
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const doc = DynamoDBDocumentClient.from(client);
    const out: Array<{ id: string; email: string; status: string }> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new ScanCommand({
          TableName: 'leaver-offboardings',
          FilterExpression: '#t = :t',
          ExpressionAttributeNames: { '#t': 'type' },
          ExpressionAttributeValues: { ':t': 'offboarding' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        out.push({ id: item.id, email: item.subject.email, status: item.status });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  } finally {
    client.destroy();
    await db.close();
  }
}

/** ERROR lines of a runtime life (Powertools writes one JSON object per line). */
function errorLines(lines: readonly string[]): string[] {
  return lines.filter((l) => {
    if (!l.startsWith('{')) return /\bERROR\b/.test(l);
    try {
      return (JSON.parse(l) as { level?: string }).level === 'ERROR';
    } catch {
      return false;
    }
  });
}

describe('crash recovery of the local runtime', () => {
  it(`${LEAVERS} terminations, SIGKILL four times at random moments: every 202 ends terminal, once, with every grant gone`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = seededRandom(seed);
    const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const plan = {
      afterAccepted: [between(15, 70), between(90, 160)],
      afterLastAcceptedMs: between(100, 1500),
      afterRestartMs: between(300, 2000),
    };
    process.stdout.write(
      `crash-recovery: seed ${seed} (CRASH_SEED=${seed} repeats it), kill plan ${JSON.stringify(plan)}\n`,
    );
    const stayers = sc.seed.itwin!.users!.map((u) => u.email).filter((e) => !sc.leavers.includes(e));
    const stayersBefore = await remainingGrants(sandbox, stayers);

    await runtime.start();
    say('runtime started');
    let kills = 0;
    let restarting: Promise<void> | undefined;
    let lastRestart = Date.now();
    const restart = async () => {
      await runtime.kill9();
      kills++;
      say(`kill ${kills} (${acceptedCount} accepted)`);
      await runtime.start();
      say(`restarted (life ${runtime.lives.length})`);
      lastRestart = Date.now();
    };

    // ---- the webhooks, each sent until it gets its 202 (a kill swallows some answers)
    const accepted = new Map<string, string>();
    let acceptedCount = 0;
    const send = async (email: string, hookId: string): Promise<string> => {
      for (let attempt = 1; attempt <= 300; attempt++) {
        await restarting;
        try {
          const { headers, body } = signedTermination(email, hookId);
          const res = await fetch(`${runtime.url}/hooks/standard`, {
            method: 'POST',
            headers,
            body,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          if (res.status === 202) return (JSON.parse(text) as { offboardingId: string }).offboardingId;
          if (res.status < 500) throw new Error(`intake refused ${hookId}: ${res.status} ${text}`);
        } catch (e) {
          if ((e as Error).message.startsWith('intake refused')) throw e;
          // The runtime died under the request: send it again once it is back.
        }
        await sleep(50);
      }
      throw new Error(`no 202 for ${hookId}`);
    };
    const todo = sc.leavers.map((email, i) => ({ email, hookId: `msg_crash_${i}` }));
    const todoFirst = todo[0]!;
    const senders = Array.from({ length: SENDERS }, async () => {
      for (let next = todo.shift(); next; next = todo.shift()) {
        const id = await send(next.email, next.hookId);
        accepted.set(next.email, id);
        acceptedCount++;
        if (plan.afterAccepted.includes(acceptedCount)) restarting = restart();
      }
    });
    await Promise.all(senders);
    await restarting;
    expect(accepted.size).toBe(LEAVERS);
    say('all accepted');

    // ---- killed while working, then while resuming that work
    await sleep(plan.afterLastAcceptedMs);
    await restart();
    await sleep(plan.afterRestartMs);
    await restart();
    expect(kills).toBe(4);

    // ---- every accepted id terminal, polled through the API until the bound
    const ids = [...accepted.values()];
    const status = new Map<string, string>();
    const readStatus = async (id: string) => {
      const res = await fetch(`${runtime.url}/v1/offboardings/${id}`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(res.status).toBe(200);
      const { status: now } = (await res.json()) as { status: string };
      status.set(id, now);
      return now;
    };
    const open = new Set(ids);
    // Checked in order until the first still open one: the runtime's CPU goes to the work, not to us.
    while (open.size > 0 && Date.now() - lastRestart < RESUME_BOUND_MS) {
      for (const id of [...open]) {
        if (!TERMINAL_STATUSES.includes((await readStatus(id)) as never)) break;
        open.delete(id);
      }
      if (open.size > 0) await sleep(500);
    }
    say('polled');
    const stillOpen = [...open].map((id) => `${id} ${status.get(id) ?? 'unread'}`);
    if (stillOpen.length > 0) {
      const counts: Record<string, number> = {};
      for (const s of status.values()) counts[s] = (counts[s] ?? 0) + 1;
      say(
        `statuses ${JSON.stringify(counts)}; the last life's log:\n${runtime.lives
          .at(-1)!
          .lines.slice(-Number(process.env.CRASH_LOG_LINES ?? 60))
          .join('\n')}`,
      );
    }
    expect(
      stillOpen,
      `not terminal ${RESUME_BOUND_MS / 1000} s after the last restart (seed ${seed})`,
    ).toEqual([]);

    // A repeated webhook (an HR retry after all this) answers the same id and creates nothing.
    expect(await send(todoFirst.email, todoFirst.hookId)).toBe(accepted.get(todoFirst.email));

    // ---- every grant of every leaver gone; every colleague who stays keeps theirs
    expect(await remainingGrants(sandbox, sc.leavers)).toEqual({
      itwin: 0,
      atlas: 0,
      cloudmanager: 0,
      total: 0,
    });
    expect(await remainingGrants(sandbox, stayers)).toEqual(stayersBefore);

    // ---- no ERROR in any life of the runtime (an expected resumption logs none)
    const lives = runtime.lives.map((l) => ({ pid: l.pid, errors: errorLines(l.lines) }));
    expect(lives.flatMap((l) => l.errors.map((e) => `pid ${l.pid}: ${e.slice(0, 400)}`))).toEqual([]);

    // ---- one offboarding per email, and it is the accepted one (from the table, not an index)
    say('checked');
    await runtime.stop();
    say('stopped');
    const stored = await storedOffboardings();
    const byEmail = new Map<string, string[]>();
    for (const o of stored) byEmail.set(o.email, [...(byEmail.get(o.email) ?? []), o.id]);
    expect([...byEmail.entries()].filter(([, list]) => list.length > 1)).toEqual([]);
    for (const [email, id] of accepted) expect(byEmail.get(email)).toEqual([id]);
    const statuses: Record<string, number> = {};
    for (const o of stored) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    process.stdout.write(
      `crash-recovery: ${kills} kills, ${runtime.lives.length} lives, statuses ${JSON.stringify(statuses)}, last resumption took ${(
        (Date.now() - lastRestart) / 1000
      ).toFixed(1)} s until checked\n`,
    );
  }, 240_000);
});
