/**
 * One writer per iTwin group, against the sandbox over HTTP with the lease and request board on
 * dynalite. Each "process" is its own createConnectors with its own DynamoDB client, as separate
 * worker instances are. Assertions read the sandbox's own record of every group change.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoLockStore } from '../../lambdas/adapters/dynamo-lock-store.ts';
import { createConnectors } from '../../lambdas/connectors/index.ts';
import { groupLockName } from '../../lambdas/connectors/itwin/group-writer.ts';
import type { Grant } from '../../lambdas/core/model.ts';
import type { Connector, WriteCoordination } from '../../lambdas/core/ports.ts';
import { type RunningDynalite, startDynalite } from '../../local/adapters/dynalite-server.ts';
import { createTables } from '../../local/adapters/table-setup.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { DEMO_GROUP_ENGINEERS, DEMO_GROUP_REVIEWERS, DEMO_ITWIN_1 } from '../../sandbox/itwin/demo.ts';
import { dynamoClient, uniqueName } from '../integration/adapters/support.ts';
import { testCtx } from './support/ctx.ts';
import { DANA, DRIVERS, itwinState, SAM } from './support/drivers.ts';
import { MemorySecrets } from './support/memory-secrets.ts';

const driver = DRIVERS.find((d) => d.vendor === 'itwin')!;
const ENGINEERS = Array.from(
  { length: 49 },
  (_, i) => `engineer${String(i + 1).padStart(2, '0')}@example.com`,
);

interface GroupChange {
  groupId: string;
  source: 'patch' | 'control';
  removed: string[];
  added: string[];
}

let sb: Sandbox;
let dynalite: RunningDynalite;
/** A table of its own per test: no lease or request of one test is seen by the next. */
let TABLE = '';
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  sb = await startSandbox({ seed: 'empty' });
  dynalite = await startDynalite();
});
beforeEach(async () => {
  TABLE = uniqueName('offboardings');
  const c = dynamoClient(dynalite.endpoint);
  await createTables(c, { offboardingsTable: TABLE, auditTable: uniqueName('audit') });
  c.destroy();
});
afterAll(async () => {
  await sb.close();
  await dynalite.close();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

/** A process of its own: its own DynamoDB client, lock store and connectors. */
function process(opts: { leaseMs?: number; pollMs?: number; coordination?: WriteCoordination | null } = {}): {
  itwin: Connector;
  locks: DynamoLockStore;
} {
  const client = dynamoClient(dynalite.endpoint);
  clients.push(client);
  const locks = new DynamoLockStore({ client, tableName: TABLE });
  const itwin = createConnectors({
    secrets: new MemorySecrets({ [driver.secretName]: driver.secret }),
    coordination: opts.coordination === null ? undefined : (opts.coordination ?? locks),
    groupWrites: { leaseMs: opts.leaseMs ?? 2_000, pollMs: opts.pollMs ?? 50 },
  }).itwin;
  return { itwin, locks };
}

const members = (groupId: string) =>
  itwinState(sb)
    .itwins.find((t) => t.id === DEMO_ITWIN_1)!
    .groups.find((g) => g.id === groupId)!
    .members.map((m) => m.email)
    .sort();

const changes = (groupId: string) =>
  (sb.control.vendorAction('itwin', 'group-changes', { groupId }) as { changes: GroupChange[] }).changes;

const patches = () => sb.control.requests({ vendor: 'itwin', method: 'PATCH' });

function membership(email: string, groupId: string): Grant {
  return {
    vendor: 'itwin',
    tenantId: driver.tenant(sb).id,
    kind: 'itwin_group_membership',
    email,
    ids: { itwinId: DEMO_ITWIN_1, groupId },
  };
}

describe('one writer per iTwin group', () => {
  beforeEach(() => {
    sb.control.seed(driver.seed());
    sb.control.reset();
  });

  it('49 leavers of one group through three processes at once: all gone, every stayer kept, each removed by one PATCH', async () => {
    const tenant = driver.tenant(sb);
    const procs = [process(), process(), process()];
    // Found by discovery, as the worker finds them.
    const grants = (
      await procs[0]!.itwin.discover(
        ENGINEERS.map((email) => ({ email, aliases: [] })),
        tenant,
        testCtx(),
      )
    ).filter((g) => g.kind === 'itwin_group_membership');
    expect(grants).toHaveLength(49);
    const before = members(DEMO_GROUP_ENGINEERS);
    sb.control.clearRequests();

    const results = await Promise.all(
      grants.map((g, i) => procs[i % procs.length]!.itwin.revoke(g, tenant, testCtx())),
    );

    expect(results.map((r) => r.outcome)).toEqual(grants.map(() => 'revoked'));
    const stayers = before.filter((e) => !ENGINEERS.includes(e));
    expect(stayers).toEqual([DANA, SAM].sort());
    expect(members(DEMO_GROUP_ENGINEERS)).toEqual(stayers);
    const history = changes(DEMO_GROUP_ENGINEERS);
    // Every change was one of our PATCHes, removing only leavers and adding nobody.
    expect(history.every((c) => c.source === 'patch' && c.added.length === 0)).toBe(true);
    const removed = history.flatMap((c) => c.removed).sort();
    expect(removed).toEqual([...ENGINEERS].sort()); // each leaver removed exactly once
    // At most one PATCH per process (each coalesces its own and any others' requests).
    expect(patches().length).toBeLessThanOrEqual(procs.length);
    expect(patches().length).toBe(history.length);
  });

  it('in one process, removals arriving together go out as one PATCH', async () => {
    const tenant = driver.tenant(sb);
    const { itwin } = process({ coordination: null });
    const results = await Promise.all(
      ENGINEERS.slice(0, 20).map((e) => itwin.revoke(membership(e, DEMO_GROUP_ENGINEERS), tenant, testCtx())),
    );
    expect(results.every((r) => r.outcome === 'revoked')).toBe(true);
    expect(patches()).toHaveLength(1);
    expect(changes(DEMO_GROUP_ENGINEERS)).toEqual([
      expect.objectContaining({ source: 'patch', removed: ENGINEERS.slice(0, 20), added: [] }),
    ]);
  });

  it('a lease held by a crashed process lapses, and the next writer proceeds', async () => {
    const tenant = driver.tenant(sb);
    const crashed = process();
    const name = groupLockName(tenant.id, { itwinId: DEMO_ITWIN_1, groupId: DEMO_GROUP_REVIEWERS });
    // The crashed holder took the lease and never renews or releases it.
    expect(await crashed.locks.acquire(name, 'crashed-process', 300)).toBe(true);
    const next = process();
    const seen: boolean[] = [];
    const watched: WriteCoordination = Object.create(next.locks);
    watched.acquire = async (n, owner, ttl) => {
      const got = await next.locks.acquire(n, owner, ttl);
      seen.push(got);
      return got;
    };
    const { itwin } = process({ coordination: watched });
    const r = await itwin.revoke(membership(DANA, DEMO_GROUP_REVIEWERS), tenant, testCtx());
    expect(r.outcome).toBe('revoked');
    expect(seen[0]).toBe(false); // it waited for the crashed holder's lease first
    expect(seen.at(-1)).toBe(true);
    expect(members(DEMO_GROUP_REVIEWERS)).toEqual([SAM]);
    // Released after the write (just after the answer): the next one takes it without waiting.
    let free = false;
    for (let i = 0; i < 100 && !free; i++) {
      free = await next.locks.acquire(name, 'someone-else', 60_000);
      if (!free) await new Promise((r) => setTimeout(r, 10));
    }
    expect(free).toBe(true);
    expect(await next.locks.release(name, 'someone-else')).toBe(true);
  });

  it('waiting for the lease ends at the caller deadline: deadline_exceeded, nothing written', async () => {
    const tenant = driver.tenant(sb);
    const holder = process();
    const name = groupLockName(tenant.id, { itwinId: DEMO_ITWIN_1, groupId: DEMO_GROUP_REVIEWERS });
    expect(await holder.locks.acquire(name, 'busy-process', 60_000)).toBe(true);
    const { itwin } = process();
    const err = await itwin
      .revoke(membership(DANA, DEMO_GROUP_REVIEWERS), tenant, testCtx({ deadlineMs: 400 }))
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'deadline_exceeded' });
    expect(patches()).toEqual([]);
    expect(members(DEMO_GROUP_REVIEWERS)).toEqual([DANA, SAM].sort());
    expect(await holder.locks.release(name, 'busy-process')).toBe(true);
  });

  it('a PATCH the vendor accepts but does not apply is written again and verified, never reported unverified', async () => {
    const tenant = driver.tenant(sb);
    sb.control.vendorAction('itwin', 'set-group-patch-fault', {
      mode: 'ignore',
      groupId: DEMO_GROUP_REVIEWERS,
    });
    const { itwin } = process();
    const r = await itwin.revoke(membership(DANA, DEMO_GROUP_REVIEWERS), tenant, testCtx());
    expect(r.outcome).toBe('revoked');
    expect(patches()).toHaveLength(2);
    expect(members(DEMO_GROUP_REVIEWERS)).toEqual([SAM]);
    expect(changes(DEMO_GROUP_REVIEWERS)).toEqual([
      expect.objectContaining({ source: 'patch', removed: [DANA], added: [] }),
    ]);
  });

  it.each(['ignore', 'readd'] as const)(
    'a removal that never sticks (%s) fails vendor_write_unverified and is not revoked',
    async (mode) => {
      const tenant = driver.tenant(sb);
      sb.control.vendorAction('itwin', 'set-group-patch-fault', {
        mode,
        groupId: DEMO_GROUP_REVIEWERS,
        times: 100,
      });
      const { itwin } = process();
      const err = await itwin
        .revoke(membership(DANA, DEMO_GROUP_REVIEWERS), tenant, testCtx())
        .catch((e) => e);
      expect(err).toMatchObject({ code: 'vendor_write_unverified', retryable: true });
      expect(members(DEMO_GROUP_REVIEWERS)).toEqual([DANA, SAM].sort());
      expect(patches()).toHaveLength(3); // the writer's attempts, then it stops
    },
  );

  /**
   * Process B finds the lease taken and posts its removal; once the post is on the board the lease
   * is freed and process A removes another member: A's PATCH carries B's removal too, and B reads
   * its answer from the board (B polls slowly, so A is the one that writes).
   */
  async function postedThenDrained(groupId: string, bEmail: string, aEmail: string) {
    const tenant = driver.tenant(sb);
    const name = groupLockName(tenant.id, { itwinId: DEMO_ITWIN_1, groupId });
    const gate = process();
    expect(await gate.locks.acquire(name, 'gate', 60_000)).toBe(true);
    const b = process({ pollMs: 2_000 });
    const rb = b.itwin.revoke(membership(bEmail, groupId), tenant, testCtx()).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    for (let i = 0; i < 250 && (await gate.locks.open(name)).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await gate.locks.open(name)).toHaveLength(1);
    expect(await gate.locks.release(name, 'gate')).toBe(true);
    const ra = await process()
      .itwin.revoke(membership(aEmail, groupId), tenant, testCtx())
      .then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
    return { ra, rb: await rb, open: await gate.locks.open(name) };
  }

  it('a removal posted by a process that waits is written by the holder, in the same PATCH as its own', async () => {
    const { ra, rb, open } = await postedThenDrained(DEMO_GROUP_REVIEWERS, DANA, SAM);
    expect(ra).toMatchObject({ ok: true, r: { outcome: 'revoked' } });
    expect(rb).toMatchObject({ ok: true, r: { outcome: 'revoked' } });
    expect(open).toEqual([]);
    expect(patches()).toHaveLength(1);
    expect(members(DEMO_GROUP_REVIEWERS)).toEqual([]);
    expect(changes(DEMO_GROUP_REVIEWERS)).toEqual([
      expect.objectContaining({ source: 'patch', removed: [DANA, SAM].sort(), added: [] }),
    ]);
  });

  it('a posted removal the holder cannot do reaches its poster with the same error (nobody dropped)', async () => {
    const big = sb.control.vendorAction('itwin', 'add-group', {
      itwinId: DEMO_ITWIN_1,
      name: 'Everyone',
      members: [...Array.from({ length: 60 }, (_, i) => `crowd${i}@example.com`), DANA, SAM],
    }) as { id: string };
    const { ra, rb } = await postedThenDrained(big.id, DANA, SAM);
    for (const r of [ra, rb]) {
      expect(r.ok).toBe(false);
      expect((r as { e: unknown }).e).toMatchObject({
        code: 'vendor_bad_request',
        details: { reason: 'group_patch_limit', limit: 50 },
      });
    }
    expect(patches()).toEqual([]);
    expect(members(big.id)).toHaveLength(62);
  });
});
