/**
 * Inventory-first offboardings: the known grants are revoked at once (invitations first) before any
 * listing, then a full discovery verifies; what it finds that the inventory missed is revoked and
 * counted, and `completed` comes only after that verification.
 */
import { describe, expect, it } from 'vitest';
import { setKillSwitch } from '../../../lambdas/core/commands.ts';
import type { LeaverConfigInput } from '../../../lambdas/core/config.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { acceptHrEvents } from '../../../lambdas/core/intake.ts';
import { grantKey } from '../../../lambdas/core/model.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { grants } from '../../support/fake-connector.ts';
import { inventoryDeps } from '../../support/memory-inventory.ts';

const DANA = 'dana.leaver@example.com';
const SAM = 'sam.stays@example.com';

function setup(config: LeaverConfigInput = {}) {
  const t = inventoryDeps(config);
  let n = 0;
  const terminate = async (email: string) => {
    const [r] = await acceptHrEvents(
      t.deps,
      [
        {
          kind: 'terminate',
          source: 'standard',
          sourceEventId: `evt_${++n}`,
          subject: { email, aliases: [] },
          occurredAt: t.deps.clock.now().toISOString(),
        },
      ],
      { type: 'hr', id: 'standard' },
    );
    return r!.offboardingId!;
  };
  const work = () => processOffboardings(t.deps, t.deps.queue.drain(), t.ctx());
  const discovered = (id: string) =>
    t.deps.audit
      .records(id)
      .filter((r) => r.event === 'discovered')
      .map((r) => r.detail);
  return { ...t, terminate, work, discovered };
}

