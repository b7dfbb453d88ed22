import { describe, expect, it } from 'vitest';
import { startOffboarding } from '../../../lambdas/core/commands.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { acceptHrEvents, recordRejection } from '../../../lambdas/core/intake.ts';
import type { HrEvent } from '../../../lambdas/core/model.ts';
import { dueSweep } from '../../../lambdas/core/schedules.ts';
import { grants } from '../../support/fake-connector.ts';
import { DANA, engine } from './engine.ts';

const HR = { type: 'hr', id: 'standard' } as const;
const ev = (kind: HrEvent['kind'], sourceEventId: string, over: Partial<HrEvent> = {}): HrEvent => ({
  kind,
  source: 'standard',
  sourceEventId,
  subject: { email: DANA, aliases: [] },
  occurredAt: '2026-11-23T12:00:00.000Z',
  ...over,
});

describe('intake: terminate', () => {
  it('stores, audits received, and enqueues a termination effective now', async () => {
    const { deps, chainOk } = engine();
    const [r] = await acceptHrEvents(
      deps,
      [
        ev('terminate', 'msg_1', {
          subject: { email: 'Dana.Leaver@Example.com', aliases: ['DANA@old.example.com'] },
        }),
      ],
      HR,
    );
    expect(r).toEqual({ offboardingId: 'off_000001', created: true, status: 'scheduled', kind: 'terminate' });
    const off = deps.store.must(r!.offboardingId!);
    expect(off).toMatchObject({
      subject: { email: DANA, aliases: ['dana@old.example.com'] },
      origin: HR,
      sourceEventId: 'msg_1',
      effectiveAt: deps.clock.now().toISOString(),
      attempts: 0,
    });
    expect(deps.queue.messages).toEqual([r!.offboardingId]);
    const [received] = deps.audit.records(r!.offboardingId!);
    expect(received).toMatchObject({ event: 'received', actor: 'hr:standard', email: DANA });
    expect(chainOk(r!.offboardingId!)).toBe(true);
  });

  it('is idempotent on (source, event id), also when the retry has a new timestamp: one offboarding, queued again while unfinished', async () => {
    const { deps, work } = engine();
    const [a] = await acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR);
    deps.clock.advance(30_000);
    const [b] = await acceptHrEvents(
      deps,
      [ev('terminate', 'msg_1', { occurredAt: deps.clock.now().toISOString() })],
      HR,
    );
    expect(b).toEqual({ ...a, created: false });
    // The retry may be all that is left of it (a crash lost the first message): queued again.
    expect(deps.queue.messages).toEqual([a!.offboardingId, a!.offboardingId]);
    expect(deps.audit.records(a!.offboardingId!)).toHaveLength(1);
    expect(deps.store.offboardings.size).toBe(1);
    // Once finished, a retry changes nothing and queues nothing.
    await work();
    expect(deps.store.must(a!.offboardingId!).status).toBe('completed');
    await acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR);
    expect(deps.queue.messages).toEqual([]);
    // The same event id from another source is another event.
    const [c] = await acceptHrEvents(deps, [ev('terminate', 'msg_1')], { type: 'hr', id: 'okta' });
    expect(c!.created).toBe(true);
  });

  it('runs now within the grace period, schedules later ones for the due sweep', async () => {
    const { deps } = engine({ safety: { graceSeconds: 300 } });
    const soon = new Date(deps.clock.now().getTime() + 200_000).toISOString();
    const later = new Date(deps.clock.now().getTime() + 400_000).toISOString();
    const [a] = await acceptHrEvents(deps, [ev('terminate', 'soon', { effectiveAt: soon })], HR);
    const [b] = await acceptHrEvents(deps, [ev('terminate', 'later', { effectiveAt: later })], HR);
    expect(deps.queue.messages).toEqual([a!.offboardingId]);
    expect(deps.audit.events(b!.offboardingId!)).toEqual(['received', 'scheduled']);
    expect(deps.store.must(b!.offboardingId!).effectiveAt).toBe(later);
  });

  it('storage first: a failed enqueue still answers, and the due sweep finds the offboarding', async () => {
    const { deps } = engine();
    deps.queue.failNext = new LeaverError('storage_unavailable', 'SQS down');
    const [r] = await acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR);
    expect(r!.created).toBe(true);
    expect(deps.queue.messages).toEqual([]);
    expect(await dueSweep(deps)).toMatchObject({ enqueued: 1 });
    expect(deps.queue.messages).toEqual([r!.offboardingId]);
  });

  it('a failed store write throws and enqueues nothing', async () => {
    const { deps } = engine();
    deps.store.failNext.create = new LeaverError('storage_unavailable', 'down');
    await expect(acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR)).rejects.toMatchObject({
      code: 'storage_unavailable',
    });
    expect(deps.queue.messages).toEqual([]);
  });
});

