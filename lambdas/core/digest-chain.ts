/**
 * Checks a run of stored digests: every seq present once, each envelope readable and in canonical
 * form, signed by the trusted key, and named (by sha256 of its body) by the digest after it. Only
 * digests that pass are trusted to anchor chains.
 */
import type { AuditProblem } from './audit-problems.ts';
import {
  type DigestBody,
  type DigestRef,
  digestKey,
  keyIdOf,
  type OpenedDigest,
  openEnvelope,
  signatureValid,
} from './digest.ts';

export interface TrustedDigest {
  ref: DigestRef;
  body: DigestBody;
  /** sha256 hex of the body. */
  hash: string;
}

export interface DigestCheck {
  trusted: TrustedDigest[];
  problems: AuditProblem[];
}

/** Seqs missing between 1 (or `from`) and the highest listed, and seqs listed twice. */
export function digestSequenceProblems(
  refs: readonly DigestRef[],
  opts: { from?: number; headSeq?: number } = {},
): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const bySeq = new Map<number, DigestRef[]>();
  for (const r of refs) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r]);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const last = Math.max(seqs[seqs.length - 1] ?? 0, opts.headSeq ?? 0);
  let expected = opts.from ?? 1;
  for (const seq of [...seqs, last + 1]) {
    if (seq > expected) {
      const range = seq - 1 === expected ? `${expected}` : `${expected} to ${seq - 1}`;
      const beyond = seq === last + 1 && opts.headSeq !== undefined && opts.headSeq >= expected;
      problems.push({
        code: 'digest_missing',
        digest: expected,
        message: beyond
          ? `Digest ${range} is missing from the archive, though the digest writer's state names it`
          : `Digest ${range} is missing from the archive: the digest chain has a gap`,
      });
    }
    expected = Math.max(expected, seq + 1);
  }
  for (const [seq, list] of bySeq) {
    if (list.length > 1) {
      problems.push({
        code: 'digest_fork',
        digest: seq,
        message: `${list.length} digests claim seq ${seq} (${list.map((r) => r.key).join(', ')})`,
      });
    }
  }
  return problems;
}

/**
 * Checks the digests given (in seq order, each with its envelope or undefined when unreadable)
 * against the trusted public key, and the links between consecutive ones.
 */
export function checkDigests(
  items: ReadonlyArray<{ ref: DigestRef; raw: Uint8Array | undefined }>,
  publicKeyPem: string,
): DigestCheck {
  const trustedKeyId = keyIdOf(publicKeyPem);
  const problems: AuditProblem[] = [];
  const opened = new Map<number, { ref: DigestRef; d: Extract<OpenedDigest, { ok: true }> }>();
  /** sha256 of every readable body by seq, trusted or not: what the next digest's link is checked against. */
  const hashes = new Map<number, string>();
  const trusted: TrustedDigest[] = [];
  /** Digests whose successor names another hash for them: they anchor nothing. */
  const disowned = new Set<number>();
  for (const { ref, raw } of items) {
    if (raw === undefined) {
      problems.push({
        code: 'digest_missing',
        digest: ref.seq,
        message: `Digest ${ref.seq} (${ref.key}) cannot be read`,
      });
      continue;
    }
    const d = openEnvelope(raw);
    if (!d.ok) {
      problems.push({ code: 'digest_altered', digest: ref.seq, message: `Digest ${ref.seq}: ${d.reason}` });
      continue;
    }
    if (!hashes.has(ref.seq)) hashes.set(ref.seq, d.hash);
    if (d.body.seq !== ref.seq || digestKey(d.body.seq, d.body.time) !== ref.key) {
      problems.push({
        code: 'digest_altered',
        digest: ref.seq,
        message: `Digest stored as ${ref.key} names seq ${d.body.seq} at ${d.body.time}`,
      });
      continue;
    }
    if (d.body.keyId !== trustedKeyId) {
      problems.push({
        code: 'digest_foreign_key',
        digest: ref.seq,
        message: `Digest ${ref.seq} is signed by another key (${d.body.keyId.slice(0, 16)}..., trusted ${trustedKeyId.slice(0, 16)}...)`,
      });
      continue;
    }
    if (!signatureValid(publicKeyPem, d.bytes, d.signature)) {
      problems.push({
        code: 'digest_altered',
        digest: ref.seq,
        message: `Digest ${ref.seq}: the signature does not verify with the trusted key (altered, or signed by another key)`,
      });
      continue;
    }
    if (opened.has(ref.seq)) continue;
    opened.set(ref.seq, { ref, d });
  }
  for (const { ref, d } of [...opened.values()].sort((a, b) => a.ref.seq - b.ref.seq)) {
    const prevHash = hashes.get(ref.seq - 1);
    if (ref.seq === 1 && d.body.previous !== null) {
      problems.push({ code: 'digest_altered', digest: 1, message: 'Digest 1 names a previous digest' });
      continue;
    }
    if (ref.seq > 1 && (d.body.previous === null || d.body.previous.seq !== ref.seq - 1)) {
      problems.push({
        code: 'digest_altered',
        digest: ref.seq,
        message: `Digest ${ref.seq} does not name digest ${ref.seq - 1} as its previous one`,
      });
      continue;
    }
    if (prevHash !== undefined && d.body.previous && d.body.previous.hash !== prevHash) {
      disowned.add(ref.seq - 1);
      problems.push({
        code: 'digest_altered',
        digest: ref.seq - 1,
        message: `Digest ${ref.seq} names another hash for digest ${ref.seq - 1}: digest ${ref.seq - 1} was altered or replaced`,
      });
    }
    trusted.push({ ref, body: d.body, hash: d.hash });
  }
  return { trusted: trusted.filter((t) => !disowned.has(t.ref.seq)), problems };
}
