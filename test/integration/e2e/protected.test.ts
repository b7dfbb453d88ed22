/**
 * The protected-account rule end to end, through moto_server and the vendor sandbox over HTTP with
 * the Lambda handlers: HR terminates a protected address (the break-glass admin, and an address of a
 * protected domain) and nothing is removed at any vendor; every grant found is audited as skipped.
 */
import { describe, expect, inject, it } from 'vitest';
import { verifyChain } from '../../../lambdas/core/audit-chain.ts';
import { grantKey } from '../../../lambdas/core/model.ts';
import type { Sandbox } from '../../../sandbox/index.ts';
import { captureOutput, standardHook, terminationBody } from '../handlers/support.ts';
import { BREAKGLASS, CM, ITWIN_1, type Pipeline, usePipeline } from './pipeline.ts';

const endpoint = inject('motoEndpoint');
let sandbox: Sandbox;
let p: Pipeline;

usePipeline(endpoint, (sb, pipeline) => {
  sandbox = sb;
  p = pipeline;
});

/** Every request that could change something at a vendor (reads and token requests aside). */
const writes = () =>
  sandbox.control
    .requests()
    .filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && !/token/i.test(r.path));

async function terminateProtected(email: string) {
  const before = (await p.remaining(email)).map(grantKey).sort();
  expect(before.length).toBeGreaterThan(0);
  sandbox.control.clearRequests();

  const out = captureOutput();
  let id: string;
  try {
    const res = await p.hook(standardHook(terminationBody(email)));
    expect(res.statusCode).toBe(202);
    id = res.json.offboardingId as string;
    await p.work();
  } finally {
    out.restore();
  }

  // Nothing was asked of any vendor but reads (the request log), and every grant is still there.
  expect(sandbox.control.requests().filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
  expect(writes()).toEqual([]);
  expect((await p.remaining(email)).map(grantKey).sort()).toEqual(before);

  // Completed, every grant found recorded and audited as skipped for being protected.
  const off = await p.offboarding(id);
  expect(off.status).toBe('completed');
  const actions = await p.actions(id);
  expect(actions.map((a) => a.grantKey).sort()).toEqual(before);
  for (const a of actions) expect(a).toMatchObject({ outcome: 'skipped', skipReason: 'protected_account' });
  expect(off.counts).toMatchObject({ skipped: before.length, revoked: 0, failed: 0 });
  const records = await p.records(id);
  expect(records.filter((r) => r.event === 'action_started')).toEqual([]);
  const finished = records.filter((r) => r.event === 'action_finished');
  expect(finished.map((r) => r.grantKey).sort()).toEqual(before);
  for (const r of finished) expect(r).toMatchObject({ outcome: 'skipped', skipReason: 'protected_account' });
  expect(verifyChain(records)).toEqual({ ok: true, count: records.length });
  // Alerted (the log notifier), naming the offboarding, never the address.
  expect(out.text()).toContain('protected_account');
  expect(out.text()).not.toContain(email);
  return { id, vendors: new Set(actions.map((a) => a.grant.vendor)) };
}

describe('protected accounts, end to end', () => {
  it('a protected email (the break-glass admin, with memberships and a pending invitation): nothing revoked anywhere', async () => {
    sandbox.control.vendorAction('cloudmanager', 'add-org-invitation', {
      orgId: CM.orgId,
      username: BREAKGLASS,
      roles: ['ORG_MEMBER'],
      inviterUsername: 'sam.stays@example.com',
    });
    const { vendors } = await terminateProtected(BREAKGLASS);
    expect([...vendors].sort()).toEqual(['atlas', 'cloudmanager', 'itwin']);
  });

  it('an address of a protected domain (a service identity): nothing revoked anywhere', async () => {
    const service = 'leaver-sync@apps.imsoidc.bentley.com';
    sandbox.control.vendorAction('itwin', 'add-invitation', {
      itwinId: ITWIN_1,
      email: service,
      roleIds: ['Read Access'],
    });
    sandbox.control.vendorAction('cloudmanager', 'add-org-invitation', {
      orgId: CM.orgId,
      username: service,
      roles: ['ORG_MEMBER'],
      inviterUsername: BREAKGLASS,
    });
    const { vendors } = await terminateProtected(service);
    expect([...vendors].sort()).toEqual(['cloudmanager', 'itwin']);
  });
});
