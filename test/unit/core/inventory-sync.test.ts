/**
 * The inventory sync: resumable by scope (a run cut by its deadline continues after its cursor),
 * fail closed (an unreadable scope changes nothing and leaves the pass open), one syncing process
 * per tenant (a lone local runtime takes over its dead predecessor's lease), fresh tenants left
 * alone, and scopes that disappeared dropped with their grants.
 */
import { describe, expect, it } from 'vitest';
import type { TenantConfig } from '../../../lambdas/core/config.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { syncInventory } from '../../../lambdas/core/inventory-sync.ts';
import type { Grant } from '../../../lambdas/core/model.ts';
import type { Connector, Ctx } from '../../../lambdas/core/ports.ts';
import { MemoryInventory } from '../../support/memory-inventory.ts';
import { memoryDeps } from '../../support/memory-ports.ts';

const ITWIN = (n: number) => `7c0f0a3e-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** An iTwin tenant of `n` iTwins, each holding one member; listing an iTwin takes a second. */
function scopedConnector(deps: ReturnType<typeof memoryDeps>, scopes: string[]) {
  const listed: string[] = [];
  const failing = new Set<string>();
  const members = new Map(scopes.map((s) => [s, [`m-${s.slice(-2)}@example.com`]]));
  const connector: Connector = {
    vendor: 'itwin',
    discover: async () => [],
    revoke: async () => ({ outcome: 'revoked', attempts: 1 }),
    scopes: async () => [...members.keys()].sort(),
    inventory: async (tenant: TenantConfig, scope: string, _ctx: Ctx): Promise<Grant[]> => {
      listed.push(scope);
      deps.clock.advance(1000);
      if (failing.has(scope))
        throw new LeaverError('vendor_unexpected_response', 'the members list did not parse');
      return (members.get(scope) ?? []).map((email) => ({
        vendor: 'itwin',
        tenantId: tenant.id,
        kind: 'itwin_user_member',
        email,
        ids: { itwinId: scope, memberId: `${scope}-m` },
      }));
    },
  };
  return { connector, listed, failing, members };
}

function setup(n = 10) {
  const deps = memoryDeps({
    config: { tenants: [TENANT], inventory: { scopeConcurrency: 1, syncMinutes: 60 } },
  });
  const scopes = Array.from({ length: n }, (_, i) => ITWIN(i + 1));
  const c = scopedConnector(deps, scopes);
  const inventory = new MemoryInventory();
  const full = Object.assign(deps, { inventory, connectors: { itwin: c.connector } });
  const ctx = (ms: number): Ctx => ({ deadline: deps.clock.now().getTime() + ms, log: deps.log });
  return { deps: full, inventory, ctx, ...c };
}

const TENANT = {
  id: 'itwin-all',
  vendor: 'itwin' as const,
  baseUrl: 'http://itwin.test',
  secretName: 'leaver/itwin',
  tokenUrl: 'http://itwin.test/token',
  itwinIds: 'all' as const,
  itwinsUrl: 'http://itwin.test/itwins',
};

describe('inventory sync', () => {
  it('is resumable: a run cut by its deadline saves its cursor and the next run continues after it', async () => {
    const t = setup(10);
    // 6 s: the 2 s reserve leaves room for four one-second scopes.
    const first = await syncInventory(t.deps, t.ctx(6_000), { owner: 'p1' });
    expect(first.tenants[0]).toMatchObject({ status: 'partial', scopes: 10, scopesDone: 4 });
    const state = (await t.inventory.tenants())[0]!;
    expect(state).toMatchObject({ cursor: ITWIN(4), scopesDone: 4, scopesTotal: 10 });
    expect(state.lastSyncAt).toBeUndefined();
    expect(state.passStartedAt).toBeDefined();
    // The people of the scopes listed so far are known already.
    expect((await t.inventory.lookup(['m-01@example.com'])).map((e) => e.scope)).toEqual([ITWIN(1)]);

    const second = await syncInventory(t.deps, t.ctx(60_000), { owner: 'p2' });
    expect(second.tenants[0]).toMatchObject({ status: 'synced', scopesDone: 10 });
    // Nothing listed twice: the second run started after the cursor.
    expect(t.listed).toEqual(Array.from({ length: 10 }, (_, i) => ITWIN(i + 1)));
    const done = (await t.inventory.tenants())[0]!;
    expect(done.lastSyncAt).toBe(state.passStartedAt);
    expect(done).toMatchObject({ scopesDone: 10, scopesTotal: 10 });
    expect(done.cursor).toBeUndefined();
  });

  it('fails closed: an unreadable scope removes nothing, leaves the pass open and names the error', async () => {
    const t = setup(3);
    await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' });
    expect(t.inventory.kindsOf('m-02@example.com')).toEqual(['itwin_user_member@itwin-all']);
    t.deps.clock.advance(2 * 3_600_000);
    t.failing.add(ITWIN(2));
    t.members.set(ITWIN(2), []); // what a listing that lost its `email` field would look like
    const r = await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' });
    expect(r.tenants[0]).toMatchObject({
      status: 'failed',
      errorCode: 'vendor_unexpected_response',
      scopesDone: 1,
    });
    expect(r.partial).toBe(true);
    // The grant of the unreadable scope is still known: never "no grants".
    expect(t.inventory.kindsOf('m-02@example.com')).toEqual(['itwin_user_member@itwin-all']);
    const state = (await t.inventory.tenants())[0]!;
    expect(state).toMatchObject({ lastErrorCode: 'vendor_unexpected_response', cursor: ITWIN(1) });
    expect(state.passStartedAt).toBeDefined();
  });

  it('leaves a fresh tenant alone, and one whose sync another process holds', async () => {
    const t = setup(2);
    expect((await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' })).tenants[0]!.status).toBe('synced');
    t.deps.clock.advance(10 * 60_000);
    expect((await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' })).tenants[0]!.status).toBe('fresh');
    t.deps.clock.advance(60 * 60_000);
    const now = t.deps.clock.now();
    await t.inventory.claimSync(
      'itwin-all',
      'other',
      new Date(now.getTime() + 60_000).toISOString(),
      now.toISOString(),
    );
    expect((await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' })).tenants[0]!.status).toBe('busy');
    expect(t.listed).toHaveLength(2);
  });

  it('a lone local runtime takes over the sync lease its killed predecessor left; elsewhere it waits', async () => {
    const t = setup(2);
    const now = t.deps.clock.now();
    const deadLease = new Date(now.getTime() + 15 * 60_000).toISOString();
    await t.inventory.claimSync('itwin-all', 'sync-before-the-crash', deadLease, now.toISOString());
    // Several instances in AWS: another holder may be alive, so the lease is left to lapse.
    t.deps.leaseHolder = { id: 'lambda-1', exclusive: false };
    expect((await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' })).tenants[0]!.status).toBe('busy');
    expect(t.listed).toEqual([]);
    // The local runtime is the only process on its store: the other holder died with its predecessor.
    t.deps.leaseHolder = { id: 'local-2', exclusive: true };
    expect((await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' })).tenants[0]!.status).toBe('synced');
    expect(t.listed).toHaveLength(2);
  });

  it('drops a scope that no longer exists (an iTwin deleted) with its grants once a pass completes', async () => {
    const t = setup(3);
    await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1' });
    t.members.delete(ITWIN(3));
    const r = await syncInventory(t.deps, t.ctx(60_000), { owner: 'p1', force: true });
    expect(r.tenants[0]).toMatchObject({ status: 'synced', scopes: 2, removed: 1 });
    expect(t.inventory.kindsOf('m-03@example.com')).toEqual([]);
  });
});
