/**
 * End to end, through moto_server and the vendor sandbox over HTTP, with the Lambda handlers wired
 * from the Lambda environment: HR webhook -> stored -> queued -> worker -> vendor state -> audit.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { DynamoDigestState } from '../../../lambdas/adapters/dynamo-digest-state.ts';
import { KeyPairDigestSigner } from '../../../lambdas/adapters/key-pair-digest-signer.ts';
import { MemoryDigestArchive } from '../../../lambdas/adapters/memory-digest-archive.ts';
import { verifyDeps } from '../../../lambdas/core/anchor.ts';
import { verifyChain } from '../../../lambdas/core/audit-chain.ts';
import { verifyAudit } from '../../../lambdas/core/audit-verify.ts';
import { auditedCounts } from '../../../lambdas/core/audited-state.ts';
import { releaseOffboarding, setKillSwitch } from '../../../lambdas/core/commands.ts';
import { type Grant, grantKey, idsOf } from '../../../lambdas/core/model.ts';
import type { Sandbox } from '../../../sandbox/index.ts';
import {
  bamboohrHook,
  captureOutput,
  type HookRequest,
  hibobHook,
  oktaHook,
  standardHook,
  terminationBody,
} from '../handlers/support.ts';
import {
  BREAKGLASS,
  CM,
  DANA,
  ITWIN_1,
  overLimitSeed,
  type Pipeline,
  SAM,
  startPipeline,
  usePipeline,
} from './pipeline.ts';

const endpoint = inject('motoEndpoint');
let sandbox: Sandbox;
let p: Pipeline;

usePipeline(endpoint, (sb, pipeline) => {
  sandbox = sb;
  p = pipeline;
});

const keys = (grants: readonly Grant[]) => grants.map(grantKey).sort();

/** Asserts the offboarding ended `completed` having removed everything it was allowed to. */
async function expectFullyRevoked(id: string): Promise<void> {
  const off = await p.offboarding(id);
  expect(off.status).toBe('completed');
  const actions = await p.actions(id);
  const skipped = new Set(actions.filter((a) => a.outcome === 'skipped').map((a) => a.grantKey));
  for (const vendor of ['itwin', 'atlas', 'cloudmanager'] as const) {
    expect(
      actions.filter((a) => a.grant.vendor === vendor && a.outcome === 'revoked').length,
      `revocations at ${vendor}`,
    ).toBeGreaterThan(0);
  }
  expect(actions.filter((a) => a.outcome === 'failed')).toEqual([]);
  // Whatever the vendors still show is exactly what was deliberately skipped (last owner).
  const left = keys(await p.remaining(DANA));
  for (const k of left) expect(skipped.has(k), `left behind: ${k}`).toBe(true);
  const records = await p.records(id);
  expect(verifyChain(records)).toEqual({ ok: true, count: records.length });
}