describe('intake: configured aliases', () => {
  const config = { aliases: { [DANA]: ['D.Leaver@Old.example.com', 'dana@contractor.example.net'] } };

  it('merges the configured aliases into an event that names none (Okta, BambooHR, HiBob), and the worker revokes them', async () => {
    const { deps, fakes, work } = engine(config);
    const old = grants.cmOrgUser('d.leaver@old.example.com');
    const contractor = grants.atlasInvitation('dana@contractor.example.net');
    fakes.cloudmanager.add(old, grants.cmOrgUser(DANA));
    fakes.atlas.add(contractor);
    const [r] = await acceptHrEvents(deps, [ev('terminate', 'okta-1')], { type: 'hr', id: 'okta' });
    expect(deps.store.must(r!.offboardingId!).subject.aliases).toEqual([
      'd.leaver@old.example.com',
      'dana@contractor.example.net',
    ]);
    await work();
    expect(fakes.cloudmanager.has(old)).toBe(false);
    expect(fakes.atlas.has(contractor)).toBe(false);
    expect(deps.store.must(r!.offboardingId!).status).toBe('completed');
  });

  it('merges with the payload aliases; an event naming a configured alias gets the whole group', async () => {
    const { deps } = engine(config);
    const [a] = await acceptHrEvents(
      deps,
      [ev('terminate', 't1', { subject: { email: DANA, aliases: ['dana@home.example.org'] } })],
      HR,
    );
    expect(deps.store.must(a!.offboardingId!).subject.aliases.sort()).toEqual([
      'd.leaver@old.example.com',
      'dana@contractor.example.net',
      'dana@home.example.org',
    ]);
    const [b] = await acceptHrEvents(
      deps,
      [ev('terminate', 't2', { subject: { email: 'dana@contractor.example.net', aliases: [] } })],
      HR,
    );
    expect(deps.store.must(b!.offboardingId!).subject).toMatchObject({
      email: 'dana@contractor.example.net',
      aliases: [DANA, 'd.leaver@old.example.com'],
    });
  });

  it('an HR cancel naming an alias (configured, or only given by the termination) finds the offboarding', async () => {
    const { deps } = engine(config);
    const future = new Date(deps.clock.now().getTime() + 86_400_000).toISOString();
    const [t1] = await acceptHrEvents(deps, [ev('terminate', 't1', { effectiveAt: future })], HR);
    const [c1] = await acceptHrEvents(
      deps,
      [ev('cancel', 'c1', { subject: { email: 'D.Leaver@old.example.com', aliases: [] } })],
      HR,
    );
    expect(c1).toMatchObject({ offboardingId: t1!.offboardingId, status: 'cancelled' });
    expect(deps.store.must(t1!.offboardingId!).status).toBe('cancelled');

    // Not configured: the alias came with the termination only.
    const [t2] = await acceptHrEvents(
      deps,
      [
        ev('terminate', 't2', {
          effectiveAt: future,
          subject: { email: 'lee@example.com', aliases: ['lee.chen@example.org'] },
        }),
      ],
      HR,
    );
    const [c2] = await acceptHrEvents(
      deps,
      [ev('cancel', 'c2', { subject: { email: 'lee.chen@example.org', aliases: [] } })],
      HR,
    );
    expect(c2).toMatchObject({ offboardingId: t2!.offboardingId, status: 'cancelled' });
    // And the reverse: the cancel names the primary email while the termination named an alias.
    const [t3] = await acceptHrEvents(
      deps,
      [
        ev('terminate', 't3', {
          effectiveAt: future,
          subject: { email: 'dana@contractor.example.net', aliases: [] },
        }),
      ],
      HR,
    );
    const [c3] = await acceptHrEvents(deps, [ev('cancel', 'c3')], HR);
    expect(c3).toMatchObject({ offboardingId: t3!.offboardingId, status: 'cancelled' });
  });
});

