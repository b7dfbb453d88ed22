import { describe, expect, it } from 'vitest';
import { setKillSwitch } from '../../../lambdas/core/commands.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { grantKey } from '../../../lambdas/core/model.ts';
import { dueSweep, RECONCILE_BATCH, reconcile, retrySweep } from '../../../lambdas/core/schedules.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { grants } from '../../support/fake-connector.ts';
import { ALEX, DANA, engine } from './engine.ts';

const DAY = 86_400_000;

describe('due sweep', () => {
  it('a future-dated termination waits, then runs when the sweep finds it due', async () => {
    const { deps, fakes, terminate, work, chainOk } = engine();
    const g = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(g);
    const effectiveAt = new Date(deps.clock.now().getTime() + 2 * DAY).toISOString();
    const id = await terminate(DANA, { effectiveAt });
    expect(deps.queue.messages).toEqual([]);
    expect(await dueSweep(deps)).toEqual({ enqueued: 0, failed: 0, stale: 0 });
    deps.clock.advance(DAY);
    expect((await dueSweep(deps)).enqueued).toBe(0);
    deps.clock.set(effectiveAt);
    expect((await dueSweep(deps)).enqueued).toBe(1);
    await work();
    expect(fakes.cloudmanager.has(g)).toBe(false);
    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.timeToRevokeMs).toBe(0);
    expect(chainOk(id)).toBe(true);
  });

  it('holds while the kill switch is on', async () => {
    const { deps, terminate } = engine();
    await terminate(DANA);
    deps.queue.drain();
    await setKillSwitch(deps, 'ops', { enabled: true, reason: 'x' });
    expect(await dueSweep(deps)).toEqual({ enqueued: 0, failed: 0, stale: 0, held: true });
    await setKillSwitch(deps, 'ops', { enabled: false, reason: 'y' });
    expect((await dueSweep(deps)).enqueued).toBe(1);
  });

  it('re-enqueues a running offboarding whose lease lapsed, not one whose worker still holds it', async () => {
    const { deps, terminate } = engine();
    const a = await terminate(DANA);
    const b = await terminate(ALEX);
    deps.queue.drain();
    const now = deps.clock.now().getTime();
    await deps.store.transition(a, ['scheduled'], 'running', {
      attempts: 1,
      leaseUntil: new Date(now - 1).toISOString(),
    });
    await deps.store.transition(b, ['scheduled'], 'running', {
      attempts: 1,
      leaseUntil: new Date(now + 60_000).toISOString(),
    });
    expect(await dueSweep(deps)).toEqual({ enqueued: 1, failed: 0, stale: 1 });
    expect(deps.queue.messages).toEqual([a]);
  });
});

