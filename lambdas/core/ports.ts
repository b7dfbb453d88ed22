/**
 * What core needs from the outside (DESIGN.md section 4). Adapters implement these for AWS and
 * for the local runtime; core never imports an SDK.
 */

import type { TenantConfig } from './config.ts';
import type {
  AuditEntry,
  AuditRecord,
  Grant,
  Offboarding,
  OffboardingStatus,
  Subject,
  VendorId,
} from './model.ts';

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  cursor?: string;
}

export interface OffboardingQuery {
  email?: string;
  status?: OffboardingStatus;
  /** ISO-8601 bounds: on receivedAt for email queries (and unfiltered listings), on effectiveAt for status queries. */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface OffboardingStore {
  /**
   * Creates the offboarding unless one with the same (origin.id, sourceEventId) exists; returns the
   * stored one and whether this call created it. Idempotent under concurrent and repeated calls.
   */
  create(offboarding: Offboarding): Promise<{ created: boolean; offboarding: Offboarding }>;
  get(id: string): Promise<Offboarding | undefined>;
  /**
   * Moves the offboarding to `to` only if its status is one of `from`; applies `patch` in the same
   * conditional write. Throws LeaverError('conflict') when the condition fails.
   */
  transition(
    id: string,
    from: readonly OffboardingStatus[],
    to: OffboardingStatus,
    patch?: Partial<Omit<Offboarding, 'id' | 'status' | 'version'>>,
  ): Promise<Offboarding>;
  /** Updates fields without a status change (counts, timings), conditioned on the status being `status`. */
  update(
    id: string,
    status: OffboardingStatus,
    patch: Partial<Omit<Offboarding, 'id' | 'status' | 'version'>>,
  ): Promise<Offboarding>;
  query(q: OffboardingQuery): Promise<Page<Offboarding>>;
  /** Scheduled offboardings whose effectiveAt <= `now`. */
  due(now: string, limit?: number): Promise<Offboarding[]>;
  /** Per-action results, keyed by grant key; the worker's memory across redeliveries. */
  putAction(offboardingId: string, action: import('./model.ts').ActionResult): Promise<void>;
  listActions(offboardingId: string): Promise<import('./model.ts').ActionResult[]>;
  /**
   * Offboardings whose subject lists `email` among its aliases (`query({ email })` finds the primary
   * email), so an HR event naming any address of a person finds their offboardings.
   */
  queryByAlias(email: string): Promise<Offboarding[]>;
  /**
   * Adds `members` to the set named `key` only if the set then holds at most `max` members (a member
   * it already holds counts once). Atomic across processes: the check and the add are one conditional
   * write, so concurrent callers can never together take the set past `max`. Returns whether the
   * members are in the set now (true also when they all were already) and the members it holds.
   * The blast-radius guard keeps one set per limit and time window. `expiresAt` (ISO-8601) is kept
   * on the item for housekeeping.
   */
  addToBoundedSet(
    key: string,
    members: readonly string[],
    max: number,
    opts?: { expiresAt?: string },
  ): Promise<{ added: boolean; members: string[] }>;
  /** A small named position kept beside the offboardings (the reconciliation's rotation cursor). */
  getCursor(name: string): Promise<string | undefined>;
  /** Sets (or, with undefined, clears) a named position. */
  setCursor(name: string, value: string | undefined): Promise<void>;
  /** Kill switch flag kept beside the offboardings (DynamoDB in AWS, dynalite locally). */
  getKillSwitch(): Promise<{ enabled: boolean; reason?: string; by?: string; at?: string }>;
  setKillSwitch(state: { enabled: boolean; reason: string; by: string; at: string }): Promise<void>;
}

export interface AuditQuery {
  email?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditLog {
  /** Appends with a conditional put; fills seq, prevHash and hash. Never updates or deletes. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** One stream (an offboarding's records) in order. */
  stream(streamId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<AuditRecord>>;
  /** Across streams by email and/or time window, for export. */
  query(q: AuditQuery): Promise<Page<AuditRecord>>;
}

export interface JobQueue {
  enqueue(offboardingId: string, opts?: { delaySeconds?: number }): Promise<void>;
}

export interface SecretStore {
  /** The secret's JSON value; cached with a bounded age. */
  get<T = Record<string, unknown>>(name: string): Promise<T>;
  /** Drops the cached value so the next `get` reads it again (after a vendor 401: rotation). */
  invalidate(name: string): void;
}

export interface Notification {
  kind:
    | 'failure'
    | 'quarantine'
    | 'reinvited'
    | 'last_owner'
    | 'cancel_after_run'
    | 'rehire'
    | 'retry_exhausted'
    | 'protected_account';
  offboardingId?: string;
  vendor?: VendorId;
  tenantId?: string;
  /** Plain text; never a secret; the email appears only hashed. */
  message: string;
}

export interface Notifier {
  notify(n: Notification): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A new, sortable offboarding id. */
  offboardingId(): string;
}

/** Minimal structured logger core can use (Powertools logger satisfies it). */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Per-call context: the deadline every retry must respect, and where to report. */
export interface Ctx {
  /** Epoch milliseconds after which no new vendor attempt may start (the Lambda's remaining time). */
  deadline: number;
  signal?: AbortSignal;
  log: Log;
  /** Told about every vendor HTTP call (metrics: 429s, latency). */
  onVendorCall?: (info: VendorCallInfo) => void;
  /**
   * Told by a connector's discover() how many distinct people (members and invitees) it saw in a
   * tenant while listing it, when it lists everyone anyway. The blast-radius guard uses it to refuse
   * removing more than a set share of a tenant's people at once; connectors that search by email
   * instead of listing may leave it uncalled (the share guard then does not apply to that tenant).
   */
  onPeopleSeen?: (info: { vendor: VendorId; tenantId: string; people: number }) => void;
  /**
   * At most this share (0 < share <= 1) of each tenant's rate budget may go to these calls: the
   * inventory sync's, so that it never crowds out revocations. Unset: the whole budget.
   */
  rateShare?: number;
}

export interface VendorCallInfo {
  vendor: VendorId;
  tenantId: string;
  method: string;
  /** Path template with ids replaced, e.g. /orgs/{id}/invites/{id}. */
  route: string;
  status: number | 'network' | 'timeout';
  durationMs: number;
  attempt: number;
}

export interface RevokeResult {
  outcome: 'revoked' | 'already_absent';
  vendorRequestId?: string;
  attempts: number;
}

export interface Connector {
  readonly vendor: VendorId;
  /**
   * Every grant of any of `subjects` in `tenant`. Given several subjects it lists the tenant once
   * for all of them (a batch of leavers costs one listing, not one per leaver).
   */
  discover(subjects: readonly Subject[], tenant: TenantConfig, ctx: Ctx): Promise<Grant[]>;
  /** Removes one grant; a vendor 404 is `already_absent`. Throws LeaverError on failure. */
  revoke(grant: Grant, tenant: TenantConfig, ctx: Ctx): Promise<RevokeResult>;
  /**
   * The scopes a tenant is listed in, one by one, for the inventory: an iTwin tenant's iTwins, or
   * the one organisation (with its projects and teams) of a MongoDB tenant. Sorted.
   */
  scopes?(tenant: TenantConfig, ctx: Ctx): Promise<string[]>;
  /**
   * Every grant of every person in one scope of `tenant` (the same listings as `discover`), with
   * `owner` on owners' grants. Throws on any listing it cannot read: an unreadable listing never
   * yields "no grants".
   */
  inventory?(tenant: TenantConfig, scope: string, ctx: Ctx): Promise<Grant[]>;
}

export type ConnectorRegistry = Record<VendorId, Connector>;
