import { describe, expect, it } from 'vitest';
import { releaseOffboarding, setKillSwitch } from '../../../lambdas/core/commands.ts';
import type { LeaverConfigInput } from '../../../lambdas/core/config.ts';
import { isProtectedEmail, shareExceeded } from '../../../lambdas/core/guards.ts';
import { dueSweep, reconcile } from '../../../lambdas/core/schedules.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { grants } from '../../support/fake-connector.ts';
import { TEST_TENANTS } from '../../support/memory-ports.ts';
import { ALEX, DANA, engine } from './engine.ts';

describe('kill switch', () => {
  it('the store flag holds every revocation; audited once per activation; runs when lifted', async () => {
    const { deps, fakes, terminate, ctx, chainOk } = engine();
    const g = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(g);
    await setKillSwitch(deps, 'alice', { enabled: true, reason: 'incident 42' });
    const id = await terminate(DANA);
    deps.queue.drain();

    // Held in the store and its message deleted ('done'): nothing is redelivered into the DLQ.
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.discoverCalls).toEqual([]);
    expect(fakes.cloudmanager.has(g)).toBe(true);
    const held = deps.store.must(id);
    expect(held.status).toBe('scheduled');
    expect(held.heldAt).toBeDefined();
    expect(deps.audit.records(id).filter((r) => r.event === 'kill_switch')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ held: true, source: 'flag' }) }),
    ]);

    // Turning it off puts the held offboarding back on the queue, audited.
    const off = await setKillSwitch(deps, 'alice', { enabled: false, reason: 'resolved' });
    expect(off.resumed).toEqual({ resumed: 1, notEnqueued: 0 });
    expect(deps.queue.drain()).toEqual([id]);
    expect(
      deps.audit
        .records(id)
        .filter((r) => r.event === 'kill_switch')
        .at(-1),
    ).toMatchObject({
      actor: 'alice',
      detail: { resumed: true },
    });
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.has(g)).toBe(false);
    expect(deps.store.must(id).heldAt).toBeUndefined();
    expect(deps.store.must(id).status).toBe('completed');
    expect(chainOk(id)).toBe(true);
  });

  it('a held offboarding the resume could not enqueue is found by the due sweep', async () => {
    const { deps, fakes, terminate, ctx } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    await setKillSwitch(deps, 'alice', { enabled: true, reason: 'incident' });
    const id = await terminate(DANA);
    deps.queue.drain();
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    deps.queue.failNext = new Error('queue down');
    const off = await setKillSwitch(deps, 'alice', { enabled: false, reason: 'resolved' });
    expect(off.resumed).toEqual({ resumed: 0, notEnqueued: 1 });
    expect(deps.store.must(id).heldAt).toBeDefined();
    expect(await dueSweep(deps)).toMatchObject({ enqueued: 1, failed: 0 });
    expect(deps.queue.drain()).toEqual([id]);
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(deps.store.must(id).status).toBe('completed');
  });

  it('turning the flag off while the configuration switch is on resumes nothing', async () => {
    const { deps, terminate, work } = engine({ safety: { killSwitch: true } });
    const id = await terminate(DANA);
    expect(await work()).toEqual([{ id, result: 'done' }]);
    const off = await setKillSwitch(deps, 'alice', { enabled: false, reason: 'not yet' });
    expect(off.resumed).toBeUndefined();
    expect(deps.queue.drain()).toEqual([]);
    expect(deps.store.must(id).heldAt).toBeDefined();
  });

  it('the configuration switch holds too', async () => {
    const { deps, fakes, terminate, work } = engine({ safety: { killSwitch: true } });
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const id = await terminate(DANA);
    expect(await work()).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
    expect(deps.store.must(id).heldAt).toBeDefined();
  });

  it('flipped mid-run: stops before the verification round and holds the run until it is off', async () => {
    const { deps, fakes, terminate, ctx } = engine();
    const inv = grants.cmInvitation(DANA);
    fakes.cloudmanager.add(inv);
    fakes.cloudmanager.beforeRevoke = () => {
      void deps.store.setKillSwitch({
        enabled: true,
        reason: 'x',
        by: 'bob',
        at: deps.clock.now().toISOString(),
      });
    };
    const id = await terminate(DANA);
    deps.queue.drain();
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(deps.store.must(id).status).toBe('running');
    expect(deps.store.must(id).heldAt).toBeDefined();
    expect(fakes.cloudmanager.discoverCalls).toHaveLength(1);
  });
});