describe('issue 2: the first revocation end to end', () => {
  it('signed webhook -> stored -> queued -> worker -> sandbox invitation gone -> audit chain intact', async () => {
    const samBefore = keys(await p.remaining(SAM));
    const res = await p.hook(standardHook(terminationBody(DANA, { name: 'Dana Leaver' })));
    expect(res.statusCode).toBe(202);
    const id = res.json.offboardingId as string;
    expect((await p.offboarding(id)).subject.email).toBe(DANA);

    sandbox.control.clearRequests();
    const run = await p.work();
    expect(run.processed).toEqual([id]);

    // The Cloud Manager organisation invitation of the leaver is gone at the vendor.
    const cm = sandbox.control.state('cloudmanager') as {
      orgInvitations: Array<{ username: string; status: string }>;
    };
    expect(cm.orgInvitations.filter((i) => i.username === DANA && i.status === 'PENDING')).toEqual([]);
    const deletes = sandbox.control.requests({ vendor: 'cloudmanager', method: 'DELETE', path: '/invites/' });
    expect(deletes.some((r) => r.path.includes(`/orgs/${CM.orgId}/invites/`) && r.status === 204)).toBe(true);

    await expectFullyRevoked(id);
    const records = await p.records(id);
    const events = records.map((r) => r.event);
    expect(events[0]).toBe('received');
    expect(events).toContain('started');
    expect(events).toContain('action_finished');
    expect(events.at(-1)).toBe('finished');
    // The colleague in the same teams and groups keeps every grant.
    expect(keys(await p.remaining(SAM))).toEqual(samBefore);
    // The protected break-glass admin is never touched.
    const actions = await p.actions(id);
    expect(actions.every((a) => a.grant.email === DANA)).toBe(true);
    expect(sandbox.control.requests().some((r) => r.path.includes(encodeURIComponent(BREAKGLASS)))).toBe(
      false,
    );
    // Each iTwin group was written under its lease in the Offboardings table (one writer across
    // every Lambda instance), released once the write was verified.
    for (const a of actions.filter((x) => x.grant.kind === 'itwin_group_membership')) {
      const lock = await p.moto.dynamo.send(
        new GetItemCommand({
          TableName: p.moto.tables.offboardingsTable,
          Key: {
            pk: {
              S: `LOCK#itwin-group#${a.grant.tenantId}#${idsOf(a.grant).itwinId}#${idsOf(a.grant).groupId}`,
            },
            sk: { S: 'LOCK' },
          },
          ConsistentRead: true,
        }),
      );
      expect(lock.Item?.type?.S).toBe('lock');
      expect(lock.Item?.owner).toBeUndefined();
    }
    expect(actions.filter((x) => x.grant.kind === 'itwin_group_membership').length).toBeGreaterThan(0);
  });
});

describe('issue 5: every source revokes every grant at all three vendors', () => {
  const cases: Array<[string, () => HookRequest, (json: Record<string, unknown>) => string]> = [
    ['standard', () => standardHook(terminationBody(DANA)), (j) => j.offboardingId as string],
    ['okta', () => oktaHook([{ email: DANA }]), (j) => (j.offboardingIds as string[])[0]!],
    [
      'bamboohr',
      () => bamboohrHook([{ id: `e${randomUUID().slice(0, 6)}`, email: DANA }]),
      (j) => (j.offboardingIds as string[])[0]!,
    ],
    ['hibob', () => hibobHook(DANA), (j) => j.offboardingId as string],
  ];

  it.each(cases)('%s', async (_source, request, idOf) => {
    expect((await p.remaining(DANA)).length).toBeGreaterThan(5);
    const res = await p.hook(request());
    expect(res.statusCode).toBe(202);
    const id = idOf(res.json);
    await p.work();
    await expectFullyRevoked(id);
    // The last owner of iTwin 2 is skipped and alerted, not removed.
    const skipped = (await p.actions(id)).filter((a) => a.outcome === 'skipped');
    expect(skipped.some((a) => a.skipReason === 'last_owner')).toBe(true);
  });
});

describe('a grant the vendor cannot remove safely', () => {
  it('an iTwin group too big for one PATCH: the action fails (nobody else dropped), the run ends completed_with_failures and alerts', async () => {
    sandbox.control.seed(overLimitSeed());
    try {
      const out = captureOutput();
      let id: string;
      try {
        id = (await p.hook(standardHook(terminationBody(DANA)))).json.offboardingId as string;
        await p.work();
      } finally {
        out.restore();
      }
      const off = await p.offboarding(id);
      expect(off.status).toBe('completed_with_failures');
      const failed = (await p.actions(id)).filter((a) => a.outcome === 'failed');
      expect(failed.map((a) => [a.grant.kind, a.errorCode])).toEqual([
        ['itwin_group_membership', 'vendor_bad_request'],
      ]);
      // Nobody else was dropped: the group still has every other member.
      const group = (await p.remaining(SAM)).find(
        (g) => g.kind === 'itwin_group_membership' && idsOf(g).groupId === idsOf(failed[0]!.grant).groupId,
      );
      expect(group).toBeDefined();
      expect(JSON.stringify(sandbox.control.state('itwin'))).toContain('extra0@example.com');
      expect(out.text()).toContain('failure');
      expect(out.text()).toContain(id);
      expect(off.nextRetryAt).toBeDefined(); // the retry sweep takes it up again
    } finally {
      sandbox.control.seed('demo');
    }
  });
});

