/**
 * The tamper matrix: every case of issue 13's table plus the added ones, each applied to a real
 * offboarding's stored audit (or to the digest archive) as someone with direct write access would,
 * and each detected and named by verification (code, chain, seq, digest). Run on dynalite with the
 * local runtime's key pair and digests folder, and on moto_server with KMS and S3 Object Lock.
 */
import { expect, it } from 'vitest';
import type { AuditProblem } from '../../../lambdas/core/audit-problems.ts';
import type { VerifyReport } from '../../../lambdas/core/audit-verify.ts';
import { digestKey, sha256Hex } from '../../../lambdas/core/digest.ts';
import type { AuditRecord } from '../../../lambdas/core/model.ts';
import { alteredEnvelope, anchor, type Backend, foreignEnvelope, offboard, verify } from './harness.ts';

function expectFound(
  report: VerifyReport,
  problem: Partial<AuditProblem> & Pick<AuditProblem, 'code'>,
): void {
  expect(report.valid).toBe(false);
  expect(report.problems, JSON.stringify(report.problems)).toContainEqual(expect.objectContaining(problem));
}

/** Records of a chain as stored (through the adapter). */
async function records(b: Backend, id: string): Promise<AuditRecord[]> {
  return b.tamper.records(id);
}

/** An offboarding that ran to the end and whose chain a digest anchors; checked intact first. */
async function anchored(b: Backend, opts: { failOne?: boolean } = {}) {
  const id = await offboard(b, opts);
  await anchor(b);
  const before = await verify(b, id);
  expect(before.problems).toEqual([]);
  expect(before).toMatchObject({ valid: true, anchored: true });
  const recs = await records(b, id);
  expect(recs.length).toBeGreaterThan(12);
  return { id, last: recs.length, recs };
}

