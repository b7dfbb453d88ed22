import { describe, expect, it } from 'vitest';
import { computeTimeToRevoke } from '../../../lambdas/core/time-to-revoke.ts';
import { grants } from '../../support/fake-connector.ts';
import { DANA, engine } from './engine.ts';

describe('time-to-revoke', () => {
  it('runs from max(effectiveAt, receivedAt) to the last revocation, overall and per vendor', async () => {
    const { deps, fakes, terminate, work } = engine();
    fakes.itwin.add(grants.itwinMember(DANA));
    fakes.cloudmanager.add(grants.cmOrgUser(DANA));
    fakes.itwin.beforeRevoke = () => deps.clock.advance(1_500);
    // Cloud Manager answers after iTwin (a turn of the event loop later, 4 s later on the clock).
    fakes.cloudmanager.beforeRevoke = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      deps.clock.advance(4_000);
    };
    // Effective an hour ago (HR was late): the clock starts at receipt.
    const id = await terminate(DANA, {
      effectiveAt: new Date(deps.clock.now().getTime() - 3_600_000).toISOString(),
    });
    await work();
    const off = deps.store.must(id);
    expect(off.timeToRevokeMs).toBe(5_500);
    expect(off.timeToRevokeByVendorMs).toEqual({ itwin: 1_500, cloudmanager: 5_500 });
    expect(off.lastRevokedAt).toBe(new Date(Date.parse(off.receivedAt) + 5_500).toISOString());
    expect(deps.audit.records(id).at(-1)!.detail).toMatchObject({ timeToRevokeMs: 5_500 });
  });

  it('ignores reinvited and non-revoked outcomes; nothing revoked means no value', () => {
    const off = { effectiveAt: '2026-01-01T00:00:10.000Z', receivedAt: '2026-01-01T00:00:00.000Z' };
    const g = grants.cmOrgUser(DANA);
    const a = (outcome: 'revoked' | 'already_absent', at: string, reinvited = false) => ({
      grantKey: 'k',
      grant: g,
      outcome,
      attempts: 1,
      durationMs: 1,
      at,
      pass: 0,
      reinvited,
    });
    expect(
      computeTimeToRevoke(off, [
        a('revoked', '2026-01-01T00:00:12.000Z'),
        a('revoked', '2026-01-05T00:00:00.000Z', true),
        a('already_absent', '2026-01-01T00:01:00.000Z'),
      ]),
    ).toEqual({
      lastRevokedAt: '2026-01-01T00:00:12.000Z',
      timeToRevokeMs: 2_000,
      timeToRevokeByVendorMs: { cloudmanager: 2_000 },
    });
    expect(computeTimeToRevoke(off, [])).toEqual({ timeToRevokeByVendorMs: {} });
  });
});