describe('duplicates, schedules and cancellation', () => {
  it('a duplicate webhook and a redelivered message change nothing', async () => {
    const req = standardHook(terminationBody(DANA), { id: `msg_${randomUUID()}` });
    const first = await p.hook(req);
    await p.work();
    await expectFullyRevoked(first.json.offboardingId as string);
    const recordsBefore = (await p.records(first.json.offboardingId as string)).length;

    sandbox.control.clearRequests();
    const again = await p.hook(standardHook(terminationBody(DANA), { id: req.headers['webhook-id'] }));
    expect(again.statusCode).toBe(202);
    expect(again.json.offboardingId).toBe(first.json.offboardingId);
    expect(await p.moto.receiveIds()).toEqual([]);
    // SQS delivers at least once: the same message again finds the offboarding finished.
    await p.deps.queue.enqueue(first.json.offboardingId as string);
    const run = await p.work();
    expect(run.processed).toEqual([first.json.offboardingId]);
    expect(sandbox.control.requests().filter((r) => r.method !== 'GET' && r.method !== 'POST')).toEqual([]);
    expect((await p.records(first.json.offboardingId as string)).length).toBe(recordsBefore);
  });

  it('a future-dated termination waits, then the due sweep runs it', async () => {
    const effectiveAt = new Date(Date.now() + 2 * 3600_000).toISOString();
    const res = await p.hook(standardHook(terminationBody(DANA, { effectiveAt })));
    expect(res.statusCode).toBe(202);
    const id = res.json.offboardingId as string;
    expect((await p.offboarding(id)).status).toBe('scheduled');
    expect(await p.moto.receiveIds()).toEqual([]);
    const before = keys(await p.remaining(DANA));

    await p.dueSweep(); // not yet due
    expect(await p.work()).toEqual({ processed: [], retried: [] });
    expect(keys(await p.remaining(DANA))).toEqual(before);

    p.shiftClock(3 * 3600_000);
    await p.dueSweep();
    const run = await p.work();
    expect(run.processed).toContain(id);
    await expectFullyRevoked(id);
    expect((await p.records(id)).map((r) => r.event)).toContain('scheduled');
  });

  it('a cancellation stops a scheduled termination', async () => {
    const effectiveAt = new Date(Date.now() + 2 * 3600_000).toISOString();
    const res = await p.hook(standardHook(terminationBody(DANA, { effectiveAt })));
    const id = res.json.offboardingId as string;
    const cancel = await p.hook(
      standardHook({ type: 'employee.termination_cancelled', data: { email: DANA } }),
    );
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json.offboardingId).toBe(id);
    expect((await p.offboarding(id)).status).toBe('cancelled');
    const before = keys(await p.remaining(DANA));

    p.shiftClock(3 * 3600_000);
    await p.dueSweep();
    await p.work();
    expect((await p.offboarding(id)).status).toBe('cancelled');
    expect(keys(await p.remaining(DANA))).toEqual(before);
    expect((await p.records(id)).map((r) => r.event)).toContain('cancelled');
  });

  it('a re-invitation after the offboarding is caught by reconciliation', async () => {
    const res = await p.hook(standardHook(terminationBody(DANA)));
    const id = res.json.offboardingId as string;
    await p.work();
    await expectFullyRevoked(id);

    sandbox.control.vendorAction('cloudmanager', 'add-org-invitation', {
      orgId: CM.orgId,
      username: DANA,
      roles: ['ORG_MEMBER'],
      inviterUsername: BREAKGLASS,
    });
    sandbox.control.vendorAction('itwin', 'add-invitation', {
      itwinId: ITWIN_1,
      email: DANA,
      roleIds: ['Read Access'],
    });
    const reinvited = (await p.remaining(DANA)).filter((g) => g.kind.endsWith('invitation'));
    expect(reinvited.length).toBeGreaterThanOrEqual(2);

    const out = captureOutput();
    try {
      await p.reconcile();
      await p.work();
    } finally {
      out.restore();
    }
    const left = (await p.remaining(DANA)).filter((g) => g.kind.endsWith('invitation'));
    expect(left).toEqual([]);
    const records = await p.records(id);
    expect(records.filter((r) => r.event === 'reinvited').length).toBeGreaterThanOrEqual(2);
    expect(verifyChain(records).ok).toBe(true);
    // Alerted (the log notifier without TOPIC_ARN), naming the offboarding but never the email.
    expect(out.text()).toContain(id);
    expect(out.text()).not.toContain(DANA);
  });
});

