/**
 * Checks one stored chain: its own links (audit-chain.ts), and every head that trusted digests name
 * for it (the record at that seq must exist with that hash). Records after the last named head are
 * not yet anchored: intact as far as their links show, but nothing outside the table vouches for
 * them yet.
 */
import { verifyChain } from './audit-chain.ts';
import type { AuditProblem } from './audit-problems.ts';
import type { TrustedDigest } from './digest-chain.ts';
import type { AuditRecord } from './model.ts';

export interface NamedHead {
  digest: number;
  seq: number;
  hash: string;
}

export interface ChainCheck {
  chain: string;
  records: number;
  /** The highest seq a trusted digest names (0: none). */
  anchoredThrough: number;
  /** Records after anchoredThrough, when there are any. */
  notAnchored?: { fromSeq: number; toSeq: number };
  problems: AuditProblem[];
}

/** The heads trusted digests name, per chain. */
export function headsByChain(digests: readonly TrustedDigest[]): Map<string, NamedHead[]> {
  const out = new Map<string, NamedHead[]>();
  for (const d of digests) {
    for (const c of d.body.chains) {
      out.set(c.chain, [...(out.get(c.chain) ?? []), { digest: d.body.seq, seq: c.seq, hash: c.hash }]);
    }
  }
  return out;
}

export function checkChain(
  chain: string,
  records: readonly AuditRecord[],
  heads: readonly NamedHead[],
): ChainCheck {
  const problems: AuditProblem[] = [];
  if (records.length === 0 && heads.length > 0) {
    const h = heads[heads.length - 1]!;
    problems.push({
      code: 'chain_missing',
      chain,
      digest: h.digest,
      message: `Chain ${chain} is gone: digest ${h.digest} names it up to seq ${h.seq}`,
    });
    return { chain, records: 0, anchoredThrough: 0, problems };
  }
  const verdict = verifyChain(records);
  if (!verdict.ok) {
    const code = verdict.reason.startsWith('expected seq')
      ? 'seq_gap'
      : verdict.reason.startsWith('hash does not match')
        ? 'record_altered'
        : 'chain_broken';
    const what =
      code === 'seq_gap'
        ? 'a record was deleted or inserted'
        : code === 'record_altered'
          ? 'the record was edited'
          : 'a record before it was changed or replaced';
    problems.push({
      code,
      chain,
      seq: verdict.brokenAt,
      message: `Chain ${chain} breaks at seq ${verdict.brokenAt} (${verdict.reason}): ${what}`,
    });
  }
  const bySeq = new Map<number, AuditRecord>();
  for (const r of records) if (!bySeq.has(r.seq)) bySeq.set(r.seq, r);
  const lastSeq = records.length ? Math.max(...records.map((r) => r.seq)) : 0;
  let anchoredThrough = 0;
  for (const h of heads) {
    anchoredThrough = Math.max(anchoredThrough, h.seq);
    const rec = bySeq.get(h.seq);
    if (!rec) {
      problems.push({
        code: 'chain_truncated',
        chain,
        seq: h.seq,
        digest: h.digest,
        message: `Chain ${chain} ends at seq ${lastSeq}, but digest ${h.digest} names seq ${h.seq}: records ${lastSeq + 1} to ${h.seq} were deleted`,
      });
    } else if (rec.hash !== h.hash) {
      problems.push({
        code: 'head_mismatch',
        chain,
        seq: h.seq,
        digest: h.digest,
        message: `Record ${h.seq} of chain ${chain} is not the one digest ${h.digest} anchored: records up to it were changed and re-hashed, or the chain was rewritten`,
      });
    }
  }
  const check: ChainCheck = { chain, records: records.length, anchoredThrough, problems: dedupe(problems) };
  if (lastSeq > anchoredThrough) check.notAnchored = { fromSeq: anchoredThrough + 1, toSeq: lastSeq };
  return check;
}

/** One problem per code and seq (a chain named by many digests repeats the same finding). */
function dedupe(problems: AuditProblem[]): AuditProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.code}:${p.seq}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
