/**
 * The digest writer: one digest naming every chain appended to since the last window, chained and
 * signed; nothing when nothing was appended; one writer at a time; a writer that died between
 * signing and storing leaves a pending digest the next one stores first (no gap, no fork); many
 * chains make several linked digests. And finding a time window's digests by bisecting the seqs.
 */
import { describe, expect, it } from 'vitest';
import { KeyPairDigestSigner } from '../../../lambdas/adapters/key-pair-digest-signer.ts';
import { MemoryDigestArchive } from '../../../lambdas/adapters/memory-digest-archive.ts';
import { bodyBytes, digestKey, openEnvelope, sha256Hex } from '../../../lambdas/core/digest.ts';
import { checkDigests, digestSequenceProblems } from '../../../lambdas/core/digest-chain.ts';
import { listDigestsFrom } from '../../../lambdas/core/digest-listing.ts';
import type { DigestDeps, DigestHead, DigestStateStore } from '../../../lambdas/core/digest-ports.ts';
import { anchorNow, MAX_CHAINS_PER_DIGEST, writeDigest } from '../../../lambdas/core/digest-writer.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { MemoryAuditLog, MemoryLog, TestClock } from '../../support/memory-ports.ts';

class MemoryDigestState implements DigestStateStore {
  head: DigestHead = { seq: 0 };
  requested = new Set<string>();
  lease?: { owner: string; until: string };
  async claim(owner: string, until: string, now: string, livePrefix?: string) {
    const live = !livePrefix || this.lease?.owner.startsWith(livePrefix);
    if (this.lease && this.lease.until >= now && this.lease.owner !== owner && live) return undefined;
    this.lease = { owner, until };
    return this.read();
  }
  async save(owner: string, { requested: _kept, ...head }: DigestHead) {
    if (this.lease?.owner !== owner) throw new LeaverError('conflict', 'lease lost');
    this.head = structuredClone(head);
  }
  async request(streams: readonly string[]) {
    for (const s of streams) this.requested.add(s);
  }
  async forget(owner: string, streams: readonly string[]) {
    if (streams.length === 0) return;
    if (this.lease?.owner !== owner) throw new LeaverError('conflict', 'lease lost');
    for (const s of streams) this.requested.delete(s);
  }
  async release(owner: string) {
    if (this.lease?.owner === owner) this.lease = undefined;
  }
  async read(): Promise<DigestHead> {
    return {
      ...structuredClone(this.head),
      ...(this.requested.size > 0 ? { requested: [...this.requested].sort() } : {}),
    };
  }
}

function setup() {
  const clock = new TestClock('2026-11-23T12:00:00.000Z');
  const audit = new MemoryAuditLog();
  const archive = new MemoryDigestArchive();
  const state = new MemoryDigestState();
  const signer = KeyPairDigestSigner.open();
  const deps: DigestDeps = { audit, signer, archive, state, clock, log: new MemoryLog() };
  const append = (streamId: string) =>
    audit.append({ streamId, event: 'discovered', at: clock.now().toISOString(), actor: 'worker' });
  const bodies = async () =>
    Promise.all(
      (await archive.list()).map(async (r) => {
        const d = openEnvelope((await archive.get(r.key))!);
        if (!d.ok) throw new Error(d.reason);
        return d.body;
      }),
    );
  const check = async () => {
    const refs = await archive.list();
    const items = await Promise.all(refs.map(async (ref) => ({ ref, raw: await archive.get(ref.key) })));
    return [...digestSequenceProblems(refs), ...checkDigests(items, await signer.publicKeyPem()).problems];
  };
  return { clock, audit, archive, state, signer, deps, append, bodies, check };
}