describe('safety', () => {
  it('the kill switch holds every revocation until it is switched off', async () => {
    await setKillSwitch(p.deps, 'e2e-test', { enabled: true, reason: 'incident drill' });
    try {
      const res = await p.hook(standardHook(terminationBody(DANA)));
      const id = res.json.offboardingId as string;
      sandbox.control.clearRequests();
      const run = await p.work({ maxRounds: 2 });
      // Held in the store (its message deleted, so it never reaches the DLQ), not run.
      expect(run.retried).not.toContain(id);
      expect((await p.offboarding(id)).heldAt).toBeDefined();
      expect(sandbox.control.requests().filter((r) => r.method === 'DELETE' || r.method === 'PATCH')).toEqual(
        [],
      );
      expect((await p.offboarding(id)).status).not.toMatch(/^completed/);
      await setKillSwitch(p.deps, 'e2e-test', { enabled: false, reason: 'drill over' });
      await p.dueSweep();
      await p.work();
      await expectFullyRevoked(id);
    } finally {
      await setKillSwitch(p.deps, 'e2e-test', { enabled: false, reason: 'cleanup' });
    }
  });

  it('a worker cut short by its deadline loses nothing: the next delivery finishes the job', async () => {
    sandbox.control.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: 150 } });
    const res = await p.hook(standardHook(terminationBody(DANA)));
    const id = res.json.offboardingId as string;
    // 4 s of Lambda time leaves about 1 s of work after the safety margins: far less than the run needs.
    const cut = await p.work({ remainingMs: 4000, maxRounds: 1 });
    expect(cut.retried).toEqual([id]);
    expect((await p.offboarding(id)).status).toBe('running');
    sandbox.control.clearFaults();
    await p.work();
    await expectFullyRevoked(id);
  });

  it('a worker that dies mid-run (a write fails after vendor calls) loses nothing', async () => {
    const res = await p.hook(standardHook(terminationBody(DANA)));
    const id = res.json.offboardingId as string;
    const deps = p.deps;
    let writes = 0;
    const store = Object.create(deps.store) as typeof deps.store;
    store.putAction = async (offboardingId, action) => {
      writes++;
      if (writes > 3) throw new Error('process killed');
      return deps.store.putAction(offboardingId, action);
    };
    p.use({ ...deps, store });
    // Slow vendor calls keep other tenants' revocations in flight when the write fails.
    sandbox.control.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: 100 } });
    const crashed = await p.work({ maxRounds: 1 });
    sandbox.control.clearFaults();
    expect(crashed.retried).toEqual([id]);
    expect((await p.offboarding(id)).status).not.toMatch(/^completed/);
    // Nothing of the dead run goes on behind the run that takes over: its calls in flight were
    // finished and audited before it reported the failure.
    const auditedAtReturn = (await p.records(id)).length;
    await new Promise((r) => setTimeout(r, 300));
    expect((await p.records(id)).length).toBe(auditedAtReturn);
    p.restore();
    // The next delivery (after the lease of the dead run lapses) finishes it.
    p.shiftClock(20 * 60_000);
    await p.dueSweep();
    await p.work();
    await expectFullyRevoked(id);
    // The results the dead run audited but never stored are taken from its audit: the counts say
    // every revocation that happened.
    const { either: _either, ...audited } = auditedCounts(await p.records(id));
    expect((await p.offboarding(id)).counts).toEqual(audited);
  });
});

