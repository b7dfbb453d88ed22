/**
 * Leaver's domain model (docs/contributing.md#concepts). Plain data: no AWS, no fetch, no env.
 */

import {
  GRANT_KIND_MANIFEST,
  type GrantIdsOf,
  type GrantKind,
  type GrantPhase,
  type VendorId,
  type VendorOfKind,
} from './vendor-manifest.ts';

export type { GrantIdsOf, GrantKind, GrantPhase, VendorId } from './vendor-manifest.ts';
// The vendors and grant kinds are described once, in the vendor manifest.
export { GRANT_KIND_NAMES, GRANT_PHASES, VENDORS } from './vendor-manifest.ts';

/** The person leaving. `email` is the join key at every vendor, compared case-insensitively. */
export interface Subject {
  email: string;
  aliases: string[];
  employeeId?: string;
  name?: string;
}

/** Every address the subject may be known by at a vendor, lower-cased and de-duplicated. */
export function subjectEmails(subject: Subject): string[] {
  return [...new Set([subject.email, ...subject.aliases].map(normaliseEmail))];
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export type OffboardingStatus =
  | 'scheduled'
  | 'running'
  | 'completed'
  | 'completed_with_failures'
  | 'cancelled'
  | 'quarantined';

export const OFFBOARDING_STATUSES = [
  'scheduled',
  'running',
  'completed',
  'completed_with_failures',
  'cancelled',
  'quarantined',
] as const satisfies readonly OffboardingStatus[];

export const TERMINAL_STATUSES: readonly OffboardingStatus[] = [
  'completed',
  'completed_with_failures',
  'cancelled',
];

/** Who asked: an HR source, an API principal, or a schedule. */
export interface Origin {
  type: 'hr' | 'api' | 'schedule';
  /** HR source id (`standard`, `okta`, ...), API principal (ARN, JWT sub, `local`), or schedule name. */
  id: string;
}

export interface ActionCounts {
  planned: number;
  revoked: number;
  alreadyAbsent: number;
  skipped: number;
  failed: number;
}

/** Longest reason an offboarding, a cancellation or a kill-switch flip may carry. */
export const REASON_MAX_LENGTH = 500;

export interface Offboarding {
  id: string;
  subject: Subject;
  origin: Origin;
  /** (origin.id, sourceEventId) is unique: the idempotency key of intake. */
  sourceEventId: string;
  reason?: string;
  dryRun?: boolean;
  status: OffboardingStatus;
  /** When access must end (ISO-8601). The due sweep starts scheduled offboardings at this time. */
  effectiveAt: string;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Last time a revocation succeeded (revoked) for this offboarding. */
  lastRevokedAt?: string;
  /** Milliseconds from max(effectiveAt, receivedAt) to the last revocation; overall and per vendor. */
  timeToRevokeMs?: number;
  timeToRevokeByVendorMs?: Partial<Record<VendorId, number>>;
  counts: ActionCounts;
  /** How many times the worker has run this offboarding (first run = 1, retries add). */
  attempts: number;
  /** Earliest time the retry sweep may take it up again. */
  nextRetryAt?: string;
  /**
   * While a worker runs it: the time its claim lapses (its deadline plus a margin). Another delivery
   * of a `running` offboarding waits until then; a worker killed mid-run is taken over after it.
   */
  leaseUntil?: string;
  /**
   * Which runtime process holds the lease (its instance id, fresh at every start). A runtime that is
   * the only one on its store treats a lease recorded by any other holder as lapsed: that holder is a
   * predecessor that died.
   */
  leaseOwner?: string;
  /** Set when someone released it from quarantine: the blast-radius guard lets it through. */
  releasedAt?: string;
  /**
   * Set when its first pass (the known grants) is done and its verification was left to a later
   * delivery (ISO-8601: the end of that pass; the verification lists after it).
   */
  verifyFrom?: string;
  /** Grants the first pass knew (from the inventory, or a listing where the inventory has none yet). */
  knownByInventory?: number;
  /** Grants the verification found that the first pass did not know, revoked in later passes. */
  missedByInventory?: number;
  /**
   * Set while the kill switch holds it (when it was held): its message was deleted and it waits in
   * the store. Turning the switch off re-enqueues it; the worker clears this when it claims it.
   */
  heldAt?: string;
  /**
   * The tenants its last run could not read (so what they hold is unknown): why it ended
   * `completed_with_failures` even without a failed action. Cleared by a run that reads them all.
   */
  failedTenants?: TenantFailure[];
  /** Optimistic-lock version: bumped by every store update. */
  version: number;
}

/** A tenant whose discovery failed, and the error code why. */
export interface TenantFailure {
  tenantId: string;
  vendor: VendorId;
  errorCode: string;
}

/** What every grant carries, whatever its kind. */
export interface GrantFields {
  tenantId: string;
  /** The subject address this grant belongs to (lower-cased). */
  email: string;
  /** Human-readable scope for reports: e.g. "iTwin Bridge Retrofit", "Atlas org Acme". */
  scopeName?: string;
  /** Set by the connector when removing this grant would leave its scope without an owner. */
  lastOwner?: boolean;
  /**
   * Set on grants from an inventory listing (every person's grants) that make their holder an owner
   * of their scope: who is the last owner is decided once the leavers are known (core/listings.ts).
   */
  owner?: boolean;
  /**
   * Ordering inside a phase: lower first. Atlas removes the organisation user last because it also
   * ends project and team access.
   */
  order?: number;
}

/**
 * One grant of kind `K`: its vendor and its ids follow from the kind (the vendor manifest), so
 * `GrantOf<'atlas_team_user'>['ids']` is `{ orgId: string; teamId: string; userId: string }`.
 */
export type GrantOf<K extends GrantKind> = GrantFields & {
  vendor: VendorOfKind<K>;
  kind: K;
  ids: GrantIdsOf<K>;
};

/**
 * One piece of access found at a vendor, with the vendor ids needed to remove it. A union over the
 * kinds: a `switch (grant.kind)` narrows `ids` to that kind's keys. Stored as plain JSON.
 */
export type Grant = { [K in GrantKind]: GrantOf<K> }[GrantKind];

/** A grant of one of a vendor's kinds. */
export type GrantOfVendor<V extends VendorId> = Extract<Grant, { vendor: V }>;

/**
 * A grant read back from storage or a request (kind and ids as plain strings), after its kind and
 * ids were checked: the type the rest of the code works with.
 */
export function asGrant(
  grant: GrantFields & { vendor: VendorId; kind: GrantKind; ids: Readonly<Record<string, string>> },
): Grant {
  return grant as Grant;
}

/** A grant's ids as a plain record, for code that reads them by name whatever the kind. */
export function idsOf(grant: Grant): Readonly<Record<string, string | undefined>> {
  return grant.ids;
}

/** A grant of kind `kind`, its vendor taken from the manifest: connectors build grants with it. */
export function grantOf<K extends GrantKind>(kind: K, fields: GrantFields & { ids: GrantIdsOf<K> }): Grant {
  return { vendor: GRANT_KIND_MANIFEST[kind].vendor, kind, ...fields } as GrantOf<K> as Grant;
}

export function grantPhase(grant: Pick<Grant, 'kind'>): GrantPhase {
  return GRANT_KIND_MANIFEST[grant.kind].phase;
}

/** Stable identity of a grant: the same access found twice has the same key. */
export function grantKey(grant: {
  vendor: VendorId;
  tenantId: string;
  kind: GrantKind;
  ids: Readonly<Record<string, string>>;
}): string {
  const ids = Object.keys(grant.ids)
    .sort()
    .map((k) => `${k}=${grant.ids[k]}`)
    .join(',');
  return `${grant.vendor}:${grant.tenantId}:${grant.kind}:${ids}`;
}

export type Outcome = 'revoked' | 'already_absent' | 'skipped' | 'failed';

export type SkipReason = 'dry_run' | 'protected_account' | 'last_owner' | 'kill_switch';

/** Revoking one grant, as recorded for an offboarding. */
export interface ActionResult {
  grantKey: string;
  grant: Grant;
  outcome: Outcome;
  skipReason?: SkipReason;
  errorCode?: string;
  vendorRequestId?: string;
  attempts: number;
  durationMs: number;
  at: string;
  /** The pass that produced it: 0 = first pass, 1.. = verification rounds, or reconciliation. */
  pass: number;
  /** True when reconciliation found the grant after the offboarding had finished (re-invited). */
  reinvited?: boolean;
  /** True when the offboarding's first pass knew the grant (inventory-first runs). */
  known?: boolean;
}

export const AUDIT_EVENTS = [
  'received',
  'scheduled',
  'started',
  'quarantined',
  'released',
  'cancelled',
  'cancel_after_run',
  'rehire',
  'rejected',
  'discovered',
  'action_started',
  'action_finished',
  'reinvited',
  'retry_scheduled',
  'retry_exhausted',
  'kill_switch',
  'finished',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** One immutable audit record. `hash` chains it to the previous record of the same stream. */
export interface AuditRecord {
  /** The offboarding id, or a global stream name such as `global` for kill-switch flips. */
  streamId: string;
  seq: number;
  event: AuditEvent;
  at: string;
  /** The subject's primary email (audit records are the evidence and keep it). */
  email?: string;
  /** Who caused it: HR source, API principal, schedule. */
  actor: string;
  vendor?: VendorId;
  tenantId?: string;
  grantKey?: string;
  grant?: Grant;
  outcome?: Outcome;
  skipReason?: SkipReason;
  errorCode?: string;
  vendorRequestId?: string;
  durationMs?: number;
  attempt?: number;
  detail?: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** What callers give the AuditLog; it adds seq, prevHash and hash. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/** Normalised HR event (docs/hr-sources.md#normalised-event). */
export interface HrEvent {
  kind: 'terminate' | 'cancel' | 'rehire';
  source: string;
  sourceEventId: string;
  subject: Subject;
  effectiveAt?: string;
  occurredAt: string;
}
