import { describe, expect, it } from 'vitest';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { grantKey } from '../../../lambdas/core/model.ts';
import { retrySweep } from '../../../lambdas/core/schedules.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { grants } from '../../support/fake-connector.ts';
import { ALEX, BREAKGLASS, DANA, engine, SAM } from './engine.ts';

describe('worker: a full run', () => {
  it('revokes every grant at every vendor, invitations first, memberships by order, and completes', async () => {
    const { deps, fakes, terminate, work, chainOk } = engine();
    const g = {
      itInv: grants.itwinInvitation(DANA),
      itMem: grants.itwinMember(DANA),
      atInv: grants.atlasInvitation(DANA),
      atOrg: grants.atlasOrgUser(DANA),
      atTeam: grants.atlasTeamUser(DANA),
      cmInv: grants.cmInvitation(DANA),
      cmUser: grants.cmOrgUser(DANA),
      samIt: grants.itwinMember(SAM),
      samCm: grants.cmOrgUser(SAM),
    };
    fakes.itwin.add(g.itMem, g.itInv, g.samIt);
    fakes.atlas.add(g.atOrg, g.atTeam, g.atInv);
    fakes.cloudmanager.add(g.cmUser, g.cmInv, g.samCm);
    const id = await terminate(DANA);

    expect(await work()).toEqual([{ id, result: 'done' }]);

    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.counts).toEqual({ planned: 7, revoked: 7, alreadyAbsent: 0, skipped: 0, failed: 0 });
    expect(off.attempts).toBe(1);
    expect(off.leaseUntil).toBeUndefined();
    // Only the colleague's access is left.
    expect([
      ...fakes.itwin.remaining(),
      ...fakes.atlas.remaining(),
      ...fakes.cloudmanager.remaining(),
    ]).toEqual([g.samIt, g.samCm]);
    expect(fakes.atlas.revokeCalls.map((c) => c.kind)).toEqual([
      'atlas_org_invitation',
      'atlas_team_user',
      'atlas_org_user',
    ]);
    expect(fakes.itwin.revokeCalls.map((c) => c.kind)).toEqual([
      'itwin_member_invitation',
      'itwin_user_member',
    ]);
    expect(fakes.cloudmanager.revokeCalls.map((c) => c.kind)).toEqual([
      'cloudmanager_org_invitation',
      'cloudmanager_org_user',
    ]);
    expect(chainOk(id)).toBe(true);
    const events = deps.audit.events(id);
    expect(events[0]).toBe('received');
    expect(events).toContain('started');
    expect(events.at(-1)).toBe('finished');
    expect(events.filter((e) => e === 'action_started')).toHaveLength(7);
    expect(events.filter((e) => e === 'action_finished')).toHaveLength(7);
    // Every action_finished follows its own action_started and carries the evidence.
    const records = deps.audit.records(id);
    for (const fin of records.filter((r) => r.event === 'action_finished')) {
      const start = records.find((r) => r.event === 'action_started' && r.grantKey === fin.grantKey)!;
      expect(start.seq).toBeLessThan(fin.seq);
      expect(fin).toMatchObject({ outcome: 'revoked', attempt: 1, actor: 'worker' });
      expect(fin.vendorRequestId).toMatch(/^req-/);
      expect(fin.vendor).toBe(fin.grant!.vendor);
    }
    expect(deps.notifier.sent).toEqual([]);
  });

  it('lists each tenant once for a whole batch of leavers (per pass), not once per leaver', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.cloudmanager.add(
      grants.cmOrgUser(DANA),
      grants.cmOrgUser(ALEX),
      grants.cmInvitation('c@example.com'),
    );
    fakes.itwin.add(grants.itwinMember(ALEX));
    const ids = [await terminate(DANA), await terminate(ALEX), await terminate('c@example.com')];
    const results = await work();
    expect(results.map((r) => r.result)).toEqual(['done', 'done', 'done']);
    for (const fake of [fakes.itwin, fakes.atlas, fakes.cloudmanager]) {
      // pass 0 + one verification round that finds nothing left
      expect(fake.discoverCalls).toHaveLength(2);
      expect(fake.discoverCalls[0]!.emails).toEqual([ALEX, 'c@example.com', DANA].sort());
    }
    for (const id of ids) expect(deps.store.must(id).status).toBe('completed');
    expect(fakes.cloudmanager.remaining()).toEqual([]);
  });

  it('a vendor outage fails only that vendor: others are revoked, the rest of its actions fail fast', async () => {
    const { deps, fakes, terminate, work, chainOk } = engine();
    const atInv = grants.atlasInvitation(DANA);
    const atOrg = grants.atlasOrgUser(DANA);
    fakes.atlas.add(atInv, atOrg);
    fakes.itwin.add(grants.itwinMember(DANA));
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    fakes.atlas.failRevoke = () =>
      new LeaverError('vendor_unavailable', 'Atlas answered 503', { vendorRequestId: 'atl-1' });
    const id = await terminate(DANA);
    await work();

    const off = deps.store.must(id);
    expect(off.status).toBe('completed_with_failures');
    expect(off.counts).toMatchObject({ revoked: 2, failed: 2 });
    expect(fakes.itwin.remaining()).toEqual([]);
    expect(fakes.cloudmanager.remaining()).toEqual([]);
    // The first Atlas call failed; the second was not attempted.
    expect(fakes.atlas.revokeCalls).toHaveLength(1);
    const actions = await deps.store.listActions(id);
    const failed = actions.filter((a) => a.outcome === 'failed');
    expect(failed.map((a) => a.errorCode)).toEqual(['vendor_unavailable', 'vendor_unavailable']);
    expect(failed.find((a) => a.grantKey === grantKey(atInv))!.vendorRequestId).toBe('atl-1');
    // Retry with backoff: 5 minutes after the first attempt.
    expect(off.nextRetryAt).toBe(new Date(deps.clock.now().getTime() + 5 * 60_000).toISOString());
    expect(deps.audit.events(id)).toContain('retry_scheduled');
    expect(deps.notifier.sent).toEqual([
      expect.objectContaining({ kind: 'failure', offboardingId: id, vendor: 'atlas' }),
    ]);
    expect(JSON.stringify(deps.notifier.sent)).not.toContain(DANA);
    expect(chainOk(id)).toBe(true);
  });

  it('a tenant whose discovery fails leaves the run completed_with_failures, the others revoked', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.itwin.add(grants.itwinMember(DANA));
    fakes.cloudmanager.failDiscover.set('cm-main', new LeaverError('vendor_timeout', 'timeout'));
    const id = await terminate(DANA);
    await work();
    const off = deps.store.must(id);
    expect(off.status).toBe('completed_with_failures');
    expect(off.counts.revoked).toBe(1);
    const finished = deps.audit.records(id).find((r) => r.event === 'finished')!;
    expect(finished.detail!.failedTenants).toEqual([
      { tenantId: 'cm-main', vendor: 'cloudmanager', errorCode: 'vendor_timeout' },
    ]);
  });
});