describe('reconciliation', () => {
  it('catches a re-invitation of a recent leaver: revoked, audited reinvited, alerted', async () => {
    const { deps, fakes, terminate, work, ctx, chainOk } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const id = await terminate(DANA);
    await work();
    const ttr = deps.store.must(id).timeToRevokeMs;
    deps.clock.advance(3 * DAY);
    const again = grants.cmInvitation(DANA);
    fakes.cloudmanager.add(again);

    const result = await reconcile(deps, ctx());
    expect(result).toEqual({ checked: 1, unreadTenants: 0, reinvited: 1, revoked: 1, failed: 0 });
    expect(fakes.cloudmanager.has(again)).toBe(false);
    const records = deps.audit.records(id);
    const reinvited = records.find((r) => r.event === 'reinvited')!;
    expect(reinvited).toMatchObject({
      actor: 'schedule:reconcile',
      grantKey: grantKey(again),
      vendor: 'cloudmanager',
    });
    const fin = records.filter((r) => r.event === 'action_finished').at(-1)!;
    expect(fin).toMatchObject({ outcome: 'revoked', actor: 'schedule:reconcile' });
    const action = (await deps.store.listActions(id)).find((a) => a.grantKey === grantKey(again))!;
    expect(action.reinvited).toBe(true);
    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.counts.revoked).toBe(2);
    expect(off.timeToRevokeMs).toBe(ttr);
    expect(deps.notifier.sent).toEqual([
      expect.objectContaining({ kind: 'reinvited', offboardingId: id, vendor: 'cloudmanager' }),
    ]);
    expect(chainOk(id)).toBe(true);
    // Nothing more to find: a second pass is quiet.
    expect(await reconcile(deps, ctx())).toEqual({
      checked: 1,
      unreadTenants: 0,
      reinvited: 0,
      revoked: 0,
      failed: 0,
    });
  });

  it('lists each tenant once per batch of leavers and skips those outside the lookback', async () => {
    const { deps, fakes, terminate, work, ctx } = engine({ schedules: { reconcileLookbackDays: 30 } });
    const old = await terminate('old@example.com');
    await work();
    deps.clock.advance(40 * DAY);
    await terminate(DANA);
    await terminate(ALEX);
    await work();
    for (const f of [fakes.itwin, fakes.atlas, fakes.cloudmanager]) f.discoverCalls.length = 0;
    const r = await reconcile(deps, ctx());
    expect(r.checked).toBe(2);
    for (const f of [fakes.itwin, fakes.atlas, fakes.cloudmanager]) {
      expect(f.discoverCalls).toEqual([{ tenantId: expect.any(String), emails: [ALEX, DANA] }]);
    }
    expect(deps.store.must(old).status).toBe('completed');
  });

  it('a re-invitation it cannot remove sends the offboarding back to the retry sweep', async () => {
    const { deps, fakes, terminate, work, ctx } = engine();
    const id = await terminate(DANA);
    await work();
    fakes.atlas.add(grants.atlasInvitation(DANA));
    fakes.atlas.failRevoke = () => new LeaverError('vendor_unavailable', 'down');
    expect(await reconcile(deps, ctx())).toMatchObject({ reinvited: 1, failed: 1 });
    const off = deps.store.must(id);
    expect(off.status).toBe('completed_with_failures');
    expect(off.nextRetryAt).toBeDefined();
  });

  it('reports tenants it could not read', async () => {
    const { deps, fakes, terminate, work, ctx } = engine();
    await terminate(DANA);
    await work();
    fakes.itwin.failDiscover.set('itwin-main', new LeaverError('vendor_unavailable', 'down'));
    expect(await reconcile(deps, ctx())).toMatchObject({ checked: 1, unreadTenants: 1 });
    // An outage heals by itself: no alert at every run.
    expect(deps.notifier.sent).toEqual([]);
  });

  it('alerts once per run a tenant whose answers no longer match their schema', async () => {
    const { deps, fakes, terminate, work, ctx } = engine({
      safety: { blastRadius: { maxOffboardings: 100 } },
    });
    const emails = Array.from({ length: RECONCILE_BATCH + 5 }, (_, i) => `leaver${i}@example.com`);
    for (const e of emails) await terminate(e);
    await work(600_000);
    fakes.atlas.failDiscover.set(
      'atlas-main',
      new LeaverError('vendor_unexpected_response', 'atlas GET /orgs/{id}/users: unexpected answer'),
    );
    // Two batches, both unread: one alert naming the tenant and the code.
    expect(await reconcile(deps, ctx(600_000))).toMatchObject({ checked: emails.length, unreadTenants: 2 });
    expect(deps.notifier.sent).toEqual([
      expect.objectContaining({ kind: 'failure', vendor: 'atlas', tenantId: 'atlas-main' }),
    ]);
    expect(deps.notifier.sent[0]!.message).toContain('atlas-main (vendor_unexpected_response)');
  });

  it('a run that runs out of time resumes after the last leaver it checked: every leaver is checked in turn', async () => {
    const { deps, fakes, terminate, work, ctx } = engine({
      safety: { blastRadius: { maxOffboardings: 1000 } },
    });
    const n = RECONCILE_BATCH * 3;
    const emails = Array.from({ length: n }, (_, i) => `leaver${String(i).padStart(3, '0')}@example.com`);
    const ids: string[] = [];
    for (const e of emails) ids.push(await terminate(e));
    await work(600_000);
    expect(ids.every((id) => deps.store.must(id).status === 'completed')).toBe(true);
    deps.clock.advance(DAY);
    // Each run has time for one batch only: listing takes the rest of its time.
    const seen: string[][] = [];
    fakes.itwin.discover = async (subjects) => {
      seen.push(subjects.map((s) => s.email));
      deps.clock.advance(10_000);
      return [];
    };
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await reconcile(deps, ctx(11_000)));
    expect(runs.map((r) => [r.checked, r.partial])).toEqual([
      [RECONCILE_BATCH, true],
      [RECONCILE_BATCH, true],
      [RECONCILE_BATCH, true],
    ]);
    expect(new Set(seen.flat())).toEqual(new Set(emails));
    // Without the rotation every run would list the first batch only. It goes on: the fourth run
    // starts from the first leaver again.
    const fourth = await reconcile(deps, ctx(11_000));
    expect(fourth.partial).toBe(true);
    expect(seen[3]).toEqual(emails.slice(0, RECONCILE_BATCH));
    // A run with time for everything checks all and starts from the first next time.
    seen.length = 0;
    expect(await reconcile(deps, ctx(600_000))).toMatchObject({ checked: n });
    expect(seen[0]).toEqual(emails.slice(RECONCILE_BATCH, 2 * RECONCILE_BATCH));
    seen.length = 0;
    await reconcile(deps, ctx(600_000));
    expect(seen[0]).toEqual(emails.slice(0, RECONCILE_BATCH));
  });

  it('holds while the kill switch is on', async () => {
    const { deps, fakes, terminate, work, ctx } = engine();
    await terminate(DANA);
    await work();
    fakes.cloudmanager.add(grants.cmInvitation(DANA));
    await setKillSwitch(deps, 'ops', { enabled: true, reason: 'x' });
    expect(await reconcile(deps, ctx())).toMatchObject({ held: true, checked: 0 });
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
  });
});