describe('intake: a crash between storing and auditing received', () => {
  it('the retried delivery writes the missing received record (once) and enqueues the offboarding', async () => {
    const { deps, chainOk } = engine();
    deps.audit.failNextAppend = new LeaverError('storage_unavailable', 'process killed');
    await expect(acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR)).rejects.toMatchObject({
      code: 'storage_unavailable',
    });
    const [id] = [...deps.store.offboardings.keys()];
    expect(deps.audit.events(id!)).toEqual([]);
    expect(deps.queue.messages).toEqual([]);

    const [retry] = await acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR);
    expect(retry).toMatchObject({ offboardingId: id, created: false });
    expect(deps.audit.events(id!)).toEqual(['received']);
    expect(deps.audit.records(id!)[0]!.detail).toMatchObject({ sourceEventId: 'msg_1', late: true });
    expect(deps.queue.messages).toEqual([id]);
    // Idempotent: a further duplicate writes nothing more (it only queues the id again).
    await acceptHrEvents(deps, [ev('terminate', 'msg_1')], HR);
    expect(deps.audit.events(id!)).toEqual(['received']);
    expect(deps.queue.messages).toEqual([id, id]);
    expect(chainOk(id!)).toBe(true);
  });

  it('a future-dated one is audited scheduled too; one a worker already started only gets received', async () => {
    const { deps, work } = engine();
    const future = new Date(deps.clock.now().getTime() + 86_400_000).toISOString();
    deps.audit.failNextAppend = new LeaverError('storage_unavailable', 'process killed');
    await expect(
      acceptHrEvents(deps, [ev('terminate', 'f1', { effectiveAt: future })], HR),
    ).rejects.toThrow();
    const [f] = await acceptHrEvents(deps, [ev('terminate', 'f1', { effectiveAt: future })], HR);
    expect(deps.audit.events(f!.offboardingId!)).toEqual(['received', 'scheduled']);

    deps.audit.failNextAppend = new LeaverError('storage_unavailable', 'process killed');
    await expect(acceptHrEvents(deps, [ev('terminate', 'n1')], HR)).rejects.toThrow();
    const id = [...deps.store.offboardings.keys()].at(-1)!;
    deps.queue.messages.push(id); // the due sweep found it
    await work();
    expect(deps.store.must(id).status).toBe('completed');
    deps.queue.drain();
    await acceptHrEvents(deps, [ev('terminate', 'n1')], HR);
    const events = deps.audit.events(id);
    expect(events.filter((e) => e === 'received')).toHaveLength(1);
    expect(events.at(-1)).toBe('received');
    expect(deps.queue.messages).toEqual([]);
  });
});