export function tamperMatrix(shared: () => Backend, fresh: () => Promise<Backend>): void {
  it('baseline: a finished offboarding verifies intact and anchored; a later record is reported not yet anchored', async () => {
    const b = shared();
    const { id, last } = await anchored(b);
    const off = (await b.deps.store.get(id))!;
    await b.deps.audit.append({
      streamId: id,
      event: 'cancel_after_run',
      at: new Date().toISOString(),
      actor: 'hr:standard',
      email: off.subject.email,
    });
    const r = await verify(b, id);
    expect(r).toMatchObject({ valid: true, anchored: false, problems: [] });
    expect(r.chains).toEqual([
      expect.objectContaining({ chain: id, notAnchored: { fromSeq: last + 1, toSeq: last + 1 } }),
    ]);
    await anchor(b);
    expect(await verify(b, id)).toMatchObject({ valid: true, anchored: true });
  });

  it('edit one record, no re-hash: broken at that record', async () => {
    const b = shared();
    const { id } = await anchored(b);
    await b.tamper.edit(id, 5, { actor: 'mallory' });
    expectFound(await verify(b, id), { code: 'record_altered', chain: id, seq: 5 });
  });

  it('edit one record and re-hash it: broken at the next record', async () => {
    const b = shared();
    const { id } = await anchored(b);
    await b.tamper.edit(id, 5, { actor: 'mallory' }, { rehash: true });
    expectFound(await verify(b, id), { code: 'chain_broken', chain: id, seq: 6 });
  });

  it('delete a record in the middle: broken there', async () => {
    const b = shared();
    const { id } = await anchored(b);
    await b.tamper.delete(id, [5]);
    expectFound(await verify(b, id), { code: 'seq_gap', chain: id, seq: 5 });
  });

  it('delete the last records: the digest names a seq the chain no longer reaches', async () => {
    const b = shared();
    const { id, last } = await anchored(b);
    await b.tamper.delete(id, [last - 1, last]);
    const r = await verify(b, id);
    expectFound(r, { code: 'chain_truncated', chain: id, seq: last });
    // The records left still link: only the digest (and the missing `finished` record the
    // offboarding's status needs) shows what is gone.
    expect(r.problems.filter((p) => ['seq_gap', 'chain_broken', 'record_altered'].includes(p.code))).toEqual(
      [],
    );
  });

  it('edit a record and recompute every later hash: the anchored head no longer matches', async () => {
    const b = shared();
    const { id, last } = await anchored(b);
    await b.tamper.edit(id, 5, { actor: 'mallory' }, { rehashAfter: true });
    const r = await verify(b, id);
    expectFound(r, { code: 'head_mismatch', chain: id, seq: last });
    expect(r.problems.map((p) => p.code)).toEqual(['head_mismatch']);
  });

  it('rewrite a whole chain from its first record (another actor): the anchored head no longer matches', async () => {
    const b = shared();
    const { id, last } = await anchored(b);
    await b.tamper.rewrite(id, (r) => ({ ...r, actor: 'mallory' }));
    expectFound(await verify(b, id), { code: 'head_mismatch', chain: id, seq: last });
  });

  it('delete a whole chain: reported as gone (for the offboarding and in --all), not "not found"', async () => {
    const b = shared();
    const { id, last } = await anchored(b);
    await b.tamper.deleteStream(id);
    const r = await verify(b, id);
    expectFound(r, { code: 'chain_missing', chain: id });
    expect(r.problems.find((p) => p.code === 'chain_missing')!.message).toContain(`seq ${last}`);
    expectFound(await verify(b, { kind: 'all' }), { code: 'chain_missing', chain: id });
  });

  it('edited record (re-hashed, not yet anchored) whose offboarding still says 0 failed: counts and status disagree', async () => {
    const b = shared();
    const id = await offboard(b);
    const off = (await b.deps.store.get(id))!;
    expect(off.counts.failed).toBe(0);
    const target = (await records(b, id)).find(
      (r) => r.event === 'action_finished' && r.outcome === 'revoked',
    )!;
    await b.tamper.edit(
      id,
      target.seq,
      { outcome: 'failed', errorCode: 'vendor_forbidden' },
      { rehashAfter: true },
    );
    const r = await verify(b, id);
    expectFound(r, { code: 'counts_mismatch', chain: id });
    expectFound(r, { code: 'status_mismatch', chain: id });
    expect(r.anchored).toBe(false);
  });

  it('inserted record: the seqs no longer run one by one', async () => {
    const b = shared();
    const { id } = await anchored(b);
    await b.tamper.insert(id, 5, { actor: 'mallory', event: 'action_finished', outcome: 'revoked' });
    expectFound(await verify(b, id), { code: 'seq_gap', chain: id, seq: 6 });
  });

  it('an offboarding whose stored counts or status disagree with its audit, or that is gone from the store', async () => {
    const b = shared();
    const { id } = await anchored(b);
    await b.setOffboarding(id, {
      counts: { planned: 7, revoked: 7, alreadyAbsent: 0, skipped: 0, failed: 1 },
    });
    expectFound(await verify(b, id), { code: 'counts_mismatch', chain: id });
    const other = await anchored(b, { failOne: true });
    expect((await b.deps.store.get(other.id))!.status).toBe('completed_with_failures');
    await b.setOffboarding(other.id, { status: 'completed' });
    expectFound(await verify(b, other.id), { code: 'status_mismatch', chain: other.id });
    const gone = await anchored(b);
    await b.deleteOffboarding(gone.id);
    expectFound(await verify(b, gone.id), { code: 'offboarding_missing', chain: gone.id });
  });

  it('a deleted digest: a gap in the digest chain', async () => {
    const b = await fresh();
    for (let i = 0; i < 3; i++) await anchored(b);
    await b.digests.remove(2);
    const r = await verify(b, { kind: 'all' });
    expectFound(r, { code: 'digest_missing', digest: 2 });
  });

  it('an altered digest: its signature fails and the next digest names another hash for it', async () => {
    const b = await fresh();
    for (let i = 0; i < 3; i++) await anchored(b);
    await b.digests.replace(2, alteredEnvelope(await b.digests.read(2)));
    const r = await verify(b, { kind: 'all' });
    expectFound(r, { code: 'digest_altered', digest: 2 });
    expect(
      r.problems
        .filter((p) => p.code === 'digest_altered')
        .map((p) => p.message)
        .join(' '),
    ).toContain('signature does not verify');
  });

  it('a digest signed by another key, in place of one or added after the last', async () => {
    const b = await fresh();
    for (let i = 0; i < 3; i++) await anchored(b);
    await b.digests.replace(2, await foreignEnvelope(await b.digests.read(2)));
    // A forger's digest #4, linked to #3 as the writer would link it, but signed with their own key.
    const third = await b.digests.read(3);
    const time = new Date(Date.now() + 1000).toISOString();
    const previous = {
      seq: 3,
      hash: sha256Hex(Buffer.from(JSON.parse(Buffer.from(third).toString()).body, 'base64')),
    };
    await b.archive.put(
      { seq: 4, time, key: digestKey(4, time) },
      await foreignEnvelope(third, { seq: 4, time, previous }),
    );
    const r = await verify(b, { kind: 'all' });
    expectFound(r, { code: 'digest_foreign_key', digest: 2 });
    expectFound(r, { code: 'digest_altered', digest: 2 });
    expectFound(r, { code: 'digest_foreign_key', digest: 4 });
  });

  it('two digests claiming one seq: a fork', async () => {
    const b = await fresh();
    for (let i = 0; i < 2; i++) await anchored(b);
    const time = new Date(Date.now() + 5000).toISOString();
    await b.archive.put({ seq: 2, time, key: digestKey(2, time) }, await b.digests.read(2));
    expectFound(await verify(b, { kind: 'all' }), { code: 'digest_fork', digest: 2 });
  });

  it('the archive never overwrites a digest', async () => {
    const b = shared();
    await anchored(b);
    const [ref] = await b.archive.list();
    const before = await b.archive.get(ref!.key);
    expect(await b.archive.put(ref!, new TextEncoder().encode('{}'))).toBe('exists');
    expect(await b.archive.get(ref!.key)).toEqual(before);
  });
}
