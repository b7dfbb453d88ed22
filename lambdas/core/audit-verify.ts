/**
 * Verifying the audit trail against its signed digests: for one offboarding, a time range, or
 * everything. It reads the digest archive (every seq present once, each signed by the trusted key
 * and linked to the one before), every chain in scope (its own links, and each head a trusted
 * digest names), and each offboarding's stored counts and status against its audit. The report names
 * every problem with its chain, record and digest; records after their chain's last named head are
 * reported as not yet anchored.
 */

import type { AuditProblem } from './audit-problems.ts';
import { checkClaim, claimOf } from './audited-state.ts';
import { type ChainCheck, checkChain, headsByChain } from './chain-anchors.ts';
import { allPages, mapLimit } from './concurrency.ts';
import { type DigestRef, keyIdOf, timeOfId } from './digest.ts';
import { checkDigests, digestSequenceProblems, type TrustedDigest } from './digest-chain.ts';
import { listDigestsFrom } from './digest-listing.ts';
import type { VerifyDeps } from './digest-ports.ts';
import { LeaverError } from './errors.ts';
import type { AuditRecord, Offboarding } from './model.ts';

export type VerifyScope =
  | { kind: 'offboarding'; id: string }
  | { kind: 'range'; from: string; to: string }
  | { kind: 'all' };

export interface ChainSummary {
  chain: string;
  records: number;
  anchoredThrough: number;
  notAnchored?: { fromSeq: number; toSeq: number };
  valid: boolean;
}

export interface VerifyReport {
  scope: VerifyScope;
  verifiedAt: string;
  /** sha256 of the trusted public key. */
  keyId: string;
  /** No problem found. */
  valid: boolean;
  /** Every record in scope is named by a trusted digest. */
  anchored: boolean;
  /** Digests listed (from just before the scope's start to the latest) and checked. */
  digests: { listed: number; checked: number; latest?: { seq: number; time: string } };
  chains: ChainSummary[];
  problems: AuditProblem[];
}

/** How far before an offboarding id's own time its digests are looked for (clocks differ). */
const ID_TIME_MARGIN_MS = 10 * 60_000;
/** The oldest records `--all` looks for when no digest or offboarding tells where to start. */
const ALL_LOOKBACK_MS = 400 * 86_400_000;

/** Every record of one chain, in order. */
export function readChain(audit: VerifyDeps['audit'], chain: string): Promise<AuditRecord[]> {
  return allPages((cursor) => audit.stream(chain, { limit: 1000, cursor }));
}

/** The digests a scope needs, checked: sequence problems over what was listed, content for the selection. */
export async function loadDigests(
  deps: Pick<VerifyDeps, 'archive' | 'state' | 'publicKeyPem'>,
  from: string | undefined,
  select: (refs: DigestRef[]) => DigestRef[],
): Promise<{ refs: DigestRef[]; selected: DigestRef[]; trusted: TrustedDigest[]; problems: AuditProblem[] }> {
  const listing = await listDigestsFrom(deps.archive, deps.state, from);
  const refs = listing.refs;
  const problems = digestSequenceProblems(refs, { from: listing.fromSeq, headSeq: listing.headSeq });
  const selected = select(refs);
  const raws = await mapLimit(selected, 16, (ref) => deps.archive.get(ref.key));
  const check = checkDigests(
    selected.map((ref, i) => ({ ref, raw: raws[i] })),
    deps.publicKeyPem,
  );
  return { refs, selected, trusted: check.trusted, problems: [...problems, ...check.problems] };
}

/** Refs from the last one before `from` (its successor's link checks it) through the last at or before `to`, plus one after. */
export function refsBetween(refs: readonly DigestRef[], from?: string, to?: string): DigestRef[] {
  const sorted = [...refs].sort((a, b) => a.seq - b.seq || a.key.localeCompare(b.key));
  let first = from === undefined ? 0 : sorted.findIndex((r) => r.time >= from);
  if (first < 0) first = sorted.length;
  let last = to === undefined ? sorted.length - 1 : sorted.findLastIndex((r) => r.time <= to);
  last = Math.min(sorted.length - 1, last + 1);
  return sorted.slice(Math.max(0, first - 1), last + 1);
}

