/**
 * The chaos run's checks (bench/support/chaos-checks.ts) must fail when their property breaks:
 * each case below builds the evidence of a broken run (a double effect, an unaudited removal, a
 * tampered chain, an offboarding left running) and expects the verdict to say so.
 */
import { describe, expect, it } from 'vitest';
import {
  auditedGrants,
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
} from '../../bench/support/chaos-checks.ts';
import { GENESIS_HASH, hashRecord } from '../../lambdas/core/audit-chain.ts';
import type { AuditRecord, Grant, Offboarding } from '../../lambdas/core/model.ts';
import type { RequestLogEntry } from '../../sandbox/index.ts';

const ORG = '6a1b0001000000000000ffff';
const USER = '6a1b00070000000000000004';
const grant: Grant = {
  vendor: 'atlas',
  tenantId: 'atlas-mass',
  kind: 'atlas_org_user',
  email: 'leaver@bench.example',
  ids: { orgId: ORG, userId: USER },
};
const KEY = `atlas:atlas-mass:atlas_org_user:orgId=${ORG},userId=${USER}`;

let seq = 0;
function entry(
  status: number | null,
  method = 'DELETE',
  path = `/api/atlas/v2/orgs/${ORG}/users/${USER}`,
): RequestLogEntry {
  seq++;
  return {
    seq,
    vendor: 'atlas',
    method,
    path,
    query: '',
    status,
    at: new Date().toISOString(),
    durationMs: 1,
  };
}

function chain(streamId: string, events: Array<Partial<AuditRecord>>): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  events.forEach((e, i) => {
    const body = {
      streamId,
      seq: i + 1,
      at: '2026-11-23T00:00:00.000Z',
      actor: 'worker',
      event: 'started',
      ...e,
      prevHash: prev,
    };
    const rec = { ...body, hash: hashRecord(body as Omit<AuditRecord, 'hash'>) } as AuditRecord;
    prev = rec.hash;
    out.push(rec);
  });
  return out;
}

const goodStream = () =>
  chain('off_1', [
    { event: 'started' },
    { event: 'action_started', grantKey: KEY, grant },
    { event: 'action_finished', grantKey: KEY, grant, outcome: 'revoked' },
    { event: 'finished' },
  ]);