describe('kill switch: between revocations', () => {
  /** One call at a time at Cloud Manager, so "the remaining calls" are well defined. */
  const serial = {
    tenants: structuredClone(TEST_TENANTS).map((t) =>
      t.vendor === 'cloudmanager' ? { ...t, maxConcurrency: 1 } : t,
    ) as unknown as LeaverConfigInput['tenants'],
  };

  it('flipped mid-run: the remaining vendor calls are not made, the stop is audited, the next delivery finishes', async () => {
    const { deps, fakes, terminate, ctx, chainOk } = engine(serial);
    const g = [1, 2, 3, 4, 5, 6].map(() => grants.cmOrgUser(DANA));
    fakes.cloudmanager.add(...g);
    fakes.cloudmanager.beforeRevoke = async () => {
      if (fakes.cloudmanager.revokeCalls.length !== 2) return;
      await deps.store.setKillSwitch({
        enabled: true,
        reason: 'incident',
        by: 'bob',
        at: deps.clock.now().toISOString(),
      });
      deps.clock.advance(1_001); // past the cached read's age
    };
    const id = await terminate(DANA);
    deps.queue.drain();
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    // The two calls under way finished; none of the four left was made.
    expect(fakes.cloudmanager.revokeCalls).toHaveLength(2);
    expect(fakes.cloudmanager.remaining()).toHaveLength(4);
    const off = deps.store.must(id);
    expect(off.status).toBe('running');
    expect(off.heldAt).toBeDefined();
    expect(off.leaseUntil).toBeUndefined();
    const stop = deps.audit.records(id).filter((r) => r.event === 'kill_switch');
    expect(stop.map((r) => r.detail)).toEqual([
      expect.objectContaining({ stopped: true, source: 'flag' }),
      expect.objectContaining({ held: true, source: 'flag' }),
    ]);
    // While it stays on, a redelivery does nothing.
    fakes.cloudmanager.beforeRevoke = undefined;
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.revokeCalls).toHaveLength(2);

    await setKillSwitch(deps, 'bob', { enabled: false, reason: 'over' });
    expect(deps.queue.drain()).toEqual([id]);
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.remaining()).toEqual([]);
    expect(fakes.cloudmanager.revokeCalls).toHaveLength(6); // nothing revoked twice
    expect(deps.store.must(id).counts).toMatchObject({ revoked: 6, failed: 0 });
    expect(chainOk(id)).toBe(true);
  });

  it('reads the flag at most about once a second, not once per vendor call', async () => {
    const { deps, fakes, terminate, ctx } = engine(serial);
    fakes.cloudmanager.add(...Array.from({ length: 30 }, () => grants.cmOrgUser(DANA)));
    let calls = 0;
    fakes.cloudmanager.beforeRevoke = () => {
      if (++calls % 10 === 0) deps.clock.advance(1_000);
    };
    const id = await terminate(DANA);
    deps.queue.drain();
    expect(await processOffboardings(deps, [id], ctx(600_000))).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.revokeCalls).toHaveLength(30);
    // Admission, one read per second of revocations (3), the verification round.
    expect(deps.store.killSwitchReads).toBeLessThanOrEqual(6);
  });

  it('reconciliation re-checks it for every leaver and before every vendor call', async () => {
    const { deps, fakes, terminate, work, ctx } = engine(serial);
    const ids = [await terminate(DANA), await terminate(ALEX)];
    await work();
    deps.clock.advance(3_600_000);
    const again = [grants.cmInvitation(DANA), grants.cmInvitation(DANA), grants.cmInvitation(ALEX)];
    fakes.cloudmanager.add(...again);
    fakes.cloudmanager.beforeRevoke = async () => {
      await deps.store.setKillSwitch({
        enabled: true,
        reason: 'incident',
        by: 'bob',
        at: deps.clock.now().toISOString(),
      });
      deps.clock.advance(1_001);
    };
    const r = await reconcile(deps, ctx());
    expect(r).toMatchObject({ held: true, partial: true });
    // One call got through before the switch; the second invitation and the other leaver wait.
    expect(fakes.cloudmanager.revokeCalls).toHaveLength(1);
    expect(fakes.cloudmanager.remaining()).toHaveLength(2);
    expect(deps.audit.events(ids[0]!)).toContain('kill_switch');
  });
});