describe('worker: a vendor answer that does not match its schema (vendor_unexpected_response)', () => {
  const drift = () =>
    new LeaverError(
      'vendor_unexpected_response',
      'atlas GET /orgs/{id}/users: unexpected answer: results: missing',
    );

  it('in the first discovery: never completed; the tenant is recorded, the run retried and alerted', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.itwin.add(grants.itwinMember(DANA));
    fakes.atlas.add(grants.atlasOrgUser(DANA));
    fakes.atlas.failDiscover.set('atlas-main', drift());
    const id = await terminate(DANA);
    await work();
    const off = deps.store.must(id);
    expect(off.status).toBe('completed_with_failures');
    expect(off.nextRetryAt).toBeDefined();
    // Nothing of the unreadable tenant was touched; the others were revoked.
    expect(fakes.atlas.revokeCalls).toEqual([]);
    expect(fakes.itwin.remaining()).toEqual([]);
    const failedTenants = [
      { tenantId: 'atlas-main', vendor: 'atlas', errorCode: 'vendor_unexpected_response' },
    ];
    expect(off.failedTenants).toEqual(failedTenants);
    for (const r of deps.audit
      .records(id)
      .filter((x) => x.event === 'discovered' || x.event === 'finished')) {
      expect(r.detail!.failedTenants, r.event).toEqual(failedTenants);
    }
    expect(deps.audit.events(id)).toContain('retry_scheduled');
    expect(deps.notifier.sent).toEqual([
      expect.objectContaining({
        kind: 'failure',
        offboardingId: id,
        vendor: 'atlas',
        tenantId: 'atlas-main',
      }),
    ]);
    expect(deps.notifier.sent[0]!.message).toContain('atlas-main: vendor_unexpected_response');
    expect(JSON.stringify(deps.notifier.sent)).not.toContain(DANA);
  });

  it('only in a verification round: still completed_with_failures (the last listing is what counts)', async () => {
    const { deps, fakes, terminate, work } = engine();
    const g = grants.atlasOrgUser(DANA);
    fakes.atlas.add(g);
    const discover = fakes.atlas.discover.bind(fakes.atlas);
    let calls = 0;
    fakes.atlas.discover = async (...args) => {
      calls += 1;
      if (calls > 1) throw drift();
      return discover(...args);
    };
    const id = await terminate(DANA);
    await work();
    expect(calls).toBe(2);
    // The grant found first was revoked; the check that nothing is left could not be made.
    expect(fakes.atlas.has(g)).toBe(false);
    const off = deps.store.must(id);
    expect(off.counts).toMatchObject({ revoked: 1, failed: 0 });
    expect(off.status).toBe('completed_with_failures');
    expect(off.nextRetryAt).toBeDefined();
    const discovered = deps.audit.records(id).filter((r) => r.event === 'discovered');
    expect(discovered.map((r) => (r.detail!.failedTenants as unknown[]).length)).toEqual([0, 1]);
    expect(deps.notifier.sent.map((n) => n.kind)).toEqual(['failure']);

    // The retry reads the tenant again; once it answers as expected the offboarding completes.
    fakes.atlas.discover = discover;
    deps.clock.set(off.nextRetryAt!);
    expect((await retrySweep(deps)).enqueued).toBe(1);
    await work();
    expect(deps.store.must(id).status).toBe('completed');
    expect(deps.store.must(id).failedTenants).toBeUndefined();
  });
});

