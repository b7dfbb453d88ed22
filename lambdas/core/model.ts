/**
 * Leaver's domain model (docs/contributing.md#concepts). Plain data: no AWS, no fetch, no env.
 */

export const VENDORS = ['itwin', 'atlas', 'cloudmanager'] as const;
export type VendorId = (typeof VENDORS)[number];

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

export type GrantPhase = 'invitation' | 'membership';

export const GRANT_KINDS = {
  itwin_member_invitation: 'invitation',
  itwin_group_invitation: 'invitation',
  itwin_user_member: 'membership',
  itwin_owner_member: 'membership',
  itwin_group_membership: 'membership',
  itwin_group_member: 'membership',
  atlas_org_invitation: 'invitation',
  atlas_project_invitation: 'invitation',
  atlas_org_user: 'membership',
  atlas_project_user: 'membership',
  atlas_team_user: 'membership',
  cloudmanager_org_invitation: 'invitation',
  cloudmanager_project_invitation: 'invitation',
  cloudmanager_org_user: 'membership',
  cloudmanager_project_user: 'membership',
  cloudmanager_team_user: 'membership',
} as const satisfies Record<string, GrantPhase>;

export type GrantKind = keyof typeof GRANT_KINDS;

/**
 * One piece of access found at a vendor, with the vendor ids needed to remove it.
 * `ids` keys are vendor-specific (`itwinId`, `invitationId`, `orgId`, `userId`, `teamId`, `groupId`...).
 */
export interface Grant {
  vendor: VendorId;
  tenantId: string;
  kind: GrantKind;
  /** The subject address this grant belongs to (lower-cased). */
  email: string;
  ids: Record<string, string>;
  /** Human-readable scope for reports: e.g. "iTwin Bridge Retrofit", "Atlas org Acme". */
  scopeName?: string;
  /** Set by the connector when removing this grant would leave its scope without an owner. */
  lastOwner?: boolean;
  /**
   * Ordering inside a phase: lower first. Atlas removes the organisation user last because it also
   * ends project and team access.
   */
  order?: number;
}

export function grantPhase(grant: Pick<Grant, 'kind'>): GrantPhase {
  return GRANT_KINDS[grant.kind];
}

/** Stable identity of a grant: the same access found twice has the same key. */
export function grantKey(grant: Pick<Grant, 'vendor' | 'tenantId' | 'kind' | 'ids'>): string {
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