describe('blast radius', () => {
  it('quarantines offboardings beyond N started in the window and alerts; release runs them', async () => {
    const { deps, fakes, terminate, work, ctx, chainOk } = engine({
      safety: { blastRadius: { maxOffboardings: 2, windowMinutes: 10 } },
    });
    const emails = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com'];
    for (const e of emails) fakes.cloudmanager.add(grants.cmOrgUser(e));
    const ids = [];
    for (const e of emails) ids.push(await terminate(e));
    await work();
    const statuses = ids.map((id) => deps.store.must(id).status);
    expect(statuses).toEqual(['completed', 'completed', 'quarantined', 'quarantined']);
    expect(fakes.cloudmanager.remaining().map((g) => g.email)).toEqual(['c@example.com', 'd@example.com']);
    expect(deps.notifier.kinds()).toEqual(['quarantine', 'quarantine']);
    expect(deps.audit.records(ids[2]!).find((r) => r.event === 'quarantined')!.detail).toMatchObject({
      reason: 'rate',
    });

    // A quarantined delivery does nothing.
    expect(await processOffboardings(deps, [ids[2]!], ctx())).toEqual([{ id: ids[2], result: 'done' }]);

    await releaseOffboarding(deps, 'security-lead', ids[2]!);
    expect(deps.queue.messages).toEqual([ids[2]]);
    await work();
    expect(deps.store.must(ids[2]!).status).toBe('completed');
    expect(deps.store.must(ids[3]!).status).toBe('quarantined');
    const released = deps.audit.records(ids[2]!).find((r) => r.event === 'released')!;
    expect(released.actor).toBe('security-lead');
    expect(chainOk(ids[2]!)).toBe(true);
  });

  it('the window slides: after it, new offboardings start again', async () => {
    const { deps, fakes, terminate, work } = engine({
      safety: { blastRadius: { maxOffboardings: 1, windowMinutes: 10 } },
    });
    fakes.cloudmanager.add(grants.cmOrgUser(DANA), grants.cmOrgUser(ALEX));
    const a = await terminate(DANA);
    await work();
    deps.clock.advance(11 * 60_000);
    const b = await terminate(ALEX);
    await work();
    expect([deps.store.must(a).status, deps.store.must(b).status]).toEqual(['completed', 'completed']);
  });

  it('quarantines a batch that would remove more than X% of the people seen in a tenant', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.cloudmanager.peopleSeen.set('cm-main', 5);
    fakes.cloudmanager.add(grants.cmOrgUser(DANA), grants.cmOrgUser(ALEX));
    const a = await terminate(DANA);
    const b = await terminate(ALEX);
    await work();
    expect([deps.store.must(a).status, deps.store.must(b).status]).toEqual(['quarantined', 'quarantined']);
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
    expect(deps.audit.records(a).find((r) => r.event === 'quarantined')!.detail).toMatchObject({
      reason: 'share',
      tenantId: 'cm-main',
      people: 2,
      peopleSeen: 5,
    });
    // Released ones go through.
    await releaseOffboarding(deps, 'lead', a);
    await releaseOffboarding(deps, 'lead', b);
    await work();
    expect([deps.store.must(a).status, deps.store.must(b).status]).toEqual(['completed', 'completed']);
    expect(fakes.cloudmanager.remaining()).toEqual([]);
  });

  it('the share counts people removed in the window across batches, not only the current batch', async () => {
    const { deps, fakes, terminate, work } = engine({
      safety: { blastRadius: { maxPercentOfPeople: 20, windowMinutes: 60 } },
    });
    fakes.cloudmanager.peopleSeen.set('cm-main', 10);
    const people = ['p1@example.com', 'p2@example.com', 'p3@example.com'];
    for (const e of people) fakes.cloudmanager.add(grants.cmOrgUser(e));
    // Three batches of one leaver each: 2 of 10 people is within 20 %, the third is not.
    const ids: string[] = [];
    for (const e of people) {
      ids.push(await terminate(e));
      await work();
    }
    expect(ids.map((id) => deps.store.must(id).status)).toEqual(['completed', 'completed', 'quarantined']);
    expect(deps.audit.records(ids[2]!).find((r) => r.event === 'quarantined')!.detail).toMatchObject({
      reason: 'share',
      tenantId: 'cm-main',
      people: 3,
      peopleSeen: 10,
    });
    expect(fakes.cloudmanager.remaining().map((g) => g.email)).toEqual(['p3@example.com']);
    // The same person again is not one more person; a new window starts afresh.
    fakes.cloudmanager.add(grants.cmOrgUser('p1@example.com'));
    const again = await terminate('p1@example.com');
    await work();
    expect(deps.store.must(again).status).toBe('completed');
    deps.clock.advance(61 * 60_000);
    fakes.cloudmanager.add(grants.cmOrgUser('p4@example.com'));
    const next = await terminate('p4@example.com');
    await work();
    expect(deps.store.must(next).status).toBe('completed');
  });

  it('the share is of the people there were: those removed earlier in the window count in the whole', async () => {
    const { deps, fakes, terminate, work } = engine({
      safety: { blastRadius: { maxPercentOfPeople: 50, windowMinutes: 60 } },
    });
    const people = ['q1@example.com', 'q2@example.com', 'q3@example.com', 'q4@example.com'];
    for (const e of people) fakes.cloudmanager.add(grants.cmOrgUser(e));
    // A tenant of 10: each removal leaves one person fewer for the vendor to show.
    const ids: string[] = [];
    for (const [i, e] of people.entries()) {
      fakes.cloudmanager.peopleSeen.set('cm-main', 10 - i);
      ids.push(await terminate(e));
      await work();
    }
    // 4 of 10 is 40 %: within 50 %, although 4 of the 7 still shown would be 57 %.
    expect(ids.map((id) => deps.store.must(id).status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    fakes.cloudmanager.peopleSeen.set('cm-main', 6);
    fakes.cloudmanager.add(grants.cmOrgUser('q5@example.com'));
    fakes.cloudmanager.add(grants.cmOrgUser('q6@example.com'));
    const q5 = await terminate('q5@example.com');
    await work();
    const q6 = await terminate('q6@example.com');
    await work();
    // 5 of 10 is the limit; the sixth would be 60 %.
    expect([deps.store.must(q5).status, deps.store.must(q6).status]).toEqual(['completed', 'quarantined']);
  });

  it('at 100 % the share guard never holds anyone, however many leave', async () => {
    const { deps, fakes, terminate, work } = engine({
      safety: { blastRadius: { maxPercentOfPeople: 100, windowMinutes: 60, maxOffboardings: 100 } },
    });
    const people = ['r1@example.com', 'r2@example.com', 'r3@example.com'];
    for (const e of people) fakes.cloudmanager.add(grants.cmOrgUser(e));
    const ids: string[] = [];
    for (const [i, e] of people.entries()) {
      fakes.cloudmanager.peopleSeen.set('cm-main', 3 - i);
      ids.push(await terminate(e));
      await work();
    }
    expect(ids.map((id) => deps.store.must(id).status)).toEqual(['completed', 'completed', 'completed']);
  });

  it('one leaver in a small tenant is never a blast', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.cloudmanager.peopleSeen.set('cm-main', 3);
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const id = await terminate(DANA);
    await work();
    expect(deps.store.must(id).status).toBe('completed');
  });

  it('shareExceeded and isProtectedEmail', () => {
    expect(shareExceeded(2, 10, 20)).toBe(false);
    expect(shareExceeded(3, 10, 20)).toBe(true);
    expect(shareExceeded(1, 2, 20)).toBe(false);
    const safety = { protectedEmails: ['Admin@Example.com'], protectedDomains: ['svc.example.net'] };
    expect(isProtectedEmail('admin@example.com', safety)).toBe(true);
    expect(isProtectedEmail('bot@svc.example.net', safety)).toBe(true);
    expect(isProtectedEmail('bot@eu.svc.example.net', safety)).toBe(true);
    expect(isProtectedEmail('bot@notsvc.example.net', safety)).toBe(false);
    expect(isProtectedEmail('admin2@example.com', safety)).toBe(false);
  });
});
