/**
 * What audit verification can find wrong, each with a stable code. A report lists every problem
 * with the chain, record seq and digest seq it concerns, so it names what broke and where.
 */
export const AUDIT_PROBLEM_CODES = [
  /** A record's hash does not match its content: edited without re-hashing. */
  'record_altered',
  /** A record does not name the hash of the record before it: something before it was changed. */
  'chain_broken',
  /** Seqs do not run 1, 2, 3...: a record was deleted or inserted. */
  'seq_gap',
  /** A digest names a seq the chain no longer reaches: its last records were deleted. */
  'chain_truncated',
  /** The record at a seq a digest names has another hash: records were changed and re-hashed. */
  'head_mismatch',
  /** A digest names a chain that is not stored at all. */
  'chain_missing',
  /** A digest seq is missing from the archive (deleted or hidden). */
  'digest_missing',
  /** A digest does not verify: altered, unreadable, or its successor names another hash for it. */
  'digest_altered',
  /** A digest is signed by a key other than the trusted one. */
  'digest_foreign_key',
  /** Two digests claim the same seq. */
  'digest_fork',
  /** An offboarding's stored counts disagree with the action outcomes its audit records. */
  'counts_mismatch',
  /** An offboarding's stored status disagrees with its audit. */
  'status_mismatch',
  /** An offboarding's audit records name another subject than the offboarding does. */
  'subject_mismatch',
  /** Audit records exist for an offboarding the store does not have. */
  'offboarding_missing',
  /** An offboarding exists but its audit chain does not. */
  'audit_missing',
  /** An evidence pack is not as exported: not canonical, or a field is not what it must be. */
  'pack_invalid',
] as const;

export type AuditProblemCode = (typeof AUDIT_PROBLEM_CODES)[number];

export interface AuditProblem {
  code: AuditProblemCode;
  message: string;
  chain?: string;
  seq?: number;
  digest?: number;
}