describe('inventory-first offboarding', () => {
  it('revokes the known grants at once, invitations first and before any listing, then verifies and completes', async () => {
    const t = setup();
    const g = {
      itInv: grants.itwinInvitation(DANA),
      itMem: grants.itwinMember(DANA),
      atInv: grants.atlasInvitation(DANA),
      atOrg: grants.atlasOrgUser(DANA),
      cmUser: grants.cmOrgUser(DANA),
      sam: grants.cmOrgUser(SAM),
    };
    t.fakes.itwin.add(g.itMem, g.itInv);
    t.fakes.atlas.add(g.atOrg, g.atInv);
    t.fakes.cloudmanager.add(g.cmUser, g.sam);
    await t.sync();
    expect(t.inventory.kindsOf(DANA)).toHaveLength(5);
    t.events.length = 0;

    const id = await t.terminate(DANA);
    expect(await t.work()).toEqual([{ id, result: 'done' }]);

    // Five revocations, the two invitations of each vendor before its memberships, then the
    // verification lists each tenant once.
    const firstList = t.events.findIndex((e) => e.startsWith('list'));
    expect(t.events.slice(0, firstList).filter((e) => e.startsWith('revoke'))).toHaveLength(5);
    expect(t.events.slice(firstList).filter((e) => e.startsWith('revoke'))).toEqual([]);
    expect(t.events.slice(firstList).sort()).toEqual(['list atlas-main', 'list cm-main', 'list itwin-main']);
    const revokes = t.events.filter((e) => e.startsWith('revoke'));
    expect(revokes.indexOf('revoke itwin_member_invitation dana.leaver@example.com')).toBeLessThan(
      revokes.indexOf('revoke itwin_user_member dana.leaver@example.com'),
    );
    expect(revokes.indexOf('revoke atlas_org_invitation dana.leaver@example.com')).toBeLessThan(
      revokes.indexOf('revoke atlas_org_user dana.leaver@example.com'),
    );

    const off = t.deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.counts).toMatchObject({ revoked: 5, failed: 0 });
    expect(off).toMatchObject({ knownByInventory: 5, missedByInventory: 0 });
    expect(t.discovered(id)).toEqual([
      expect.objectContaining({ pass: 0, source: 'inventory', known: 5, grants: 5 }),
      expect.objectContaining({ pass: 1, grants: 0, missedByInventory: 0 }),
    ]);
    // The inventory forgot what was revoked; the colleague's access is still known.
    expect(t.inventory.kindsOf(DANA)).toEqual([]);
    expect(t.inventory.kindsOf(SAM)).toEqual(['cloudmanager_org_user@cm-main']);
    expect(t.fakes.cloudmanager.remaining()).toEqual([g.sam]);
  });

  it('a stale inventory: a grant someone else removed is already_absent, one added after the sync is caught by the verification, revoked and counted', async () => {
    const t = setup();
    const removedBySomeoneElse = grants.itwinMember(DANA);
    const stillThere = grants.cmOrgUser(DANA);
    t.fakes.itwin.add(removedBySomeoneElse);
    t.fakes.cloudmanager.add(stillThere);
    await t.sync();
    // After the last sync: an admin removed one grant by hand, and someone invited Dana again.
    t.fakes.itwin.grants.set('itwin-main', []);
    const addedAfterSync = grants.atlasInvitation(DANA);
    t.fakes.atlas.add(addedAfterSync);

    const id = await t.terminate(DANA);
    await t.work();

    const actions = new Map((await t.deps.store.listActions(id)).map((a) => [a.grantKey, a]));
    expect(actions.get(grantKey(removedBySomeoneElse))).toMatchObject({
      outcome: 'already_absent',
      pass: 0,
      known: true,
    });
    expect(actions.get(grantKey(stillThere))).toMatchObject({ outcome: 'revoked', pass: 0, known: true });
    expect(actions.get(grantKey(addedAfterSync))).toMatchObject({ outcome: 'revoked', pass: 1 });
    expect(actions.get(grantKey(addedAfterSync))?.known).toBeUndefined();
    expect(t.fakes.atlas.remaining()).toEqual([]);

    const off = t.deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off).toMatchObject({ knownByInventory: 2, missedByInventory: 1 });
    expect(t.discovered(id)).toEqual([
      expect.objectContaining({ pass: 0, known: 2 }),
      expect.objectContaining({ pass: 1, missedByInventory: 1 }),
      expect.objectContaining({ pass: 2, missedByInventory: 0 }),
    ]);
    const finished = t.deps.audit.records(id).find((r) => r.event === 'finished');
    expect(finished?.detail).toMatchObject({
      status: 'completed',
      knownByInventory: 2,
      missedByInventory: 1,
    });
    // `completed` came after the verification that found nothing left.
    const events = t.deps.audit.events(id);
    expect(events.lastIndexOf('discovered')).toBeLessThan(events.indexOf('finished'));
  });

  it('never completes on a listing it could not read: the verification of that tenant failed', async () => {
    const t = setup();
    t.fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    await t.sync();
    t.fakes.itwin.failDiscover.set(
      'itwin-main',
      new LeaverError('vendor_unexpected_response', 'members list did not parse'),
    );
    const id = await t.terminate(DANA);
    await t.work();
    const off = t.deps.store.must(id);
    expect(off.status).toBe('completed_with_failures');
    expect(t.deps.audit.records(id).find((r) => r.event === 'finished')?.detail).toMatchObject({
      failedTenants: [{ tenantId: 'itwin-main', vendor: 'itwin', errorCode: 'vendor_unexpected_response' }],
    });
  });

  it('leaves owner grants to the verification listing: the last owner is skipped, never removed from old knowledge', async () => {
    const t = setup();
    const owner = grants.itwinOwner(DANA);
    t.fakes.itwin.add(owner, grants.itwinMember(DANA));
    await t.sync();
    const id = await t.terminate(DANA);
    await t.work();
    // Only the membership went in the first pass; the verification saw Dana as the only owner.
    expect(t.fakes.itwin.revokeCalls.map((c) => c.kind)).toEqual(['itwin_user_member']);
    const a = (await t.deps.store.listActions(id)).find((x) => x.grantKey === grantKey(owner));
    expect(a).toMatchObject({ outcome: 'skipped', skipReason: 'last_owner', pass: 1, known: true });
    expect(t.deps.store.must(id)).toMatchObject({ status: 'completed', missedByInventory: 0 });
    expect(t.deps.notifier.kinds()).toContain('last_owner');
  });

  it('the blast-radius share limit holds on known grants: the inventory counts the people of each tenant', async () => {
    const t = setup();
    const people = ['a@example.com', 'b@example.com', 'c@example.com'];
    for (const p of people) t.fakes.cloudmanager.add(grants.cmOrgUser(p));
    await t.sync();
    const ids = [];
    for (const p of people) ids.push(await t.terminate(p));
    await t.work();
    // 3 of 3 people (over 20 %): the offboardings that would pass the limit are held, nothing removed.
    expect(ids.map((id) => t.deps.store.must(id).status)).toContain('quarantined');
    expect(t.fakes.cloudmanager.revokeCalls.length).toBeLessThan(3);
  });

  it('a tenant the inventory has not synced yet is listed for the first pass (and counted known)', async () => {
    const t = setup();
    t.fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    await t.sync({ tenantIds: ['itwin-main', 'cm-main'] });
    const later = grants.atlasOrgUser(DANA);
    t.fakes.atlas.add(later);
    const id = await t.terminate(DANA);
    await t.work();
    const a = (await t.deps.store.listActions(id)).find((x) => x.grantKey === grantKey(later));
    expect(a).toMatchObject({ outcome: 'revoked', pass: 0, known: true });
    expect(t.discovered(id)[0]).toMatchObject({
      fromInventory: ['itwin-main', 'cm-main'],
      listed: ['atlas-main'],
    });
  });
  it('kill switch flipped during the first pass: no verification, held in the store; switched off, it verifies and completes', async () => {
    const t = setup();
    const inv = grants.cmInvitation(DANA);
    const user = grants.cmOrgUser(DANA);
    t.fakes.cloudmanager.add(inv, user);
    await t.sync();
    t.fakes.cloudmanager.listCalls.length = 0;
    t.fakes.cloudmanager.beforeRevoke = async () => {
      await t.deps.store.setKillSwitch({
        enabled: true,
        reason: 'incident',
        by: 'bob',
        at: t.deps.clock.now().toISOString(),
      });
      t.deps.clock.advance(1_001); // past the cached read's age
    };
    const id = await t.terminate(DANA);
    // Held, its message deleted: not 'retry', so it never drifts into the dead-letter queue.
    expect(await t.work()).toEqual([{ id, result: 'done' }]);
    const held = t.deps.store.must(id);
    expect(held).toMatchObject({ status: 'running' });
    expect(held.heldAt).toBeDefined();
    expect(t.fakes.cloudmanager.listCalls).toEqual([]);
    expect(t.deps.queue.drain()).toEqual([]);

    t.fakes.cloudmanager.beforeRevoke = undefined;
    await setKillSwitch(t.deps, 'alice', { enabled: false, reason: 'resolved' });
    expect(t.deps.queue.drain()).toEqual([id]);
    expect(await processOffboardings(t.deps, [id], t.ctx())).toEqual([{ id, result: 'done' }]);
    const off = t.deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.heldAt).toBeUndefined();
    expect(t.fakes.cloudmanager.remaining()).toEqual([]);
    // The verification listed after the switch came off; both grants were known.
    expect(t.fakes.cloudmanager.listCalls).toEqual(['cm-main']);
    expect(off).toMatchObject({ knownByInventory: 2, missedByInventory: 0 });
  });
});

