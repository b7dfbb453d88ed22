/**
 * Crash recovery in core: the lease holder rule (a process alone on its store treats a lease it
 * does not hold as dead; elsewhere leases lapse only with time), the recovery pass that finds work
 * without the status index and repairs the index, and its step in the due sweep.
 */
import { describe, expect, it } from 'vitest';
import { setKillSwitch } from '../../../lambdas/core/commands.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { leaseHeld } from '../../../lambdas/core/lifecycle.ts';
import { grantKey } from '../../../lambdas/core/model.ts';
import { RECOVERY_CURSOR, recoverAll, recoveryStep } from '../../../lambdas/core/recovery.ts';
import { dueSweep, retrySweep } from '../../../lambdas/core/schedules.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { grants } from '../../support/fake-connector.ts';
import { ALEX, DANA, engine, SAM } from './engine.ts';

const MIN = 60_000;
const NOW = new Date('2026-11-23T12:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

describe('leaseHeld: who may take over a running offboarding', () => {
  const lease = (owner?: string, until = later(MIN)) => ({
    leaseUntil: until,
    ...(owner ? { leaseOwner: owner } : {}),
  });

  it('without a holder, or with one that shares its store, only time ends a lease', () => {
    expect(leaseHeld(lease('a'), NOW)).toBe(true);
    expect(leaseHeld(lease('a'), NOW, { id: 'b', exclusive: false })).toBe(true);
    expect(leaseHeld(lease('a', later(-1)), NOW, { id: 'b', exclusive: false })).toBe(false);
    expect(leaseHeld({}, NOW)).toBe(false);
  });

  it('a holder alone on its store holds only its own leases: any other was a dead predecessor', () => {
    const me = { id: 'rt-2', exclusive: true };
    expect(leaseHeld(lease('rt-1'), NOW, me)).toBe(false);
    expect(leaseHeld(lease(), NOW, me)).toBe(false); // recorded before holders were
    expect(leaseHeld(lease('rt-2'), NOW, me)).toBe(true);
    expect(leaseHeld(lease('rt-2', later(-1)), NOW, me)).toBe(false);
  });
});

describe('the worker and a predecessor killed mid-run', () => {
  /**
   * A run of `id` by the holder `old` that was killed right after the vendor removed `inv`: its
   * action_started has no action_finished, and its lease still runs for minutes.
   */
  async function killedMidRun() {
    const e = engine();
    const { deps, fakes, terminate, ctx } = e;
    const inv = grants.cmInvitation(DANA);
    const user = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(inv, user);
    const id = await terminate(DANA);
    deps.queue.drain();
    deps.leaseHolder = { id: 'old', exclusive: true };
    fakes.cloudmanager.beforeRevoke = (g) => {
      if (grantKey(g) === grantKey(inv))
        deps.audit.failNextAppend = new LeaverError('storage_unavailable', 'killed');
    };
    await processOffboardings(deps, [id], ctx());
    fakes.cloudmanager.beforeRevoke = undefined;
    const claimedBy = deps.store.must(id).leaseOwner;
    // A killed process releases nothing: its lease runs on as claimed.
    await deps.store.update(id, 'running', { leaseUntil: later(10 * MIN) });
    expect(fakes.cloudmanager.has(inv)).toBe(false);
    return { ...e, id, inv, user, claimedBy };
  }

  it('the claim records its holder', async () => {
    const { deps, id, claimedBy } = await killedMidRun();
    expect(claimedBy).toBe('old');
    expect(deps.store.must(id)).toMatchObject({ status: 'running', leaseOwner: 'old', attempts: 1 });
  });

  it('a restarted process alone on the store resumes it at once, retrying the dangling action', async () => {
    const { deps, fakes, ctx, id, user, chainOk } = await killedMidRun();
    deps.leaseHolder = { id: 'new', exclusive: true };
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    const off = deps.store.must(id);
    expect(off).toMatchObject({ status: 'completed', attempts: 1, leaseOwner: 'new' });
    const started = deps.audit.records(id).filter((r) => r.event === 'started');
    expect(started.map((r) => r.detail!.resumed)).toEqual([false, true]);
    const actions = await deps.store.listActions(id);
    expect(actions.map((a) => [a.grant.kind, a.outcome])).toEqual([
      ['cloudmanager_org_invitation', 'already_absent'],
      ['cloudmanager_org_user', 'revoked'],
    ]);
    expect(fakes.cloudmanager.revokeCount(user)).toBe(1);
    expect(chainOk(id)).toBe(true);
  });

  it('where processes share the store (AWS) the lease is respected until it lapses', async () => {
    const { deps, fakes, ctx, id } = await killedMidRun();
    deps.leaseHolder = { id: 'new', exclusive: false };
    const calls = fakes.cloudmanager.discoverCalls.length;
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(fakes.cloudmanager.discoverCalls).toHaveLength(calls);
    expect(deps.store.must(id).status).toBe('running');
    deps.clock.advance(10 * MIN + 1);
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
  });

  it("a process alone on the store still waits for its own live run's lease", async () => {
    const { deps, fakes, ctx, id } = await killedMidRun();
    deps.leaseHolder = { id: 'old', exclusive: true };
    const calls = fakes.cloudmanager.discoverCalls.length;
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(fakes.cloudmanager.discoverCalls).toHaveLength(calls);
  });

  it("the due sweep of a process alone on the store queues a predecessor's running offboarding", async () => {
    const { deps, id } = await killedMidRun();
    deps.leaseHolder = { id: 'new', exclusive: false };
    expect((await dueSweep(deps)).enqueued).toBe(0);
    deps.leaseHolder = { id: 'new', exclusive: true };
    expect((await dueSweep(deps)).enqueued).toBe(1);
    expect(deps.queue.drain()).toEqual([id]);
  });
});

describe('recoverAll: finds what a crash left, without the status index', () => {
  it('queues the due and the stranded, repairs every index entry lost, and leaves the rest alone', async () => {
    const { deps, fakes, terminate, work, ctx } = engine({
      schedules: { retry: { baseDelayMinutes: 5 } },
    });
    fakes.cloudmanager.add(grants.cmOrgUser(SAM));
    const done = await terminate(SAM);
    await work();
    const due = await terminate(DANA);
    const future = await terminate(ALEX, { effectiveAt: later(86_400_000) });
    const running = await terminate('ron.running@example.com');
    const failed = await terminate('fay.failed@example.com');
    deps.queue.drain(); // the crash lost every message
    await deps.store.transition(running, ['scheduled'], 'running', {
      attempts: 1,
      leaseUntil: later(-1),
    });
    await deps.store.transition(failed, ['scheduled'], 'completed_with_failures', {
      attempts: 1,
      nextRetryAt: later(5 * MIN),
    });
    for (const id of [due, future, running, failed]) deps.store.loseIndexEntries(id);
    // What the sweeps read no longer shows them.
    expect(await deps.store.due(later(0))).toEqual([]);
    expect(await dueSweep({ ...deps, store: withoutRecovery(deps.store) })).toEqual({
      enqueued: 0,
      failed: 0,
      stale: 0,
    });

    const result = await recoverAll(deps);
    expect(result).toEqual({ found: 4, repaired: 4, enqueued: 2 });
    expect(deps.queue.drain().sort()).toEqual([due, running].sort());
    expect(deps.store.unindexed.size).toBe(0);
    expect(deps.store.must(done).status).toBe('completed');
    // Repaired, the index serves the sweeps again: the failed one is retried when its time comes.
    deps.clock.advance(5 * MIN);
    expect((await retrySweep(deps)).enqueued).toBe(1);
    expect(deps.queue.drain()).toEqual([failed]);
    expect(await processOffboardings(deps, [due, running], ctx())).toEqual([
      { id: due, result: 'done' },
      { id: running, result: 'done' },
    ]);
  });

  it('with the kill switch on it repairs but queues nothing', async () => {
    const { deps, terminate } = engine();
    const id = await terminate(DANA);
    deps.queue.drain();
    deps.store.loseIndexEntries(id);
    await setKillSwitch(deps, 'ops', { enabled: true, reason: 'incident' });
    expect(await recoverAll(deps)).toEqual({ found: 1, repaired: 1, enqueued: 0, held: true });
    expect(deps.queue.messages).toEqual([]);
    await setKillSwitch(deps, 'ops', { enabled: false, reason: 'over' });
    expect((await dueSweep(deps)).enqueued).toBe(1);
  });

  it('a completed_with_failures offboarding no retry waits for is not touched', async () => {
    const { deps, terminate } = engine();
    const id = await terminate(DANA);
    deps.queue.drain();
    await deps.store.transition(id, ['scheduled'], 'completed_with_failures', { attempts: 6 });
    deps.store.loseIndexEntries(id);
    expect(await recoverAll(deps)).toEqual({ found: 1, repaired: 0, enqueued: 0 });
  });
});

describe('recoveryStep: the same pass a few pages per due sweep', () => {
  it('resumes where it stopped, ends the pass, and starts the next after recoveryScanMinutes', async () => {
    const { deps, terminate } = engine({ schedules: { recoveryScanMinutes: 30 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await terminate(`leaver${i}@example.com`));
    deps.queue.drain();
    for (const id of ids) deps.store.loseIndexEntries(id);

    const first = await recoveryStep(deps, { maxPages: 1, pageSize: 2 });
    expect(first).toMatchObject({ found: 2, repaired: 2, enqueued: 2, passDone: false });
    expect(JSON.parse((await deps.store.getCursor(RECOVERY_CURSOR))!)).toHaveProperty('cursor');
    expect(await recoveryStep(deps, { maxPages: 1, pageSize: 2 })).toMatchObject({
      found: 2,
      passDone: false,
    });
    expect(await recoveryStep(deps, { maxPages: 1, pageSize: 2 })).toMatchObject({
      found: 1,
      passDone: true,
    });
    expect(deps.queue.drain().sort()).toEqual([...ids].sort());
    expect(JSON.parse((await deps.store.getCursor(RECOVERY_CURSOR))!)).toEqual({ nextAt: later(30 * MIN) });

    expect(await recoveryStep(deps)).toBeUndefined();
    deps.clock.advance(30 * MIN);
    // The next pass finds them again (still scheduled: nobody worked them) and queues them again.
    expect(await recoveryStep(deps)).toMatchObject({ found: 5, repaired: 0, enqueued: 5, passDone: true });
  });

  it('a stored position the store refuses starts the pass again', async () => {
    const { deps, terminate } = engine();
    await terminate(DANA);
    deps.queue.drain();
    await deps.store.setCursor(RECOVERY_CURSOR, JSON.stringify({ cursor: 'stale' }));
    deps.store.failNext.scanByStatus = new LeaverError('invalid_request', 'Invalid cursor');
    expect(await recoveryStep(deps)).toMatchObject({ found: 1, enqueued: 1, passDone: true });
  });

  it('the due sweep runs it: a due offboarding the index lost is queued once, one it holds is not queued twice', async () => {
    const { deps, terminate } = engine();
    const lost = await terminate(DANA);
    const kept = await terminate(ALEX);
    deps.queue.drain();
    deps.store.loseIndexEntries(lost);
    const swept = await dueSweep(deps);
    expect(swept).toMatchObject({ enqueued: 2, recovery: { found: 2, repaired: 1, enqueued: 1 } });
    expect(deps.queue.drain().sort()).toEqual([lost, kept].sort());
    // Within recoveryScanMinutes no new pass: the next sweep reads the (repaired) index only.
    expect(await dueSweep(deps)).toEqual({ enqueued: 2, failed: 0, stale: 0 });
  });
});

/** The store as the sweeps saw it before recovery existed: the table pass finds nothing. */
function withoutRecovery<T extends { scanByStatus: unknown }>(store: T): T {
  const s = Object.create(store) as T & { scanByStatus: () => Promise<{ items: [] }> };
  s.scanByStatus = async () => ({ items: [] });
  return s;
}