describe('intake: cancel', () => {
  it('cancels a scheduled termination; a later delivery runs nothing', async () => {
    const { deps, fakes, work, chainOk } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const future = new Date(deps.clock.now().getTime() + 86_400_000).toISOString();
    const [t] = await acceptHrEvents(deps, [ev('terminate', 't1', { effectiveAt: future })], HR);
    const [c] = await acceptHrEvents(deps, [ev('cancel', 'c1')], HR);
    expect(c).toEqual({
      offboardingId: t!.offboardingId,
      created: false,
      status: 'cancelled',
      kind: 'cancel',
    });
    expect(deps.store.must(t!.offboardingId!).status).toBe('cancelled');
    expect(deps.audit.events(t!.offboardingId!)).toEqual(['received', 'scheduled', 'cancelled']);
    deps.clock.advance(2 * 86_400_000);
    await dueSweep(deps);
    deps.queue.messages.push(t!.offboardingId!);
    await work();
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
    // Repeated cancel: same answer, nothing new.
    const [again] = await acceptHrEvents(deps, [ev('cancel', 'c1')], HR);
    expect(again!.status).toBe('cancelled');
    expect(deps.audit.events(t!.offboardingId!)).toHaveLength(3);
    expect(chainOk(t!.offboardingId!)).toBe(true);
  });

  it('after the run: audits cancel_after_run and alerts, once per cancel event', async () => {
    const { deps, fakes, work } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const [t] = await acceptHrEvents(deps, [ev('terminate', 't1')], HR);
    await work();
    const [c] = await acceptHrEvents(deps, [ev('cancel', 'c1')], HR);
    await acceptHrEvents(deps, [ev('cancel', 'c1')], HR);
    expect(c).toEqual({
      offboardingId: t!.offboardingId,
      created: false,
      status: 'cancel_after_run',
      kind: 'cancel',
    });
    expect(deps.store.must(t!.offboardingId!).status).toBe('completed');
    expect(deps.audit.events(t!.offboardingId!).filter((e) => e === 'cancel_after_run')).toHaveLength(1);
    expect(deps.notifier.kinds()).toEqual(['cancel_after_run']);
    expect(deps.notifier.sent[0]!.message).not.toContain(DANA);
  });

  it('a cancel for someone with no termination changes nothing; HR never cancels an API offboarding', async () => {
    const { deps } = engine();
    expect(await acceptHrEvents(deps, [ev('cancel', 'c0')], HR)).toEqual([
      { created: false, status: 'not_found', kind: 'cancel' },
    ]);
    const future = new Date(deps.clock.now().getTime() + 86_400_000).toISOString();
    const r = await startOffboarding(deps, 'it-admin', {
      email: DANA,
      reason: 'security',
      effectiveAt: future,
    });
    const [c] = await acceptHrEvents(deps, [ev('cancel', 'c1')], HR);
    expect(c!.status).toBe('not_found');
    expect(r.dryRun === false && deps.store.must(r.offboarding.id).status).toBe('scheduled');
  });
});

describe('intake: rehire', () => {
  it('is recorded and alerted, once per event, and grants nothing', async () => {
    const { deps, fakes, work, chainOk } = engine();
    const [t] = await acceptHrEvents(deps, [ev('terminate', 't1')], HR);
    await work();
    const calls = fakes.cloudmanager.discoverCalls.length;
    const [r] = await acceptHrEvents(deps, [ev('rehire', 'r1')], HR);
    const [dup] = await acceptHrEvents(deps, [ev('rehire', 'r1')], HR);
    expect(r).toEqual({ offboardingId: t!.offboardingId, created: true, status: 'recorded', kind: 'rehire' });
    expect(dup!.created).toBe(false);
    const records = deps.audit.records('hr-event:standard:r1');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      event: 'rehire',
      email: DANA,
      actor: 'hr:standard',
      detail: { offboardingId: t!.offboardingId },
    });
    expect(chainOk('hr-event:standard:r1')).toBe(true);
    expect(deps.notifier.kinds()).toEqual(['rehire']);
    expect(fakes.cloudmanager.discoverCalls.length).toBe(calls);
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
    expect(deps.queue.messages).toEqual([]);
  });
});

describe('intake: rejections', () => {
  it('audits a refused webhook on its own stream without the body', async () => {
    const { deps } = engine();
    await recordRejection(deps, 'standard', new LeaverError('invalid_request', 'data.email is required'));
    const [stream] = [...deps.audit.streams.keys()];
    expect(stream).toMatch(/^rejected:standard:/);
    expect(deps.audit.records(stream!)[0]).toMatchObject({
      event: 'rejected',
      detail: { code: 'invalid_request', message: 'data.email is required' },
    });
  });
});