describe('mass layoff: a full batch defers its verification so batches share one listing', () => {
  it('revokes every known grant, queues the verifications, and verifies them all on one listing per tenant', async () => {
    // A layoff this size is over the default blast-radius share; it is not what this measures.
    const t = setup({
      worker: { batchSize: 3 },
      safety: { blastRadius: { maxPercentOfPeople: 100, maxOffboardings: 100, windowMinutes: 60 } },
    });
    const people = [
      'a@example.com',
      'b@example.com',
      'c@example.com',
      'd@example.com',
      'e@example.com',
      'f@example.com',
    ];
    for (const p of people) t.fakes.cloudmanager.add(grants.cmOrgUser(p), grants.cmInvitation(p));
    t.fakes.itwin.add(grants.itwinMember(SAM));
    await t.sync();
    t.fakes.cloudmanager.listCalls.length = 0;

    const ids = [];
    for (const p of people) ids.push(await t.terminate(p));
    const queued = t.deps.queue.drain();
    // Two full batches: every known grant revoked, no listing, every verification queued again.
    for (const batch of [queued.slice(0, 3), queued.slice(3)]) {
      expect((await processOffboardings(t.deps, batch, t.ctx())).map((r) => r.result)).toEqual([
        'done',
        'done',
        'done',
      ]);
      t.deps.clock.advance(1000);
    }
    expect(t.fakes.cloudmanager.remaining()).toEqual([]);
    expect(t.fakes.cloudmanager.listCalls).toEqual([]);
    for (const id of ids)
      expect(t.deps.store.must(id)).toMatchObject({ status: 'running', knownByInventory: 2 });
    const again = t.deps.queue.drain();
    expect(new Set(again)).toEqual(new Set(ids));

    // The verification batches (also full) share one listing per tenant and complete.
    for (const batch of [again.slice(0, 3), again.slice(3)]) {
      await processOffboardings(t.deps, batch, t.ctx());
      t.deps.clock.advance(1000);
    }
    expect(t.fakes.cloudmanager.listCalls).toEqual(['cm-main']);
    for (const id of ids) {
      expect(t.deps.store.must(id)).toMatchObject({ status: 'completed', missedByInventory: 0 });
      expect(t.deps.store.must(id).verifyFrom).toBeUndefined();
    }
  });

  it('a single leaver (a batch that is not full) verifies in the same delivery', async () => {
    const t = setup({ worker: { batchSize: 3 } });
    t.fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    await t.sync();
    const id = await t.terminate(DANA);
    await t.work();
    expect(t.deps.store.must(id).status).toBe('completed');
    expect(t.deps.queue.drain()).toEqual([]);
  });
});
