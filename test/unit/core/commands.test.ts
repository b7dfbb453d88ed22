import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../lambdas/core/audit-chain.ts';
import {
  cancelOffboarding,
  previewOffboarding,
  releaseOffboarding,
  retryOffboarding,
  setKillSwitch,
  startOffboarding,
  targetedRevoke,
} from '../../../lambdas/core/commands.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { asGrant, grantKey } from '../../../lambdas/core/model.ts';
import { ATLAS_ORG, CM_ORG, grants, ITWIN_ID } from '../../support/fake-connector.ts';
import { BREAKGLASS, DANA, engine } from './engine.ts';

async function rejects(p: Promise<unknown>): Promise<LeaverError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LeaverError) return e;
    throw e;
  }
  throw new Error('expected a LeaverError');
}

describe('startOffboarding', () => {
  it('creates an API offboarding, audited with the principal as actor, and enqueues it', async () => {
    const { deps, work, fakes } = engine();
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    const r = await startOffboarding(deps, 'arn:aws:iam::123:user/alice', {
      email: 'Dana.Leaver@example.com',
      aliases: ['dana@old.example.com'],
      reason: 'contractor left',
    });
    if (r.dryRun) throw new Error('not a dry run');
    expect(r.offboarding).toMatchObject({
      origin: { type: 'api', id: 'arn:aws:iam::123:user/alice' },
      reason: 'contractor left',
      status: 'scheduled',
    });
    expect(deps.audit.records(r.offboarding.id)[0]).toMatchObject({
      event: 'received',
      actor: 'arn:aws:iam::123:user/alice',
    });
    expect(deps.queue.messages).toEqual([r.offboarding.id]);
    await work();
    expect(deps.store.must(r.offboarding.id).status).toBe('completed');
  });

  it('a dry run returns every grant that would be revoked (and skipped), creating and revoking nothing', async () => {
    const { deps, fakes } = engine({ safety: { protectedEmails: [BREAKGLASS] } });
    const owner = grants.itwinOwner(DANA, { lastOwner: true });
    fakes.itwin.add(owner, grants.itwinInvitation(DANA));
    fakes.atlas.add(grants.atlasOrgUser(DANA), grants.atlasInvitation(DANA));
    const r = await startOffboarding(deps, 'alice', { email: DANA, reason: 'check', dryRun: true });
    if (!r.dryRun) throw new Error('expected a dry run');
    expect(r.plan.items.map((i) => [i.kind, i.action, i.skipReason])).toEqual(
      expect.arrayContaining([
        ['itwin_member_invitation', 'revoke', undefined],
        ['itwin_owner_member', 'skip', 'last_owner'],
        ['atlas_org_invitation', 'revoke', undefined],
        ['atlas_org_user', 'revoke', undefined],
      ]),
    );
    expect(r.plan.items).toHaveLength(4);
    expect(r.plan.failedTenants).toEqual([]);
    expect(deps.store.offboardings.size).toBe(0);
    expect(deps.audit.streams.size).toBe(0);
    expect(fakes.itwin.revokeCalls.length + fakes.atlas.revokeCalls.length).toBe(0);
  });

  it('refuses bad input before changing anything, naming the field', async () => {
    const { deps } = engine();
    const cases: Array<[unknown, string]> = [
      [{ email: 'not-an-email', reason: 'x' }, 'email'],
      [{ email: DANA, reason: '' }, 'reason'],
      [{ email: DANA, reason: 'x', effectiveAt: 'tomorrow' }, 'effectiveAt'],
      [{ email: DANA, reason: 'x', effectiveAt: '2026-12-01T10:00:00' }, 'effectiveAt'],
      [{ email: DANA, reason: 'x', aliases: ['bad'] }, 'aliases[0]'],
      [{ email: DANA, reason: 'x', effectiveAt: '' }, 'effectiveAt'],
      [{ email: DANA, reason: 'x', effectiveAt: '2027-02-30' }, 'effectiveAt'],
      [{ email: DANA, reason: 'left\u001b[2J' }, 'reason'],
      [{ email: DANA, reason: 'x', dryRun: 'yes' }, 'dryRun'],
    ];
    for (const [input, field] of cases) {
      const e = await rejects(startOffboarding(deps, 'alice', input as never));
      expect(e.code).toBe('invalid_request');
      expect(e.details).toEqual({ field, errors: [{ path: field, message: expect.any(String) }] });
      expect(e.message.startsWith(`${field} `)).toBe(true);
    }
    expect(deps.store.offboardings.size).toBe(0);
  });

  it('schedules a future one for its date', async () => {
    const { deps } = engine();
    const r = await startOffboarding(deps, 'alice', { email: DANA, reason: 'x', effectiveAt: '2026-12-24' });
    if (r.dryRun) throw new Error('no');
    expect(r.offboarding.effectiveAt).toBe('2026-12-24T00:00:00.000Z');
    expect(deps.queue.messages).toEqual([]);
  });
});

