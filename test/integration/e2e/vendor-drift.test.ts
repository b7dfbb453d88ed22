/**
 * Vendor drift end to end (Lambda handlers on moto_server, the vendor sandbox over HTTP): a vendor
 * listing that answers a renamed field, a missing array, a wrong type or an HTML page fails that
 * tenant's discovery; the offboarding ends `completed_with_failures` (never `completed`) with the
 * tenant recorded, a failure alert, and a retry that completes once the vendor answers as expected.
 */
import { describe, expect, inject, it } from 'vitest';
import type { AuditRecord, VendorId } from '../../../lambdas/core/model.ts';
import type { FaultSpec } from '../../../sandbox/core/faults.ts';
import type { Sandbox } from '../../../sandbox/index.ts';
import { captureOutput, standardHook, terminationBody } from '../handlers/support.ts';
import { DANA, type Pipeline, usePipeline } from './pipeline.ts';

const endpoint = inject('motoEndpoint');
let sandbox: Sandbox;
let p: Pipeline;

usePipeline(endpoint, (sb, pipeline) => {
  sandbox = sb;
  p = pipeline;
});

const failedTenantsOf = (records: AuditRecord[], event: string) =>
  records.filter((r) => r.event === event).map((r) => r.detail?.failedTenants);

/** Runs a termination of the leaver through intake and the worker with the output captured. */
async function offboard(): Promise<{ id: string; output: string }> {
  const out = captureOutput();
  try {
    const res = await p.hook(standardHook(terminationBody(DANA)));
    expect(res.statusCode).toBe(202);
    const id = res.json.offboardingId as string;
    const run = await p.work();
    expect(run.processed).toContain(id);
    return { id, output: out.text() };
  } finally {
    out.restore();
  }
}

/** The retry schedule runs it again after its backoff; with the vendor answering as expected it completes. */
async function retryCompletes(id: string): Promise<void> {
  const off = await p.offboarding(id);
  p.shiftClock(Date.parse(off.nextRetryAt!) - Date.now() + 60_000);
  await p.retrySweep();
  await p.work();
  const done = await p.offboarding(id);
  expect(done.status).toBe('completed');
  expect(done.failedTenants).toBeUndefined();
  const left = (await p.remaining(DANA)).filter((g) => !g.lastOwner);
  expect(left.map((g) => g.kind)).toEqual([]);
}

const CASES: Array<{ vendor: VendorId; fault: FaultSpec }> = [
  {
    vendor: 'itwin',
    fault: {
      type: 'mangle',
      vendor: 'itwin',
      pathPattern: '/members/users$',
      shape: 'rename-field',
      field: 'email',
    },
  },
  {
    vendor: 'atlas',
    fault: { type: 'mangle', vendor: 'atlas', pathPattern: '/orgs/[^/]+/users$', shape: 'drop-array' },
  },
  {
    vendor: 'cloudmanager',
    fault: {
      type: 'mangle',
      vendor: 'cloudmanager',
      pathPattern: '/orgs/[^/]+/users$',
      shape: 'wrong-type',
      field: 'username',
    },
  },
  { vendor: 'itwin', fault: { type: 'mangle', vendor: 'itwin', pathPattern: '/groups$', shape: 'html' } },
];

describe('a vendor listing that does not match its schema', () => {
  it.each(CASES.map((c) => [c.vendor, c.fault.type === 'mangle' ? c.fault.shape : '', c] as const))(
    '%s (%s): completed_with_failures, the tenant recorded, alerted, and retried until it completes',
    async (_v, _shape, { vendor, fault }) => {
      const tenantId = `${vendor}-demo`;
      const held = (await p.remaining(DANA)).filter((g) => g.vendor === vendor).length;
      expect(held).toBeGreaterThan(0);
      const ruleId = sandbox.control.addFault(fault);

      const { id, output } = await offboard();
      expect(sandbox.control.requests({ vendor }).some((r) => r.fault === ruleId)).toBe(true);
      const off = await p.offboarding(id);
      expect(off.status).toBe('completed_with_failures');
      expect(off.nextRetryAt).toBeDefined();

      // Recorded: every discovery pass and the finish name the tenant and the code.
      const failed = [{ tenantId, vendor, errorCode: 'vendor_unexpected_response' }];
      expect(off.failedTenants).toEqual(failed);
      const records = await p.records(id);
      for (const event of ['discovered', 'finished']) {
        for (const f of failedTenantsOf(records, event)) expect(f, event).toEqual(failed);
      }
      // Nothing was removed blindly at that vendor; the others were revoked.
      const actions = await p.actions(id);
      expect(actions.filter((a) => a.grant.vendor === vendor)).toEqual([]);
      expect(actions.filter((a) => a.outcome === 'revoked').length).toBeGreaterThan(0);
      expect(actions.filter((a) => a.outcome === 'failed')).toEqual([]);
      sandbox.control.clearFaults();
      expect((await p.remaining(DANA)).filter((g) => g.vendor === vendor)).toHaveLength(held);

      // Alerted (the log notifier), naming the tenant and the code, never the email.
      const alert = output
        .split('\n')
        .find((l) => l.includes('"notification"') && l.includes('"kind":"failure"') && l.includes(id));
      expect(alert).toBeDefined();
      expect(alert).toContain(`${tenantId}: vendor_unexpected_response`);
      expect(output).not.toContain(DANA);

      await retryCompletes(id);
    },
  );

  it('only the verification round reads a mangled listing: still completed_with_failures, then retried', async () => {
    // The first read of the Cloud Manager org users passes; the verification round's is mangled.
    sandbox.control.addFault({
      type: 'mangle',
      vendor: 'cloudmanager',
      method: 'GET',
      pathPattern: '/orgs/[^/]+/users$',
      shape: 'rename-field',
      field: 'username',
      skip: 1,
    });
    const { id, output } = await offboard();
    const off = await p.offboarding(id);
    expect(off.status).toBe('completed_with_failures');
    const records = await p.records(id);
    const passes = records.filter((r) => r.event === 'discovered').map((r) => r.detail ?? {});
    expect(passes.map((d) => [d.pass, (d.failedTenants as unknown[]).length])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // The first pass's grants at Cloud Manager were revoked; only the check after could not be made.
    const actions = await p.actions(id);
    expect(
      actions.filter((a) => a.grant.vendor === 'cloudmanager' && a.outcome === 'revoked').length,
    ).toBeGreaterThan(0);
    expect(failedTenantsOf(records, 'finished')).toEqual([
      [{ tenantId: 'cloudmanager-demo', vendor: 'cloudmanager', errorCode: 'vendor_unexpected_response' }],
    ]);
    expect(output).toContain('cloudmanager-demo: vendor_unexpected_response');
    sandbox.control.clearFaults();
    await retryCompletes(id);
  });
});