describe('writeDigest', () => {
  it('names every chain appended to since the last window with its head, links and signs each digest', async () => {
    const t = setup();
    await t.append('off_a');
    await t.append('off_b');
    const b2 = await t.append('off_b');
    t.clock.advance(5 * 60_000);
    const first = await writeDigest(t.deps, { reason: 'periodic' });
    expect(first).toMatchObject({ chains: 2 });
    t.clock.advance(10 * 60_000);
    const a2 = await t.append('off_a');
    await writeDigest(t.deps, { reason: 'finished' });
    const [d1, d2] = await t.bodies();
    expect(d1!.chains).toEqual([
      { chain: 'off_a', seq: 1, hash: expect.any(String) },
      { chain: 'off_b', seq: 2, hash: b2.hash },
    ]);
    // Ten minutes later: only the chain appended to since (the window reaches two minutes back).
    expect(d2!.chains).toEqual([{ chain: 'off_a', seq: 2, hash: a2.hash }]);
    expect(d2!.previous).toEqual({ seq: 1, hash: sha256Hex(bodyBytes(d1!)) });
    expect(d2!.reason).toBe('finished');
    expect(await t.check()).toEqual([]);
  });

  it('a digest for finished offboardings names only their chains; the next periodic one names the rest', async () => {
    const t = setup();
    await t.append('off_a');
    t.clock.advance(5 * 60_000);
    await writeDigest(t.deps, { reason: 'periodic' });
    const window = (await t.state.read()).coveredTo;
    t.clock.advance(60_000);
    const done = await t.append('off_done');
    const other = await t.append('off_running');
    expect(await writeDigest(t.deps, { reason: 'finished', streams: ['off_done'] })).toMatchObject({
      chains: 1,
    });
    expect((await t.state.read()).coveredTo).toBe(window);
    t.clock.advance(5 * 60_000);
    await writeDigest(t.deps, { reason: 'periodic' });
    const [, finished, periodic] = await t.bodies();
    expect(finished!.chains).toEqual([{ chain: 'off_done', seq: 1, hash: done.hash }]);
    expect(periodic!.chains).toEqual([
      { chain: 'off_done', seq: 1, hash: done.hash },
      { chain: 'off_running', seq: 1, hash: other.hash },
    ]);
    expect(await t.check()).toEqual([]);
  });

  it('writes nothing when nothing was appended, but moves its window on', async () => {
    const t = setup();
    const run = await writeDigest(t.deps, { reason: 'periodic' });
    expect(run).toEqual({ written: [], chains: 0 });
    expect(await t.archive.list()).toEqual([]);
    expect((await t.state.read()).coveredTo).toBe(t.clock.now().toISOString());
  });

  it('one writer at a time: a held lease leaves the other with nothing to do', async () => {
    const t = setup();
    await t.append('off_a');
    await t.state.claim(
      'someone-else',
      new Date(t.clock.now().getTime() + 60_000).toISOString(),
      t.clock.now().toISOString(),
    );
    expect(await writeDigest(t.deps, { reason: 'periodic' })).toMatchObject({ busy: true, written: [] });
    expect(await t.archive.list()).toEqual([]);
  });

  it('anchorNow while another writer holds the lease: leaves its chains requested and returns at once; the next digest names them', async () => {
    const t = setup();
    await t.append('off_done');
    const until = new Date(t.clock.now().getTime() + 60_000).toISOString();
    await t.state.claim('someone-else', until, t.clock.now().toISOString());
    expect(await anchorNow(t.deps, ['off_done'])).toMatchObject({ busy: true, written: [], requested: 1 });
    expect((await t.state.read()).requested).toEqual(['off_done']);
    await t.state.release('someone-else');
    // The next writer, whatever it came for, names the requested chain and clears the request.
    await t.append('off_other');
    const run = await writeDigest(t.deps, { reason: 'finished', streams: ['off_other'] });
    expect(run.written).toHaveLength(1);
    expect((await t.bodies())[0]!.chains.map((c) => c.chain)).toEqual(['off_done', 'off_other']);
    expect((await t.state.read()).requested).toBeUndefined();
    expect(await t.check()).toEqual([]);
  });

  it('a request made while a writer runs is anchored by that writer right after, not at the next periodic digest', async () => {
    const t = setup();
    await t.append('off_a');
    await t.append('off_late');
    // While the first writer signs, another worker finishes off_late and finds the lease busy.
    const sign = t.signer.signHash.bind(t.signer);
    let late: Promise<unknown> | undefined;
    t.signer.signHash = async (hash) => {
      late ??= anchorNow(t.deps, ['off_late']);
      await late;
      return sign(hash);
    };
    const run = await writeDigest(t.deps, { reason: 'finished', streams: ['off_a'] });
    expect(await late).toMatchObject({ busy: true, requested: 1 });
    expect(run.written.map((r) => r.seq)).toEqual([1, 2]);
    expect((await t.bodies()).map((b) => b.chains.map((c) => c.chain))).toEqual([['off_a'], ['off_late']]);
    expect((await t.state.read()).requested).toBeUndefined();
    expect(await t.check()).toEqual([]);
  });

  it('a periodic digest names requested chains and clears them', async () => {
    const t = setup();
    await t.append('off_a');
    await t.state.request(['off_a']);
    t.clock.advance(5 * 60_000);
    await writeDigest(t.deps, { reason: 'periodic' });
    expect((await t.bodies())[0]!.chains.map((c) => c.chain)).toEqual(['off_a']);
    expect((await t.state.read()).requested).toBeUndefined();
  });

  it('alone on its storage (the local runtime): a lease a dead process left is taken over at once', async () => {
    const t = setup();
    await t.append('off_a');
    const until = new Date(t.clock.now().getTime() + 60_000).toISOString();
    await t.state.claim('life-1/writer', until, t.clock.now().toISOString());
    const alone = { ...t.deps, leaseHolder: { id: 'life-2', exclusive: true } };
    expect(await writeDigest(alone, { reason: 'finished' })).toMatchObject({
      chains: 1,
      written: [{ seq: 1 }],
    });
    // Not alone (AWS): the same lease keeps a writer out until it lapses.
    await t.append('off_b');
    await t.state.claim('life-1/writer', until, t.clock.now().toISOString());
    const shared = { ...t.deps, leaseHolder: { id: 'life-2', exclusive: false } };
    expect(await writeDigest(shared, { reason: 'finished' })).toMatchObject({ busy: true, written: [] });
  });

  it('a writer that died after signing, before storing: the next stores that digest first (no gap, no fork)', async () => {
    const t = setup();
    await t.append('off_a');
    const put = t.archive.put.bind(t.archive);
    t.archive.put = async () => {
      throw new LeaverError('storage_unavailable', 'S3 down');
    };
    await expect(writeDigest(t.deps, { reason: 'periodic' })).rejects.toThrow('S3 down');
    expect((await t.state.read()).pending?.ref.seq).toBe(1);
    t.archive.put = put;
    t.clock.advance(60_000);
    await t.append('off_b');
    const run = await writeDigest(t.deps, { reason: 'periodic' });
    expect(run.written.map((r) => r.seq)).toEqual([1, 2]);
    expect(await t.check()).toEqual([]);
    expect((await t.state.read()).pending).toBeUndefined();
  });

  it('more chains than one digest names: several digests in a row, linked', async () => {
    const t = setup();
    for (let i = 0; i < MAX_CHAINS_PER_DIGEST + 3; i++) await t.append(`off_${String(i).padStart(4, '0')}`);
    const run = await writeDigest(t.deps, { reason: 'periodic' });
    expect(run.written.map((r) => r.seq)).toEqual([1, 2]);
    const [d1, d2] = await t.bodies();
    expect(d1!.chains).toHaveLength(MAX_CHAINS_PER_DIGEST);
    expect(d2!.chains).toHaveLength(3);
    expect(await t.check()).toEqual([]);
  });
});

describe('listDigestsFrom', () => {
  it('finds a time window’s digests by bisecting the seqs, from the one before', async () => {
    const archive = new MemoryDigestArchive();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let seq = 1; seq <= 1000; seq++) {
      const time = new Date(t0 + seq * 300_000).toISOString();
      await archive.put({ seq, time, key: digestKey(seq, time) }, new Uint8Array([1]));
    }
    let calls = 0;
    const counting = {
      list: (opts?: { afterSeq?: number; limit?: number }) => {
        calls++;
        return archive.list(opts);
      },
    };
    const state = { read: async () => ({ seq: 1000 }) };
    const from = new Date(t0 + 700 * 300_000).toISOString();
    const listing = await listDigestsFrom(counting, state, from);
    expect(listing.fromSeq).toBe(699);
    expect(listing.refs.map((r) => r.seq)).toEqual(Array.from({ length: 302 }, (_, i) => 699 + i));
    expect(calls).toBeLessThanOrEqual(12);
    // No time: everything.
    expect((await listDigestsFrom(archive, state, undefined)).refs).toHaveLength(1000);
  });
});