describe('blast radius', () => {
  const people = ['alex.morgan', 'priya.natarajan', 'lee.chen', 'maria.garcia', 'tom.okafor'].map(
    (n) => `${n}@example.com`,
  );

  async function burst(q: Pipeline): Promise<{ ids: string[]; statuses: string[] }> {
    const res = await q.hook(oktaHook(people.map((email) => ({ email }))));
    const ids = res.json.offboardingIds as string[];
    expect(ids).toHaveLength(people.length);
    await q.work();
    const statuses = await Promise.all(ids.map(async (id) => (await q.offboarding(id)).status));
    return { ids, statuses };
  }

  async function quarantineReason(q: Pipeline, id: string): Promise<unknown> {
    return (await q.records(id)).find((r) => r.event === 'quarantined')?.detail?.reason;
  }

  it('more offboardings than the window allows: the excess is quarantined until someone releases it', async () => {
    const q = await startPipeline(endpoint, sandbox, {
      blastRadius: { maxOffboardings: 2, windowMinutes: 60, maxPercentOfPeople: 100 },
    });
    try {
      const { ids, statuses } = await burst(q);
      expect(statuses.filter((s) => s === 'completed')).toHaveLength(2);
      const held = ids.filter((_, i) => statuses[i] === 'quarantined');
      expect(held).toHaveLength(3);
      for (const id of held) {
        const off = await q.offboarding(id);
        expect(await quarantineReason(q, id)).toBe('rate');
        expect((await q.remaining(off.subject.email)).length).toBeGreaterThan(0);
      }
      // Released by a person, it runs (the guard does not quarantine a released offboarding again).
      await releaseOffboarding(q.deps, 'e2e-test', held[0]!);
      await q.work();
      expect((await q.offboarding(held[0]!)).status).toBe('completed');
      expect((await q.offboarding(held[1]!)).status).toBe('quarantined');
    } finally {
      q.moto.close();
      p.restore();
    }
  });

  it('a batch that would remove too large a share of the people at a vendor is quarantined whole', async () => {
    const q = await startPipeline(endpoint, sandbox, {
      blastRadius: { maxOffboardings: 500, windowMinutes: 60, maxPercentOfPeople: 25 },
    });
    try {
      const before = await Promise.all(people.map(async (e) => (await q.remaining(e)).length));
      const { ids, statuses } = await burst(q);
      expect(statuses).toEqual(people.map(() => 'quarantined'));
      for (const id of ids) expect(await quarantineReason(q, id)).toBe('share');
      const after = await Promise.all(people.map(async (e) => (await q.remaining(e)).length));
      expect(after).toEqual(before);
    } finally {
      q.moto.close();
      p.restore();
    }
  });
});

describe('the audit of every flow above', () => {
  it('verifies: every chain intact, every settled offboarding’s counts and status as its audit says', async () => {
    const archive = new MemoryDigestArchive();
    const signer = KeyPairDigestSigner.open();
    const deps = {
      ...p.deps,
      anchor: {
        signer,
        archive,
        state: new DynamoDigestState({ client: p.moto.dynamo, tableName: p.moto.tables.offboardingsTable }),
      },
    };
    const report = await verifyAudit(await verifyDeps(deps), { kind: 'all' });
    expect(report.problems).toEqual([]);
    expect(report.chains.length).toBeGreaterThan(10);
  });
});
