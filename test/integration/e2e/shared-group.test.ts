/**
 * The measured failure of issue 12: 49 leavers who share one iTwin group ("Site Engineers" of the
 * demo seed), offboarded by two worker batches at once in two processes (each its own connectors;
 * the store, audit log and group lease shared, as the Offboardings table is). Every offboarding
 * must end `completed` with the leaver really gone, every colleague kept, each membership removed by
 * one PATCH and verified, and the verification round must find nothing left to remove.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../lambdas/adapters/system-clock.ts';
import { createConnectors } from '../../../lambdas/connectors/index.ts';
import { groupLockName } from '../../../lambdas/connectors/itwin/group-writer.ts';
import type { EngineDeps } from '../../../lambdas/core/deps.ts';
import { acceptHrEvents } from '../../../lambdas/core/intake.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { DEMO_GROUP_ENGINEERS, DEMO_ITWIN_1 } from '../../../sandbox/itwin/demo.ts';
import { DANA, DRIVERS, itwinState, SAM } from '../../connectors/support/drivers.ts';
import { MemorySecrets } from '../../connectors/support/memory-secrets.ts';
import { MemoryLocks, memoryDeps } from '../../support/memory-ports.ts';

const driver = DRIVERS.find((d) => d.vendor === 'itwin')!;
const ENGINEERS = Array.from(
  { length: 49 },
  (_, i) => `engineer${String(i + 1).padStart(2, '0')}@example.com`,
);

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ seed: 'empty' });
  sb.control.seed(driver.seed());
});
afterAll(async () => sb.close());

describe('49 leavers of one iTwin group, two worker processes at once', () => {
  it('all completed and gone, every colleague kept, all 49 removed by one verified PATCH', async () => {
    const tenant = driver.tenant(sb);
    const base = memoryDeps({
      config: {
        tenants: [tenant],
        safety: { blastRadius: { maxOffboardings: 1_000, maxPercentOfPeople: 100 } },
      },
    });
    const locks = new MemoryLocks();
    // Two processes: their own connectors (HTTP clients, group writers), the shared stores.
    const processDeps = (): EngineDeps => ({
      ...base,
      clock: systemClock,
      connectors: createConnectors({
        secrets: new MemorySecrets({ [driver.secretName]: driver.secret }),
        coordination: locks,
      }),
    });
    const [one, two] = [processDeps(), processDeps()];
    let n = 0;
    await acceptHrEvents(
      one,
      ENGINEERS.map((email) => ({
        kind: 'terminate' as const,
        source: 'standard',
        sourceEventId: `msg_${++n}`,
        subject: { email, aliases: [] },
        occurredAt: new Date().toISOString(),
      })),
      { type: 'hr', id: 'standard' },
    );
    const ids = base.queue.drain();
    expect(ids).toHaveLength(49);
    sb.control.clearRequests();

    // Held shut until both batches have posted all 49 removals, so the two really write at the
    // same time: whoever gets the lease then must carry the other's removals too.
    const name = groupLockName(tenant.id, { itwinId: DEMO_ITWIN_1, groupId: DEMO_GROUP_ENGINEERS });
    expect(await locks.acquire(name, 'gate', 60_000)).toBe(true);
    const ctx = () => ({ deadline: Date.now() + 60_000, log: base.log });
    const running = Promise.all([
      processOffboardings(one, ids.slice(0, 25), ctx()),
      processOffboardings(two, ids.slice(25), ctx()),
    ]);
    const posted = async () => (await locks.open(name)).flatMap((r) => r.items).length;
    for (let i = 0; i < 500 && (await posted()) < 49; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await posted()).toBe(49);
    expect(await locks.release(name, 'gate')).toBe(true);
    const results = await running;

    expect(results.flat().map((r) => r.result)).toEqual(ids.map(() => 'done'));
    for (const id of ids) {
      const o = await base.store.get(id);
      expect(o?.status).toBe('completed');
      const actions = await base.store.listActions(id);
      expect(actions.map((a) => [a.grant.kind, a.outcome, a.pass])).toEqual([
        ['itwin_group_membership', 'revoked', 0],
      ]);
      const records = base.audit.records(id);
      expect(records.filter((r) => r.event === 'action_started')).toHaveLength(1);
      // The verification round found nothing left: no second removal was needed.
      expect(records.find((r) => r.event === 'discovered' && r.detail?.pass === 1)?.detail).toMatchObject({
        grants: 0,
      });
    }
    const group = itwinState(sb)
      .itwins.find((t) => t.id === DEMO_ITWIN_1)!
      .groups.find((g) => g.id === DEMO_GROUP_ENGINEERS)!;
    expect(group.members.map((m) => m.email).sort()).toEqual([DANA, SAM].sort());
    const { changes } = sb.control.vendorAction('itwin', 'group-changes', {
      groupId: DEMO_GROUP_ENGINEERS,
    }) as { changes: Array<{ source: string; removed: string[]; added: string[] }> };
    expect(changes.every((c) => c.source === 'patch' && c.added.length === 0)).toBe(true);
    expect(changes.flatMap((c) => c.removed).sort()).toEqual(ENGINEERS);
    // One PATCH for all 49: the holder drained the other process's posted removals into its own.
    expect(sb.control.requests({ vendor: 'itwin', method: 'PATCH' })).toHaveLength(1);
    expect(changes).toHaveLength(1);
    expect(await locks.open(name)).toEqual([]);
  });
});
