import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  GENESIS_HASH,
  hashRecord,
  verifyChain,
  verifyStream,
} from '../../lambdas/core/audit-chain.ts';
import type { AuditRecord } from '../../lambdas/core/model.ts';

function chain(n: number, streamId = 'off_1'): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const body: Omit<AuditRecord, 'hash'> = {
      streamId,
      seq: i,
      event: i === 1 ? 'received' : 'action_finished',
      at: `2026-03-01T10:00:${String(i).padStart(2, '0')}.000Z`,
      email: 'dana.leaver@example.com',
      actor: 'hr:standard',
      outcome: 'revoked',
      detail: { b: 2, a: [1, { z: 1, y: 2 }] },
      prevHash,
    };
    const rec = { ...body, hash: hashRecord(body) };
    out.push(rec);
    prevHash = rec.hash;
  }
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: undefined, w: 0 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"w":0,"y":1}]},"b":1}',
    );
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson('é"')).toBe('"é\\""');
  });
});

describe('hashRecord', () => {
  it('is sha256 hex of the canonical JSON without the hash field, independent of key order', () => {
    const rec = chain(1)[0]!;
    const { hash, ...rest } = rec;
    const expected = createHash('sha256').update(canonicalJson(rest)).digest('hex');
    expect(hash).toBe(expected);
    expect(hashRecord(rec)).toBe(expected);
    const reordered = Object.fromEntries(Object.entries(rest).reverse()) as Omit<AuditRecord, 'hash'>;
    expect(hashRecord(reordered)).toBe(expected);
    expect(hashRecord({ ...rest, vendor: undefined })).toBe(expected);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('covers seq, prevHash and nested detail', () => {
    const rec = chain(1)[0]!;
    expect(hashRecord({ ...rec, seq: 2 })).not.toBe(rec.hash);
    expect(hashRecord({ ...rec, prevHash: 'f'.repeat(64) })).not.toBe(rec.hash);
    expect(hashRecord({ ...rec, detail: { b: 2, a: [1, { z: 1, y: 3 }] } })).not.toBe(rec.hash);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and the empty chain', () => {
    expect(verifyChain(chain(10))).toEqual({ ok: true, count: 10 });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('finds a changed field at its seq', () => {
    const c = chain(10);
    c[4] = { ...c[4]!, outcome: 'failed' };
    expect(verifyChain(c)).toMatchObject({ ok: false, brokenAt: 5, reason: expect.stringMatching(/hash/) });
  });

  it('finds a re-hashed forgery at the next link', () => {
    const c = chain(10);
    const forged = { ...c[4]!, outcome: 'failed' as const };
    forged.hash = hashRecord(forged);
    c[4] = forged;
    expect(verifyChain(c)).toMatchObject({
      ok: false,
      brokenAt: 6,
      reason: expect.stringMatching(/prevHash/),
    });
  });

  it('finds a removed, duplicated or reordered record', () => {
    const c = chain(6);
    expect(verifyChain([...c.slice(0, 2), ...c.slice(3)])).toMatchObject({ ok: false, brokenAt: 3 });
    expect(verifyChain([c[0]!, c[1]!, c[1]!, ...c.slice(2)])).toMatchObject({ ok: false, brokenAt: 3 });
    expect(verifyChain([c[1]!, c[0]!])).toMatchObject({ ok: false, brokenAt: 1 });
    expect(verifyChain(c.slice(1))).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('refuses a first record that does not start from the genesis hash', () => {
    const c = chain(1);
    const body = { ...c[0]!, prevHash: 'a'.repeat(64) };
    expect(verifyChain([{ ...body, hash: hashRecord(body) }])).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('refuses records of another stream spliced in', () => {
    const a = chain(3, 'off_a');
    const b = chain(3, 'off_b');
    expect(verifyChain([a[0]!, b[1]!, a[2]!])).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('verifyStream reads every page through the port', async () => {
    const c = chain(7);
    const pages = [c.slice(0, 3), c.slice(3, 6), c.slice(6)];
    const calls: Array<string | undefined> = [];
    const audit = {
      stream: async (_id: string, opts?: { cursor?: string }) => {
        calls.push(opts?.cursor);
        const i = opts?.cursor ? Number(opts.cursor) : 0;
        return { items: pages[i]!, cursor: i < 2 ? String(i + 1) : undefined };
      },
    };
    const v = await verifyStream(audit, 'off_1');
    expect(v).toMatchObject({ ok: true, count: 7 });
    expect(calls).toEqual([undefined, '1', '2']);
  });
});
