/**
 * Evidence packs: one JSON file that lets anyone check an offboarding's audit offline, with no
 * credentials and no network: the offboarding as the store states it (the fields its audit can
 * confirm), every record of its chain, the unbroken run of signed digests from the first that names
 * the chain to the last, each exactly as archived, and the public key.
 *
 * The file is its own canonical form (keys sorted, two-space indentation, one final newline) and
 * every field is checked, so changing any byte of it makes verification fail: records by their
 * hash chain, digests by signature and link, the chain's heads against the digests, the
 * offboarding's status and counts against the records, the key by its id in the digests.
 */
import { canonicalJson } from './audit-chain.ts';
import type { AuditProblem } from './audit-problems.ts';
import { checkClaim, type OffboardingClaim } from './audited-state.ts';
import { checkChain, headsByChain } from './chain-anchors.ts';
import { canonicalPem, type DigestRef, keyIdOf, parseDigestKey, strictBase64 } from './digest.ts';
import { checkDigests, digestSequenceProblems } from './digest-chain.ts';
import type { AuditRecord, OffboardingStatus } from './model.ts';

export const EVIDENCE_FORMAT = 'leaver-evidence/1';

export interface EvidencePack {
  format: typeof EVIDENCE_FORMAT;
  /** The chain (an offboarding id, or a targeted revocation's id). */
  chain: string;
  /** What the store says of the offboarding (null for a chain that is not an offboarding's). */
  offboarding: OffboardingClaim | null;
  records: AuditRecord[];
  /** The archived envelopes (base64 of the stored bytes), by archive key, in seq order. */
  digests: Array<{ key: string; envelope: string }>;
  /** The signing public key, PEM. */
  publicKey: string;
}

export interface EvidenceVerdict {
  valid: boolean;
  /** Every record is named by a digest in the pack. */
  anchored: boolean;
  chain?: string;
  records: number;
  digests: number;
  keyId?: string;
  anchoredThrough: number;
  notAnchored?: { fromSeq: number; toSeq: number };
  problems: AuditProblem[];
}

const STATUSES: readonly OffboardingStatus[] = [
  'scheduled',
  'running',
  'completed',
  'completed_with_failures',
  'cancelled',
  'quarantined',
];
const SETTLED = new Set<OffboardingStatus>(['completed', 'completed_with_failures']);
const PACK_KEYS = ['chain', 'digests', 'format', 'offboarding', 'publicKey', 'records'];
const COUNT_KEYS = ['alreadyAbsent', 'failed', 'planned', 'revoked', 'skipped'] as const;

/** Whether `value` is an object with exactly these keys. */
function hasKeys(value: unknown, keys: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const own = Object.keys(value).sort();
  return own.length === keys.length && [...keys].sort().every((k, i) => own[i] === k);
}

