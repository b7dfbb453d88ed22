/**
 * The inventory end to end on the local runtime (dynalite, the sandbox's demo data, the real
 * connectors): the sync builds it, a termination revokes the known grants before any vendor
 * listing (the sandbox's request log shows the order), a grant added after the sync is caught by
 * the verification and counted, and the access lookup then shows nothing left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../lambdas/handlers/observability.ts';
import { runDemo } from '../../../local/demo.ts';
import { type LocalRuntime, startLocal } from '../../../local/main.ts';
import { call } from '../../api/helpers.ts';
import { DANA } from './pipeline.ts';

const CM_ORG = '5f1a0000000000000000c001';
let rt: LocalRuntime;

beforeAll(async () => {
  logger.setLogLevel('WARN');
  rt = await startLocal({ port: 0, sandboxPort: 0, schedules: false, banner: false });
});
afterAll(async () => {
  await rt?.close();
});

describe('inventory on the local runtime', () => {
  it('revokes what the inventory knows before any listing, catches what it missed, and completes after verifying', async () => {
    await rt.runSchedule('inventory-sync');
    const known = (await call('GET', `/v1/access?email=${encodeURIComponent(DANA)}`)).body;
    expect(known.grants.length).toBeGreaterThan(10);
    // After the sync: someone invites Dana to the Cloud Manager organisation again.
    rt.sandbox!.control.vendorAction('cloudmanager', 'add-org-invitation', {
      orgId: CM_ORG,
      username: DANA,
      roles: ['ORG_MEMBER'],
    });
    rt.sandbox!.control.clearRequests();

    let printed = '';
    const result = await runDemo({
      email: DANA,
      baseUrl: rt.url,
      config: rt.config,
      secretsFile: 'local/secrets.json',
      pollMs: 100,
      write: (t) => {
        printed += t;
      },
    });
    expect(result.status).toBe('completed');
    expect(printed).toMatch(
      /First revocation: \d+ ms after the webhook; \d+ of \d+ revoked in the first pass/,
    );

    // The sandbox saw revocations before its first listing call of the run.
    const log = rt.sandbox!.control.requests();
    const isRemoval = (e: { method: string; path: string }) =>
      e.method === 'DELETE' || e.method === 'PATCH' || e.path.endsWith(':removeUser');
    const isListing = (e: { method: string; path: string }) =>
      e.method === 'GET' &&
      /(members|invitations|invites|users|groups)(\/|$)/.test(e.path) &&
      !/\/users\/[0-9a-f]{24}$/.test(e.path);
    const firstRemoval = log.findIndex(isRemoval);
    const firstListing = log.findIndex(isListing);
    expect(firstRemoval).toBeGreaterThanOrEqual(0);
    expect(firstRemoval).toBeLessThan(firstListing);

    // The invitation sent after the sync was found by the verification, revoked, and counted.
    const detail = (await call('GET', `/v1/offboardings/${result.offboardingId}`)).body;
    const late = detail.vendors
      .flatMap((v: { actions: Array<{ kind: string; pass: number; outcome: string }> }) => v.actions)
      .filter((a: { kind: string; pass: number }) => a.kind === 'cloudmanager_org_invitation' && a.pass >= 1);
    expect(late).toEqual([expect.objectContaining({ outcome: 'revoked' })]);
    const off = await rt.deps.store.get(result.offboardingId!);
    expect(off).toMatchObject({ status: 'completed', missedByInventory: 1 });
    expect(off!.knownByInventory).toBeGreaterThan(10);

    // The inventory forgot what was revoked: only the iTwin she is the last owner of remains.
    const after = (await call('GET', `/v1/access?email=${encodeURIComponent(DANA)}`)).body;
    expect(after.grants.map((g: { kind: string }) => g.kind)).toEqual(['itwin_owner_member']);
  });
});