describe('chaos checks', () => {
  it('nothing left: passes at zero, fails when a grant remains', () => {
    expect(checkNothingLeft(0).ok).toBe(true);
    expect(checkNothingLeft(1).ok).toBe(false);
  });

  it('effects once: one success plus repeats answered 404 pass; a second success fails', () => {
    const streams = new Map([['off_1', goodStream()]]);
    const grants = auditedGrants(streams);
    const once = checkEffectsOnce([entry(503), entry(204), entry(404)], grants, 1);
    expect(once.ok).toBe(true);
    expect(once.repeatedDeletes).toBe(1);
    expect(checkEffectsOnce([entry(204), entry(204)], grants, 1).ok).toBe(false);
    expect(checkEffectsOnce([entry(503)], grants, 1).ok).toBe(false);
  });

  it('effects once: a successful removal no audit record names fails, and so does a missing grant', () => {
    const grants = auditedGrants(new Map([['off_1', goodStream()]]));
    const other = entry(
      204,
      'DELETE',
      `/api/atlas/v2/groups/${ORG.replace('0001', '0002')}/users/${USER.replace('04', '05')}`,
    );
    expect(checkEffectsOnce([entry(204), other], grants, 1).ok).toBe(false);
    expect(checkEffectsOnce([entry(204)], grants, 2).ok).toBe(false);
  });

  it('audited: a removal without action_started fails; started-only after a kill is reported, not failed', () => {
    const noStart = chain('off_1', [{ event: 'action_finished', grantKey: KEY, grant, outcome: 'revoked' }]);
    expect(checkAudited(new Map([['off_1', noStart]]), [entry(204)]).ok).toBe(false);
    const startedOnly = chain('off_1', [{ event: 'action_started', grantKey: KEY, grant }]);
    const r = checkAudited(new Map([['off_1', startedOnly]]), [entry(204)]);
    expect(r.ok).toBe(true);
    expect(r.evidenceOnly).toBe(1);
    expect(checkAudited(new Map([['off_1', startedOnly]]), [entry(503)]).ok).toBe(false);
    expect(checkAudited(new Map([['off_1', goodStream()]]), [entry(204)]).ok).toBe(true);
  });

  it('chains: an intact chain passes; a changed record or a dropped one fails', () => {
    expect(checkChains(new Map([['off_1', goodStream()]])).ok).toBe(true);
    const tampered = goodStream();
    tampered[2] = { ...tampered[2]!, outcome: 'already_absent' };
    expect(checkChains(new Map([['off_1', tampered]])).ok).toBe(false);
    const dropped = goodStream();
    dropped.splice(1, 1);
    expect(checkChains(new Map([['off_1', dropped]])).ok).toBe(false);
  });

  it('finished: any offboarding running, scheduled or missing fails', () => {
    const off = (status: Offboarding['status']) => ({ status }) as Offboarding;
    expect(checkFinished([off('completed'), off('completed_with_failures')]).ok).toBe(true);
    expect(checkFinished([off('completed'), off('running')]).ok).toBe(false);
    expect(checkFinished([off('scheduled')]).ok).toBe(false);
    expect(checkFinished([undefined]).ok).toBe(false);
  });

  it('repeated delete: a removal, a later 404 and an already_absent audit pass; any missing fails', () => {
    const absent = chain('off_1', [
      { event: 'action_started', grantKey: KEY, grant },
      { event: 'action_started', grantKey: KEY, grant },
      { event: 'action_finished', grantKey: KEY, grant, outcome: 'already_absent' },
    ]);
    const ok = checkRepeatedDeleteAbsent(new Map([['off_1', absent]]), [entry(204), entry(404)]);
    expect(ok.ok).toBe(true);
    expect(ok.repeatedAbsent).toBe(1);
    // No repeat at all, a 404 before the removal, or the repeat audited as revoked: not exercised.
    expect(checkRepeatedDeleteAbsent(new Map([['off_1', absent]]), [entry(204)]).ok).toBe(false);
    expect(checkRepeatedDeleteAbsent(new Map([['off_1', absent]]), [entry(404), entry(204)]).ok).toBe(false);
    expect(checkRepeatedDeleteAbsent(new Map([['off_1', goodStream()]]), [entry(204), entry(404)]).ok).toBe(
      false,
    );
  });

  it('faults injected: counted by the rule that decided each answer; every kind must appear', () => {
    const rules = new Map<string, FaultKind>([
      ['fault-2', '5xx'],
      ['fault-3', '429'],
      ['fault-4', 'reset'],
      ['fault-5', 'hang'],
    ]);
    const hit = (status: number | null, fault: string) => ({ ...entry(status, 'GET'), fault });
    const log = [hit(500, 'fault-2'), hit(429, 'fault-3'), hit(null, 'fault-4'), hit(null, 'fault-5')];
    // A latency rule (fault-1) decides no outcome and is not in the map.
    const counts = injectedFaults([...log, hit(200, 'fault-1'), entry(429)], rules);
    expect(counts).toEqual({ '5xx': 1, '429': 1, reset: 1, hang: 1 });
    expect(checkFaultsInjected(counts).ok).toBe(true);
    expect(checkFaultsInjected(injectedFaults(log.slice(0, 3), rules)).ok).toBe(false);
    expect(checkFaultsInjected(injectedFaults([], rules)).ok).toBe(false);
  });

  it('kills: at least one mid-batch kill, one of them after a removal landed', () => {
    expect(checkKills(2, 1).ok).toBe(true);
    expect(checkKills(0, 0).ok).toBe(false);
    expect(checkKills(3, 0).ok).toBe(false);
  });

  describe('a group shared by many leavers', () => {
    const ITWIN = 'b9000000-0000-4000-8000-000000000001';
    const GROUP = 'b9000000-0000-4000-8000-000000000002';
    const PATH = `/accesscontrol/itwins/${ITWIN}/groups/${GROUP}`;
    const A = 'engineer01@bench.example';
    const B = 'engineer02@bench.example';
    const STAYER = 'site-stayer0@bench.example';
    const membership = (email: string): Grant => ({
      vendor: 'itwin',
      tenantId: 'itwin-mass',
      kind: 'itwin_group_membership',
      email,
      ids: { itwinId: ITWIN, groupId: GROUP },
    });
    // Every leaver of one group has the same grant key: the group's ids.
    const GKEY = `itwin:itwin-mass:itwin_group_membership:groupId=${GROUP},itwinId=${ITWIN}`;
    const run = (id: string, email: string, outcomes: Array<'revoked' | 'already_absent'> = ['revoked']) =>
      chain(id, [
        { event: 'action_started', grantKey: GKEY, grant: membership(email) },
        ...outcomes.map((outcome) => ({
          event: 'action_finished' as const,
          grantKey: GKEY,
          grant: membership(email),
          outcome,
        })),
      ]);
    const patch = (): RequestLogEntry => ({ ...entry(200, 'PATCH', PATH), vendor: 'itwin' });
    const change = (removed: string[], added: string[] = [], source: GroupChange['source'] = 'patch') => ({
      groupId: GROUP,
      source,
      removed,
      added,
    });
    const streams = () =>
      new Map([
        ['off_a', run('off_a', A)],
        ['off_b', run('off_b', B)],
      ]);

    it('audited grants: one per leaver, though every membership of the group has one grant key', () => {
      expect(auditedGrants(streams()).size).toBe(2);
    });

    it('effects once: one PATCH removing both passes; a leaver removed by two PATCHes or by none fails', () => {
      const grants = auditedGrants(streams());
      const one = checkEffectsOnce([patch()], grants, 2, [change([A, B])]);
      expect(one.ok).toBe(true);
      expect(checkEffectsOnce([patch(), patch()], grants, 2, [change([A]), change([B])]).ok).toBe(true);
      const twice = [change([A, B]), change([], [A], 'control'), change([A])];
      expect(checkEffectsOnce([patch(), patch()], grants, 2, twice).ok).toBe(false);
      expect(checkEffectsOnce([patch()], grants, 2, [change([A])]).ok).toBe(false);
    });

    it('audited: a membership a PATCH removed needs its action_started', () => {
      const finishedOnly = chain('off_a', [
        { event: 'action_finished', grantKey: GKEY, grant: membership(A), outcome: 'revoked' },
      ]);
      expect(checkAudited(new Map([['off_a', finishedOnly]]), [patch()], [change([A])]).ok).toBe(false);
      expect(checkAudited(streams(), [patch()], [change([A, B])]).ok).toBe(true);
    });

    const shared = (over: Partial<Parameters<typeof checkSharedGroup>[0]> = {}) =>
      checkSharedGroup({
        changes: [change([A]), change([B])],
        groupId: GROUP,
        members: [STAYER],
        leavers: [A, B],
        stayers: [STAYER],
        streams: streams(),
        ...over,
      });

    it('shared group: passes when every stayer stays and each leaver went once', () => {
      const r = shared();
      expect(r.ok).toBe(true);
      expect(r.patches).toBe(2);
    });

    it('shared group: a dropped stayer, a leaver left, a second removal, a PATCH that adds, a second revoked: each fails', () => {
      expect(shared({ members: [] }).ok).toBe(false);
      expect(shared({ members: [STAYER, B] }).ok).toBe(false);
      expect(shared({ changes: [change([A, B]), change([], [A], 'control'), change([A])] }).ok).toBe(false);
      expect(shared({ changes: [change([A, B], [STAYER])] }).ok).toBe(false);
      expect(shared({ changes: [change([A])] }).ok).toBe(false);
      const again = new Map([
        ['off_a', run('off_a', A, ['revoked', 'revoked'])],
        ['off_b', run('off_b', B)],
      ]);
      expect(shared({ streams: again }).ok).toBe(false);
      // Another leaver of the same group revoked in another offboarding is not a second removal.
      expect(shared({ streams: streams() }).ok).toBe(true);
    });

    it('exercised: needs two workers busy at once and a PATCH that did not take effect', () => {
      expect(checkGroupExercised({ workersAtOnce: 2, ignoredPatches: 1 }).ok).toBe(true);
      expect(checkGroupExercised({ workersAtOnce: 1, ignoredPatches: 1 }).ok).toBe(false);
      expect(checkGroupExercised({ workersAtOnce: 3, ignoredPatches: 0 }).ok).toBe(false);
    });
  });
});