export async function verifyAudit(deps: VerifyDeps, scope: VerifyScope): Promise<VerifyReport> {
  const verifiedAt = deps.clock.now().toISOString();
  let from: string | undefined;
  let to: string | undefined;
  if (scope.kind === 'offboarding') {
    const t = timeOfId(scope.id);
    from = t ? new Date(t.getTime() - ID_TIME_MARGIN_MS).toISOString() : undefined;
  } else if (scope.kind === 'range') {
    from = scope.from;
    to = scope.to;
  }
  const digests = await loadDigests(deps, from, (refs) => refsBetween(refs, from, to));
  const heads = headsByChain(digests.trusted);

  // Which chains, and which offboardings, are in scope.
  const chains = new Set<string>();
  const offboardings = new Map<string, Offboarding>();
  if (scope.kind === 'offboarding') {
    chains.add(scope.id);
    const off = await deps.store.get(scope.id);
    if (off) offboardings.set(off.id, off);
  } else {
    for (const d of digests.trusted) {
      if (scope.kind === 'range' && (d.body.time < scope.from || d.body.time > scope.to)) continue;
      for (const c of d.body.chains) chains.add(c.chain);
    }
    const firstDigest = digests.trusted[0]?.body.time;
    const since =
      scope.kind === 'range'
        ? scope.from
        : (firstDigest ?? new Date(Date.parse(verifiedAt) - ALL_LOOKBACK_MS).toISOString());
    for (const c of await deps.audit.appendedSince(since, scope.kind === 'range' ? scope.to : undefined)) {
      chains.add(c);
    }
    const listed = await allPages((cursor) =>
      deps.store.query({
        ...(scope.kind === 'range' ? { from: scope.from, to: scope.to } : {}),
        limit: 500,
        cursor,
      }),
    );
    for (const o of listed) {
      offboardings.set(o.id, o);
      chains.add(o.id);
    }
  }

  const checks = await mapLimit([...chains].sort(), 8, async (chain) => {
    const records = await readChain(deps.audit, chain);
    let off = offboardings.get(chain);
    if (!off && scope.kind !== 'offboarding' && records.length > 0 && isOffboardingId(chain)) {
      off = await deps.store.get(chain);
    }
    return { check: checkChain(chain, records, heads.get(chain) ?? []), records, off };
  });

  const problems: AuditProblem[] = [...digests.problems];
  const summaries: ChainSummary[] = [];
  for (const { check, records, off } of checks) {
    const found: AuditProblem[] = [...check.problems];
    if (off) {
      if (records.length === 0 && check.problems.length === 0) {
        found.push({
          code: 'audit_missing',
          chain: check.chain,
          message: `Offboarding ${off.id} has no audit records and no digest names its chain`,
        });
      } else if (records.length > 0) {
        found.push(...checkClaim(claimOf(off), records));
      }
    } else if (records.length > 0 && isOffboardingId(check.chain)) {
      found.push({
        code: 'offboarding_missing',
        chain: check.chain,
        message: `Offboarding ${check.chain} has ${records.length} audit records but is not in the store`,
      });
    }
    if (scope.kind === 'offboarding' && records.length === 0 && found.length === 0 && !off) {
      throw new LeaverError('not_found', `No offboarding, audit records or digests for ${scope.id}`);
    }
    problems.push(...found);
    summaries.push(summary(check, found.length === 0));
  }
  const latest = digests.refs.length ? digests.refs.reduce((a, b) => (b.seq > a.seq ? b : a)) : undefined;
  return {
    scope,
    verifiedAt,
    keyId: keyIdOf(deps.publicKeyPem),
    valid: problems.length === 0,
    anchored: summaries.every((c) => !c.notAnchored),
    digests: {
      listed: digests.refs.length,
      checked: digests.selected.length,
      ...(latest ? { latest: { seq: latest.seq, time: latest.time } } : {}),
    },
    chains: summaries,
    problems,
  };
}

function summary(check: ChainCheck, valid: boolean): ChainSummary {
  return {
    chain: check.chain,
    records: check.records,
    anchoredThrough: check.anchoredThrough,
    ...(check.notAnchored ? { notAnchored: check.notAnchored } : {}),
    valid,
  };
}

export const isOffboardingId = (id: string) => /^off_[0-9A-HJKMNP-TV-Z]{26}$/.test(id);