describe('previewOffboarding', () => {
  it('returns the plan without creating anything; a failing tenant is reported', async () => {
    const { deps, fakes } = engine();
    fakes.cloudmanager.add(grants.cmInvitation(DANA));
    fakes.atlas.failDiscover.set('atlas-main', new LeaverError('vendor_auth', '401'));
    const plan = await previewOffboarding(deps, 'alice', { email: DANA });
    expect(plan.items).toEqual([
      expect.objectContaining({ kind: 'cloudmanager_org_invitation', action: 'revoke', phase: 'invitation' }),
    ]);
    expect(plan.failedTenants).toEqual([
      { tenantId: 'atlas-main', vendor: 'atlas', errorCode: 'vendor_auth' },
    ]);
    expect(deps.store.offboardings.size).toBe(0);
    expect((await rejects(previewOffboarding(deps, 'alice', { email: '' }))).code).toBe('invalid_request');
  });
});

describe('cancel, retry, release', () => {
  it('cancel: not_found for an unknown id, conflict naming the status once it ran', async () => {
    const { deps, terminate, work } = engine();
    expect((await rejects(cancelOffboarding(deps, 'alice', 'off_nope'))).code).toBe('not_found');
    const future = await terminate(DANA, { effectiveAt: '2026-12-24T00:00:00Z' });
    const cancelled = await cancelOffboarding(deps, 'alice', future, 'mistake');
    expect(cancelled.status).toBe('cancelled');
    expect(deps.audit.records(future).at(-1)).toMatchObject({
      event: 'cancelled',
      actor: 'alice',
      detail: { reason: 'mistake' },
    });
    const now = await terminate('x@example.com');
    await work();
    const e = await rejects(cancelOffboarding(deps, 'alice', now));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/completed/);
    expect(e.details).toMatchObject({ status: 'completed' });
  });

  it('retry: a completed_with_failures one is scheduled and enqueued; others conflict', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.atlas.add(grants.atlasOrgUser(DANA));
    fakes.atlas.failRevoke = () => new LeaverError('vendor_unavailable', 'down');
    const id = await terminate(DANA);
    await work();
    fakes.atlas.failRevoke = undefined;
    const moved = await retryOffboarding(deps, 'bob', id);
    expect(moved.status).toBe('scheduled');
    expect(deps.queue.messages).toEqual([id]);
    expect(deps.audit.records(id).at(-1)).toMatchObject({
      event: 'retry_scheduled',
      actor: 'bob',
      detail: { manual: true },
    });
    await work();
    expect(deps.store.must(id).status).toBe('completed');
    const e = await rejects(retryOffboarding(deps, 'bob', id));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/completed/);
  });

  it('release: only from quarantine', async () => {
    const { deps, terminate } = engine();
    const id = await terminate(DANA);
    const e = await rejects(releaseOffboarding(deps, 'lead', id));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/scheduled/);
  });
});

describe('setKillSwitch', () => {
  it('sets the flag and audits it on the global stream with the principal', async () => {
    const { deps } = engine();
    const s = await setKillSwitch(deps, 'alice', { enabled: true, reason: 'incident' });
    expect(s).toMatchObject({ enabled: true, reason: 'incident', by: 'alice', configured: false });
    expect(await deps.store.getKillSwitch()).toMatchObject({ enabled: true, by: 'alice' });
    await setKillSwitch(deps, 'bob', { enabled: false, reason: 'over' });
    const records = deps.audit.records('global');
    expect(records.map((r) => [r.event, r.actor, r.detail!.enabled])).toEqual([
      ['kill_switch', 'alice', true],
      ['kill_switch', 'bob', false],
    ]);
    expect(verifyChain(records).ok).toBe(true);
    expect((await rejects(setKillSwitch(deps, 'x', { enabled: 'yes' as never, reason: 'r' }))).code).toBe(
      'invalid_request',
    );
    expect((await rejects(setKillSwitch(deps, 'x', { enabled: true, reason: '' }))).code).toBe(
      'invalid_request',
    );
  });
});

