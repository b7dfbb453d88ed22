import { describe, expect, it } from 'vitest';
import { releaseOffboarding, setKillSwitch } from '../../../lambdas/core/commands.ts';
import { isProtectedEmail, shareExceeded } from '../../../lambdas/core/guards.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { grants } from '../../support/fake-connector.ts';
import { ALEX, DANA, engine } from './engine.ts';

describe('kill switch', () => {
  it('the store flag holds every revocation; audited once per activation; runs when lifted', async () => {
    const { deps, fakes, terminate, ctx, chainOk } = engine();
    const g = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(g);
    await setKillSwitch(deps, 'alice', { enabled: true, reason: 'incident 42' });
    const id = await terminate(DANA);
    deps.queue.drain();

    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(fakes.cloudmanager.discoverCalls).toEqual([]);
    expect(fakes.cloudmanager.has(g)).toBe(true);
    expect(deps.store.must(id).status).toBe('scheduled');
    expect(deps.audit.events(id).filter((e) => e === 'kill_switch')).toHaveLength(1);

    await setKillSwitch(deps, 'alice', { enabled: false, reason: 'resolved' });
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.has(g)).toBe(false);
    expect(chainOk(id)).toBe(true);
  });

  it('the configuration switch holds too', async () => {
    const { fakes, terminate, work } = engine({ safety: { killSwitch: true } });
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const id = await terminate(DANA);
    expect(await work()).toEqual([{ id, result: 'retry' }]);
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
  });

  it('flipped mid-run: stops before the verification round and leaves the run to finish later', async () => {
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
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(deps.store.must(id).status).toBe('running');
    expect(fakes.cloudmanager.discoverCalls).toHaveLength(1);
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