/** The pack's bytes: canonical (keys sorted) and indented, so it reads well and has one form only. */
export function evidenceText(pack: EvidencePack): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(pack)), null, 2)}\n`;
}

/**
 * The claim as a pack carries it: counts only once the offboarding is settled (before that they
 * are still moving and nothing could confirm them).
 */
export function packClaim(claim: OffboardingClaim): OffboardingClaim {
  if (SETTLED.has(claim.status)) return claim;
  const { counts: _moving, ...rest } = claim;
  return rest as OffboardingClaim;
}

/**
 * The digests a pack needs: the run from the first trusted digest naming `chain` to the last,
 * every one in between included (their links prove none was left out).
 */
export function digestRunFor(
  chain: string,
  digests: ReadonlyArray<{ ref: DigestRef; raw: Uint8Array; chains: readonly string[] }>,
): Array<{ key: string; envelope: string }> {
  const naming = digests.filter((d) => d.chains.includes(chain)).map((d) => d.ref.seq);
  if (naming.length === 0) return [];
  const first = Math.min(...naming);
  const last = Math.max(...naming);
  return digests
    .filter((d) => d.ref.seq >= first && d.ref.seq <= last)
    .sort((a, b) => a.ref.seq - b.ref.seq)
    .map((d) => ({ key: d.ref.key, envelope: Buffer.from(d.raw).toString('base64') }));
}

/** Checks a pack's text offline; `trustedPublicKeyPem` (the auditor's own copy) is compared when given. */
export function verifyEvidence(text: string, opts: { trustedPublicKeyPem?: string } = {}): EvidenceVerdict {
  const fail = (message: string): EvidenceVerdict => ({
    valid: false,
    anchored: false,
    records: 0,
    digests: 0,
    anchoredThrough: 0,
    problems: [{ code: 'pack_invalid', message }],
  });
  let pack: EvidencePack;
  try {
    pack = JSON.parse(text) as EvidencePack;
  } catch {
    return fail('The pack is not JSON');
  }
  if (typeof pack !== 'object' || pack === null || pack.format !== EVIDENCE_FORMAT) {
    return fail(`The pack is not a ${EVIDENCE_FORMAT} file`);
  }
  if (
    typeof pack.chain !== 'string' ||
    !Array.isArray(pack.records) ||
    !Array.isArray(pack.digests) ||
    typeof pack.publicKey !== 'string'
  ) {
    return fail('The pack lacks its chain, records, digests or public key');
  }
  const problems: AuditProblem[] = [];
  const invalid = (message: string) => problems.push({ code: 'pack_invalid', chain: pack.chain, message });
  if (evidenceText(pack) !== text) invalid('The pack is not in its canonical form: it was edited');
  // Every field is one the checks below read: nothing can be added, renamed or left out unnoticed.
  if (!hasKeys(pack, PACK_KEYS)) invalid(`The pack's fields are not ${PACK_KEYS.join(', ')}`);
  if (!pack.digests.every((d) => hasKeys(d, ['envelope', 'key']))) invalid('A digest entry has other fields');
  if (canonicalPem(pack.publicKey) !== pack.publicKey) invalid('The public key is not a well-formed PEM key');
  let keyPem = pack.publicKey;
  if (opts.trustedPublicKeyPem !== undefined) {
    const trusted = keyIdOf(opts.trustedPublicKeyPem);
    if (canonicalPem(pack.publicKey) === undefined || keyIdOf(pack.publicKey) !== trusted) {
      problems.push({
        code: 'digest_foreign_key',
        message: `The pack's public key is not the trusted one (${trusted.slice(0, 16)}...)`,
      });
    }
    keyPem = opts.trustedPublicKeyPem;
  }
  if (canonicalPem(keyPem) === undefined) return { ...fail('No usable public key'), problems: [...problems] };

  // Digests: a contiguous run, each verified and linked.
  const items: Array<{ ref: DigestRef; raw: Uint8Array | undefined }> = [];
  for (const d of pack.digests) {
    const ref = typeof d?.key === 'string' ? parseDigestKey(d.key) : undefined;
    const raw = typeof d?.envelope === 'string' ? strictBase64(d.envelope) : undefined;
    if (!ref || !raw) {
      invalid(`A digest entry is malformed (${String(d?.key)})`);
      continue;
    }
    items.push({ ref, raw });
  }
  const refs = items.map((i) => i.ref);
  if (refs.length > 0) problems.push(...digestSequenceProblems(refs, { from: refs[0]!.seq }));
  const digests = checkDigests(items, keyPem);
  problems.push(...digests.problems);

  // The chain: its records, and every head the digests name for it.
  const foreign = pack.records.filter((r) => r?.streamId !== pack.chain);
  if (foreign.length > 0) invalid(`${foreign.length} record(s) belong to another chain than ${pack.chain}`);
  const heads = headsByChain(digests.trusted).get(pack.chain) ?? [];
  if (items.length > 0 && heads.length === 0) invalid(`No digest in the pack names chain ${pack.chain}`);
  const check = checkChain(pack.chain, pack.records, heads);
  problems.push(...check.problems);

  // The offboarding as stated, against its records.
  const claim = pack.offboarding;
  if (claim !== null) {
    if (typeof claim !== 'object' || claim.id !== pack.chain) {
      invalid('The offboarding is not the chain the pack is about');
    } else if (!STATUSES.includes(claim.status)) {
      invalid(`The offboarding's status "${String(claim.status)}" is not a status`);
    } else if (SETTLED.has(claim.status) !== (claim.counts !== undefined)) {
      invalid('The offboarding carries counts only once settled (completed or completed with failures)');
    } else if (
      !hasKeys(claim, claim.counts ? ['counts', 'email', 'id', 'status'] : ['email', 'id', 'status']) ||
      (claim.counts !== undefined &&
        (!hasKeys(claim.counts, COUNT_KEYS) ||
          !COUNT_KEYS.every((k) => Number.isSafeInteger(claim.counts[k]) && claim.counts[k] >= 0)))
    ) {
      invalid("The offboarding's fields are not id, email, status and (once settled) its five counts");
    } else {
      problems.push(...checkClaim(claim, pack.records));
    }
  }
  return {
    valid: problems.length === 0,
    anchored: check.notAnchored === undefined && check.records > 0,
    chain: pack.chain,
    records: pack.records.length,
    digests: items.length,
    keyId: keyIdOf(keyPem),
    anchoredThrough: check.anchoredThrough,
    ...(check.notAnchored ? { notAnchored: check.notAnchored } : {}),
    problems,
  };
}