describe('targetedRevoke', () => {
  const cmInvite = (over: Record<string, unknown> = {}) => ({
    grant: {
      vendor: 'cloudmanager',
      tenantId: 'cm-main',
      kind: 'cloudmanager_org_invitation',
      ids: { orgId: CM_ORG, invitationId: 'ab'.repeat(12) },
      ...over,
    },
    reason: 'ticket 7',
  });

  it('revokes the named grant, audited on its own stream with the principal', async () => {
    const { deps, fakes } = engine();
    const g = asGrant({
      ...grants.cmInvitation(DANA),
      ids: { orgId: CM_ORG, invitationId: 'ab'.repeat(12) },
    });
    fakes.cloudmanager.add(g);
    const r = await targetedRevoke(deps, 'alice', cmInvite({ email: DANA }));
    expect(r).toMatchObject({
      outcome: 'revoked',
      grantKey: grantKey(g),
      vendorRequestId: expect.any(String),
    });
    expect(fakes.cloudmanager.has(g)).toBe(false);
    const records = deps.audit.records(r.revocationId);
    expect(records.map((x) => [x.event, x.actor, x.outcome])).toEqual([
      ['action_started', 'alice', undefined],
      ['action_finished', 'alice', 'revoked'],
    ]);
    expect(verifyChain(records).ok).toBe(true);
    // Again: the vendor says it is gone.
    expect((await targetedRevoke(deps, 'alice', cmInvite())).outcome).toBe('already_absent');
  });

  it('validates vendor, kind, tenant and ids before any vendor call', async () => {
    const { deps, fakes } = engine();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ vendor: 'github' }, 'invalid_request'],
      [{ kind: 'nope' }, 'invalid_request'],
      [{ kind: 'atlas_org_invitation' }, 'invalid_request'],
      [{ tenantId: 'missing' }, 'invalid_request'],
      [{ tenantId: 'atlas-main' }, 'invalid_request'],
      [{ ids: { orgId: CM_ORG, invitationId: 'xyz' } }, 'invalid_vendor_id'],
      [{ ids: { orgId: CM_ORG } }, 'invalid_vendor_id'],
      [{ ids: { orgId: CM_ORG, invitationId: 'ab'.repeat(12), extra: '1' } }, 'invalid_vendor_id'],
      [{ email: 'nope' }, 'invalid_request'],
    ];
    for (const [over, code] of cases)
      expect((await rejects(targetedRevoke(deps, 'alice', cmInvite(over)))).code).toBe(code);
    expect((await rejects(targetedRevoke(deps, 'alice', { ...cmInvite(), reason: '' }))).code).toBe(
      'invalid_request',
    );
    const itwinBad = {
      vendor: 'itwin',
      tenantId: 'itwin-main',
      kind: 'itwin_user_member',
      ids: { itwinId: ITWIN_ID, memberId: ATLAS_ORG },
    };
    expect((await rejects(targetedRevoke(deps, 'alice', { grant: itwinBad, reason: 'x' }))).code).toBe(
      'invalid_vendor_id',
    );
    expect(fakes.cloudmanager.revokeCalls.length + fakes.itwin.revokeCalls.length).toBe(0);
    expect(deps.audit.streams.size).toBe(0);
  });

  it('honours the kill switch and protected accounts', async () => {
    const { deps, fakes } = engine({ safety: { protectedEmails: [BREAKGLASS] } });
    const protectedResult = await targetedRevoke(deps, 'alice', cmInvite({ email: BREAKGLASS }));
    expect(protectedResult).toMatchObject({ outcome: 'skipped', skipReason: 'protected_account' });
    await setKillSwitch(deps, 'ops', { enabled: true, reason: 'x' });
    expect((await rejects(targetedRevoke(deps, 'alice', cmInvite()))).code).toBe('kill_switch');
    expect(fakes.cloudmanager.revokeCalls).toEqual([]);
  });

  it('reports a vendor failure as a failed outcome with its code, audited', async () => {
    const { deps, fakes } = engine();
    fakes.cloudmanager.failRevoke = () =>
      new LeaverError('vendor_forbidden', '403', { vendorRequestId: 'r-9' });
    const r = await targetedRevoke(deps, 'alice', cmInvite());
    expect(r).toMatchObject({ outcome: 'failed', errorCode: 'vendor_forbidden', vendorRequestId: 'r-9' });
    expect(deps.audit.records(r.revocationId).at(-1)).toMatchObject({
      outcome: 'failed',
      errorCode: 'vendor_forbidden',
    });
  });
});