describe('retry sweep', () => {
  it('re-runs a completed_with_failures offboarding when its backoff has passed', async () => {
    const { deps, fakes, terminate, work, chainOk } = engine();
    const g = grants.atlasOrgUser(DANA);
    fakes.atlas.add(g);
    let down = true;
    fakes.atlas.failRevoke = () => (down ? new LeaverError('vendor_unavailable', 'down') : undefined);
    const id = await terminate(DANA);
    await work();
    const first = deps.store.must(id);
    expect(first.status).toBe('completed_with_failures');
    expect(Date.parse(first.nextRetryAt!) - deps.clock.now().getTime()).toBe(5 * 60_000);

    expect(await retrySweep(deps)).toEqual({ enqueued: 0, failed: 0, exhausted: 0 });
    deps.clock.advance(5 * 60_000);
    down = false;
    expect(await retrySweep(deps)).toEqual({ enqueued: 1, failed: 0, exhausted: 0 });
    expect(deps.store.must(id).status).toBe('scheduled');
    await work();
    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.attempts).toBe(2);
    expect(off.counts).toMatchObject({ revoked: 1, failed: 0 });
    expect(off.nextRetryAt).toBeUndefined();
    expect(fakes.atlas.has(g)).toBe(false);
    expect(chainOk(id)).toBe(true);
  });

  it('backs off exponentially and stops after maxAttempts with retry_exhausted audited and alerted', async () => {
    const { deps, fakes, terminate, work } = engine({
      schedules: { retry: { maxAttempts: 3, baseDelayMinutes: 5, maxDelayMinutes: 8 } },
    });
    fakes.atlas.add(grants.atlasOrgUser(DANA));
    fakes.atlas.failRevoke = () => new LeaverError('vendor_unavailable', 'down');
    const id = await terminate(DANA);
    await work();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const off = deps.store.must(id);
      if (!off.nextRetryAt) break;
      delays.push((Date.parse(off.nextRetryAt) - deps.clock.now().getTime()) / 60_000);
      deps.clock.set(off.nextRetryAt);
      await retrySweep(deps);
      await work();
    }
    expect(delays).toEqual([5, 8]);
    const off = deps.store.must(id);
    expect(off.attempts).toBe(3);
    expect(off.status).toBe('completed_with_failures');
    expect(off.nextRetryAt).toBeUndefined();
    expect(deps.audit.events(id).filter((e) => e === 'retry_exhausted')).toHaveLength(1);
    expect(deps.notifier.kinds().filter((k) => k === 'retry_exhausted')).toHaveLength(1);
    expect(deps.notifier.kinds().filter((k) => k === 'failure')).toHaveLength(3);
    deps.clock.advance(DAY);
    expect(await retrySweep(deps)).toEqual({ enqueued: 0, failed: 0, exhausted: 0 });
  });

  it('a retry is not a new burst: the blast-radius rate does not quarantine it', async () => {
    const { deps, fakes, terminate, work, ctx } = engine({ safety: { blastRadius: { maxOffboardings: 1 } } });
    fakes.atlas.add(grants.atlasOrgUser(DANA));
    let down = true;
    fakes.atlas.failRevoke = () => (down ? new LeaverError('vendor_unavailable', 'down') : undefined);
    const id = await terminate(DANA);
    await work();
    down = false;
    deps.clock.set(deps.store.must(id).nextRetryAt!);
    await retrySweep(deps);
    await processOffboardings(deps, deps.queue.drain(), ctx());
    expect(deps.store.must(id).status).toBe('completed');
  });
});