describe('worker: protected accounts and last owners', () => {
  it('skips protected accounts (emails and domains) and alerts', async () => {
    const { deps, fakes, terminate, work } = engine({
      safety: { protectedEmails: [BREAKGLASS], protectedDomains: ['apps.imsoidc.bentley.com'] },
    });
    const bg = grants.itwinOwner(BREAKGLASS);
    const svc = grants.itwinOwner('service-leaver-demo@apps.imsoidc.bentley.com');
    fakes.itwin.add(bg, svc);
    const a = await terminate(BREAKGLASS);
    const b = await terminate('Service-Leaver-Demo@apps.imsoidc.bentley.com');
    await work();
    expect(fakes.itwin.revokeCalls).toEqual([]);
    expect(fakes.itwin.remaining()).toEqual([bg, svc]);
    for (const id of [a, b]) {
      const off = deps.store.must(id);
      expect(off.status).toBe('completed');
      expect(off.counts).toMatchObject({ skipped: 1, revoked: 0 });
      const fin = deps.audit.records(id).find((r) => r.event === 'action_finished')!;
      expect(fin).toMatchObject({ outcome: 'skipped', skipReason: 'protected_account' });
    }
    expect(deps.notifier.kinds()).toEqual(['protected_account', 'protected_account']);
  });

  it('never removes the last owner: skipped, alerted once, the rest revoked', async () => {
    const { deps, fakes, terminate, work } = engine();
    const owner = grants.itwinOwner(DANA, { lastOwner: true, scopeName: 'iTwin Bridge Retrofit' });
    const inv = grants.itwinInvitation(DANA);
    fakes.itwin.add(owner, inv);
    const id = await terminate(DANA);
    await work();
    expect(fakes.itwin.has(owner)).toBe(true);
    expect(fakes.itwin.revokeCount(owner)).toBe(0);
    expect(fakes.itwin.has(inv)).toBe(false);
    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.counts).toMatchObject({ skipped: 1, revoked: 1 });
    // Found again by the verification round, but alerted and audited once only.
    expect(deps.notifier.sent.filter((n) => n.kind === 'last_owner')).toHaveLength(1);
    expect(deps.notifier.sent[0]!.message).toContain('iTwin Bridge Retrofit');
    expect(deps.audit.records(id).filter((r) => r.skipReason === 'last_owner')).toHaveLength(1);
  });
});

