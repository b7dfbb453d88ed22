/**
 * What an offboarding's audit says about it, compared with what the store says: the action counts
 * (the latest outcome per grant, by the same rules the worker stores results) and the status.
 * Only settled offboardings are compared: one scheduled or running is still changing.
 */
import type { AuditProblem } from './audit-problems.ts';
import type { ActionCounts, AuditRecord, Offboarding, Outcome } from './model.ts';

/** The fields of an offboarding that its audit can confirm. */
export type OffboardingClaim = Pick<Offboarding, 'id' | 'status' | 'counts'> & { email: string };

export function claimOf(o: Pick<Offboarding, 'id' | 'status' | 'counts' | 'subject'>): OffboardingClaim {
  return { id: o.id, email: o.subject.email.trim().toLowerCase(), status: o.status, counts: { ...o.counts } };
}

/**
 * Counts from the action records: each grant's latest outcome, as the worker keeps it. `either`
 * counts the grants revoked and then found already absent: the worker keeps `revoked` when it knew
 * of the revocation, but a run that took over from one still finishing may store `already_absent`;
 * both mean the access is gone, so such a grant may be counted either way.
 */
export function auditedCounts(records: readonly AuditRecord[]): ActionCounts & { either: number } {
  const latest = new Map<string, Outcome>();
  const revokedThenAbsent = new Set<string>();
  for (const r of records) {
    if (r.event !== 'action_finished' || !r.grantKey || !r.outcome) continue;
    // A run cut by its deadline stores nothing: the next delivery retries the grant.
    if (r.errorCode === 'deadline_exceeded') continue;
    // Deleting again what was revoked keeps the revocation (its time counts).
    if (r.outcome === 'already_absent' && latest.get(r.grantKey) === 'revoked') {
      revokedThenAbsent.add(r.grantKey);
      continue;
    }
    revokedThenAbsent.delete(r.grantKey);
    latest.set(r.grantKey, r.outcome);
  }
  const counts = { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0, either: 0 };
  for (const [key, o] of latest) {
    counts.planned++;
    if (o === 'revoked') counts.revoked++;
    else if (o === 'already_absent') counts.alreadyAbsent++;
    else if (o === 'skipped') counts.skipped++;
    else counts.failed++;
    if (o === 'revoked' && revokedThenAbsent.has(key)) counts.either++;
  }
  return counts;
}

const COUNT_KEYS = ['planned', 'revoked', 'alreadyAbsent', 'skipped', 'failed'] as const;

/** Problems where the claim (the store's offboarding) disagrees with the records of its chain. */
export function checkClaim(claim: OffboardingClaim, records: readonly AuditRecord[]): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const chain = claim.id;
  const emails = new Set(records.map((r) => r.email).filter((e): e is string => typeof e === 'string'));
  if (records.length > 0 && (emails.size !== 1 || !emails.has(claim.email))) {
    problems.push({
      code: 'subject_mismatch',
      chain,
      message: `Offboarding ${claim.id}: its audit records name another subject`,
    });
  }
  const settled = claim.status === 'completed' || claim.status === 'completed_with_failures';
  if (settled) {
    const finished = records.filter((r) => r.event === 'finished');
    const counts = auditedCounts(records);
    if (finished.length === 0) {
      problems.push({
        code: 'status_mismatch',
        chain,
        message: `Offboarding ${claim.id} says ${claim.status}, but its audit has no finished record`,
      });
    } else {
      const lastStatus = String(finished[finished.length - 1]!.detail?.status ?? '');
      const expected = counts.failed > 0 ? 'completed_with_failures' : lastStatus;
      if (expected !== claim.status) {
        problems.push({
          code: 'status_mismatch',
          chain,
          message: `Offboarding ${claim.id} says ${claim.status}; its audit says ${expected} (${counts.failed} failed action(s))`,
        });
      }
    }
    const stored = (k: (typeof COUNT_KEYS)[number]) => claim.counts?.[k] ?? 0;
    // A grant revoked and later found absent may be stored either way (auditedCounts).
    const shift = counts.revoked - stored('revoked');
    const differ = COUNT_KEYS.filter((k) =>
      k === 'revoked' || k === 'alreadyAbsent'
        ? !(shift >= 0 && shift <= counts.either && stored('alreadyAbsent') === counts.alreadyAbsent + shift)
        : stored(k) !== counts[k],
    );
    if (differ.length > 0) {
      problems.push({
        code: 'counts_mismatch',
        chain,
        message: `Offboarding ${claim.id} counts disagree with its audit: ${differ
          .map((k) => `${k} ${stored(k)} stored, ${counts[k]} audited`)
          .join('; ')}`,
      });
    }
  } else if (claim.status === 'cancelled' && !records.some((r) => r.event === 'cancelled')) {
    problems.push({
      code: 'status_mismatch',
      chain,
      message: `Offboarding ${claim.id} says cancelled, but its audit has no cancelled record`,
    });
  } else if (claim.status === 'quarantined' && !records.some((r) => r.event === 'quarantined')) {
    problems.push({
      code: 'status_mismatch',
      chain,
      message: `Offboarding ${claim.id} says quarantined, but its audit has no quarantined record`,
    });
  }
  return problems;
}