describe('worker: verification', () => {
  it('catches an invitation accepted during the run: the new membership is removed', async () => {
    const { deps, fakes, terminate, work, chainOk } = engine();
    const inv = grants.cmInvitation(DANA);
    const membership = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(inv);
    fakes.cloudmanager.acceptAfterDiscover.set(grantKey(inv), membership);
    const id = await terminate(DANA);
    await work();
    expect(fakes.cloudmanager.remaining()).toEqual([]);
    const actions = await deps.store.listActions(id);
    expect(actions.map((a) => [a.grant.kind, a.outcome, a.pass])).toEqual([
      ['cloudmanager_org_invitation', 'already_absent', 0],
      ['cloudmanager_org_user', 'revoked', 1],
    ]);
    expect(deps.store.must(id).status).toBe('completed');
    // pass 0, round 1 (found the membership), round 2 (nothing left)
    expect(fakes.cloudmanager.discoverCalls).toHaveLength(3);
    expect(chainOk(id)).toBe(true);
  });

  it('stops after verifyRounds rounds', async () => {
    const { fakes, terminate, work } = engine({ worker: { verifyRounds: 0 } });
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    await terminate(DANA);
    await work();
    expect(fakes.cloudmanager.discoverCalls).toHaveLength(1);
  });
});

describe('worker: redelivery and interruption', () => {
  it('a redelivery of a finished offboarding repeats no effect and writes nothing', async () => {
    const { deps, fakes, terminate, work, ctx } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA), grants.cmInvitation(DANA));
    const id = await terminate(DANA);
    await work();
    const calls = fakes.cloudmanager.revokeCalls.length + fakes.cloudmanager.discoverCalls.length;
    const records = deps.audit.records(id).length;
    expect(await processOffboardings(deps, [id, id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(fakes.cloudmanager.revokeCalls.length + fakes.cloudmanager.discoverCalls.length).toBe(calls);
    expect(deps.audit.records(id)).toHaveLength(records);
  });

  it('a run cut by the deadline stays running and the next delivery finishes it without repeating effects', async () => {
    const { deps, fakes, terminate, ctx, chainOk } = engine();
    const all = [
      grants.cmInvitation(DANA),
      grants.cmOrgUser(DANA),
      grants.atlasInvitation(DANA),
      grants.atlasOrgUser(DANA),
    ];
    fakes.cloudmanager.add(all[0]!, all[1]!);
    fakes.atlas.add(all[2]!, all[3]!);
    for (const f of [fakes.cloudmanager, fakes.atlas]) f.beforeRevoke = () => deps.clock.advance(1_000);
    const id = await terminate(DANA);
    deps.queue.drain();

    // 2.5 s of budget, 2 s reserved: the first wave starts, nothing after it.
    const first = await processOffboardings(deps, [id], ctx(2_500));
    expect(first).toEqual([{ id, result: 'retry' }]);
    const mid = deps.store.must(id);
    expect(mid.status).toBe('running');
    expect(Date.parse(mid.leaseUntil!)).toBeLessThanOrEqual(deps.clock.now().getTime());
    const revokedFirst = fakes.cloudmanager.revokeCalls.length + fakes.atlas.revokeCalls.length;
    expect(revokedFirst).toBeGreaterThan(0);
    expect(revokedFirst).toBeLessThan(4);

    const second = await processOffboardings(deps, [id], ctx());
    expect(second).toEqual([{ id, result: 'done' }]);
    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.attempts).toBe(1);
    expect(off.counts).toMatchObject({ planned: 4, revoked: 4 });
    for (const g of all) expect(fakes.cloudmanager.revokeCount(g) + fakes.atlas.revokeCount(g)).toBe(1);
    const started = deps.audit.records(id).filter((r) => r.event === 'started');
    expect(started.map((r) => r.detail!.resumed)).toEqual([false, true]);
    expect(chainOk(id)).toBe(true);
  });

  it('a worker killed between a vendor call and its record: the next delivery retries it (already_absent)', async () => {
    const { deps, fakes, terminate, ctx, chainOk } = engine();
    const inv = grants.cmInvitation(DANA);
    const user = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(inv, user);
    const id = await terminate(DANA);
    deps.queue.drain();
    // The process "dies" right after the vendor removed the invitation: its action_finished is never written.
    fakes.cloudmanager.beforeRevoke = (g) => {
      if (grantKey(g) === grantKey(inv))
        deps.audit.failNextAppend = new LeaverError('storage_unavailable', 'gone');
    };
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(fakes.cloudmanager.has(inv)).toBe(false);
    expect(deps.store.must(id).status).toBe('running');
    fakes.cloudmanager.beforeRevoke = undefined;

    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    const actions = await deps.store.listActions(id);
    expect(actions.map((a) => [a.grant.kind, a.outcome])).toEqual([
      ['cloudmanager_org_invitation', 'already_absent'],
      ['cloudmanager_org_user', 'revoked'],
    ]);
    expect(fakes.cloudmanager.revokeCount(user)).toBe(1);
    expect(deps.store.must(id).status).toBe('completed');
    expect(chainOk(id)).toBe(true);
  });

  it("one offboarding's storage failure leaves it for the next delivery without stopping the others", async () => {
    const { deps, fakes, terminate, ctx, chainOk } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA), grants.cmOrgUser(ALEX));
    const a = await terminate(DANA);
    const b = await terminate(ALEX);
    deps.queue.drain();
    let failures = 1;
    deps.audit.failAppend = (entry) =>
      entry.streamId === a && entry.event === 'action_finished' && failures-- > 0
        ? new LeaverError('storage_unavailable', 'throttled')
        : undefined;
    expect(await processOffboardings(deps, [a, b], ctx())).toEqual([
      { id: a, result: 'retry' },
      { id: b, result: 'done' },
    ]);
    expect(deps.store.must(b).status).toBe('completed');
    expect(deps.store.must(a).status).toBe('running');
    expect(await processOffboardings(deps, [a], ctx())).toEqual([{ id: a, result: 'done' }]);
    expect(deps.store.must(a)).toMatchObject({
      status: 'completed',
      counts: { planned: 1, alreadyAbsent: 1 },
    });
    expect(chainOk(a)).toBe(true);
  });

  it('a delivery with no time left claims nothing and asks for redelivery', async () => {
    const { deps, fakes, terminate, ctx } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const id = await terminate(DANA);
    expect(await processOffboardings(deps, [id], ctx(1_000))).toEqual([{ id, result: 'retry' }]);
    expect(deps.store.must(id).status).toBe('scheduled');
    expect(fakes.cloudmanager.discoverCalls).toEqual([]);
  });

  it('a delivery while another worker holds the lease waits (retry) and does nothing', async () => {
    const { deps, fakes, terminate, ctx } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const id = await terminate(DANA);
    await deps.store.transition(id, ['scheduled'], 'running', {
      attempts: 1,
      startedAt: deps.clock.now().toISOString(),
      leaseUntil: new Date(deps.clock.now().getTime() + 60_000).toISOString(),
    });
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'retry' }]);
    expect(fakes.cloudmanager.discoverCalls).toEqual([]);
    deps.clock.advance(61_000);
    expect(await processOffboardings(deps, [id], ctx())).toEqual([{ id, result: 'done' }]);
    expect(deps.store.must(id).status).toBe('completed');
  });

  it('two deliveries of a fresh offboarding in one batch run it once', async () => {
    const { deps, fakes, terminate, ctx } = engine();
    const g = grants.cmOrgUser(DANA);
    fakes.cloudmanager.add(g);
    const id = await terminate(DANA);
    await Promise.all([processOffboardings(deps, [id], ctx()), processOffboardings(deps, [id], ctx())]);
    expect(fakes.cloudmanager.revokeCount(g)).toBe(1);
    expect(deps.audit.events(id).filter((e) => e === 'started')).toHaveLength(1);
  });

  it('an early delivery of a future offboarding does nothing; a missing id is dropped', async () => {
    const { deps, fakes, terminate, ctx } = engine();
    const id = await terminate(DANA, {
      effectiveAt: new Date(deps.clock.now().getTime() + 86_400_000).toISOString(),
    });
    expect(await processOffboardings(deps, [id, 'off_missing'], ctx())).toEqual([
      { id, result: 'done' },
      { id: 'off_missing', result: 'done' },
    ]);
    expect(deps.store.must(id).status).toBe('scheduled');
    expect(fakes.cloudmanager.discoverCalls).toEqual([]);
  });

  it('a failed grant that a later run no longer finds is recorded as verified absent', async () => {
    const { deps, fakes, terminate, work } = engine();
    const g = grants.atlasOrgUser(DANA);
    fakes.atlas.add(g);
    fakes.atlas.failRevoke = () => new LeaverError('vendor_forbidden', 'no');
    const id = await terminate(DANA);
    await work();
    expect(deps.store.must(id).status).toBe('completed_with_failures');
    // Someone removed it by hand; the retry finds nothing and closes the record.
    fakes.atlas.grants.set('atlas-main', []);
    await deps.store.transition(id, ['completed_with_failures'], 'scheduled', {});
    await processOffboardings(deps, [id], { deadline: deps.clock.now().getTime() + 60_000, log: deps.log });
    const off = deps.store.must(id);
    expect(off.status).toBe('completed');
    expect(off.attempts).toBe(2);
    expect((await deps.store.listActions(id))[0]).toMatchObject({ outcome: 'already_absent' });
  });
});

describe('worker: dry run', () => {
  it('a stored dry-run offboarding plans only: everything skipped dry_run, nothing revoked', async () => {
    const { deps, fakes, ctx } = engine();
    fakes.itwin.add(grants.itwinMember(DANA));
    const { offboarding } = await deps.store.create({
      id: 'off_dry',
      subject: { email: DANA, aliases: [] },
      origin: { type: 'api', id: 'tester' },
      sourceEventId: 'dry-1',
      dryRun: true,
      status: 'scheduled',
      effectiveAt: deps.clock.now().toISOString(),
      receivedAt: deps.clock.now().toISOString(),
      counts: { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
      attempts: 0,
      version: 0,
    });
    await processOffboardings(deps, [offboarding.id], ctx());
    expect(fakes.itwin.revokeCalls).toEqual([]);
    const off = deps.store.must('off_dry');
    expect(off.status).toBe('completed');
    expect(off.counts).toMatchObject({ planned: 1, skipped: 1 });
    expect((await deps.store.listActions('off_dry'))[0]).toMatchObject({
      outcome: 'skipped',
      skipReason: 'dry_run',
    });
  });
});
