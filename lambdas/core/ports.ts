/**
 * What core needs from the outside (docs/contributing.md#ports). Adapters implement these for AWS and
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
  /**
   * Oldest first (`asc`) or newest first (`desc`), by the time the bounds apply to. Without email and
   * status, an order lists every status by effectiveAt; without an order that listing is unordered.
   */
  order?: 'asc' | 'desc';
}

/** Offboardings per status whose effectiveAt is within the bounds (ISO-8601, both optional). */
export type StatusCounts = Record<OffboardingStatus, number>;

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
  /** How many offboardings each status holds, by effectiveAt within `from`..`to`. */
  countByStatus(q: { from?: string; to?: string }): Promise<StatusCounts>;
  /** Scheduled offboardings whose effectiveAt <= `now`. */
  due(now: string, limit?: number): Promise<Offboarding[]>;
  /**
   * Offboardings whose status is one of `statuses`, read from the stored offboardings themselves,
   * never from a secondary index, so an offboarding whose index entries a crash lost is still found.
   * Unordered; a page may hold fewer than `limit` items (even none) while `cursor` says more follow.
   * Costs a read of the whole table over all pages: for recovery, not for routine queries.
   */
  scanByStatus(
    statuses: readonly OffboardingStatus[],
    opts?: { limit?: number; cursor?: string },
  ): Promise<Page<Offboarding>>;
  /**
   * Makes `offboarding` (as just read) findable again by `query` and `due` when its index entries are
   * missing: re-writes it unchanged, on condition that its version is still the one read, so a
   * concurrent update (which writes the entries itself) is never overwritten. Returns whether it
   * re-wrote it (false when nothing was missing or the version moved on).
   */
  repairIndexes(offboarding: Offboarding): Promise<boolean>;
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

/** The last record of a chain: its seq and hash. */
export interface ChainTail {
  seq: number;
  hash: string;
}

export interface AuditLog {
  /**
   * Appends with a conditional put; fills seq, prevHash and hash. Never updates or deletes.
   * Resolves once the record is stored.
   */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** One stream (an offboarding's records) in order. */
  stream(streamId: string, opts?: { limit?: number; cursor?: string }): Promise<Page<AuditRecord>>;
  /** Across streams by email and/or time window, for export. */
  query(q: AuditQuery): Promise<Page<AuditRecord>>;
  /** A stream's last record as stored now, or undefined when it has none. */
  tail(streamId: string): Promise<ChainTail | undefined>;
  /** Streams appended to at or after `from` (to `to`, default now), sorted: what a digest names. */
  appendedSince(from: string, to?: string): Promise<string[]>;
}

export interface JobQueue {
  enqueue(offboardingId: string, opts?: { delaySeconds?: number }): Promise<void>;
}

/** One message of the dead-letter queue, as an operator inspects it. */
export interface DeadLetter {
  messageId: string;
  /** The offboarding the message names; absent when the body names none. */
  offboardingId?: string;
  /** How many times the message was delivered (SQS ApproximateReceiveCount). */
  receiveCount?: number;
  /** When it was first sent (ISO-8601). */
  sentAt?: string;
}

/** The work queue's dead-letter queue: messages that failed every delivery (SQS DLQ in AWS). */
export interface DeadLetterQueue {
  /** Up to `limit` messages, left in the queue; `more` when others may wait. */
  peek(limit: number): Promise<{ items: DeadLetter[]; more: boolean }>;
  /**
   * Moves up to `limit` messages back to the work queue; `failed` ones stay in the DLQ.
   * `offboardingIds`: the offboardings the moved messages name. With `until` (epoch ms) it starts
   * no new batch after that time (a request's deadline): what is left waits for the next call.
   */
  redrive(
    limit: number,
    opts?: { until?: number },
  ): Promise<{ moved: number; failed: number; offboardingIds: string[] }>;
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

/**
 * A named lease shared by every process and function (DynamoDB in AWS, dynalite locally), so that
 * at most one of them does a piece of work at a time. A holder renews its lease while it works; one
 * that stops renewing (a crashed or frozen process) loses it `ttlMs` after its last renewal, as
 * measured by the process that wants it, so clocks that disagree never let two hold it at once.
 */
export interface LockStore {
  /**
   * Takes the lock for `owner` unless another owner holds a live lease on it. Returns whether
   * `owner` holds it now (true also when it already did: that renews it). Never waits.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends `owner`'s lease; false when `owner` no longer holds the lock (it lapsed and was taken). */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lock if `owner` holds it; false (and no change) for anyone else. */
  release(name: string, owner: string): Promise<boolean>;
}

/** What the holder of a lock answers for one item of a posted request (see RequestBoard). */
export interface RequestResult {
  outcome: 'revoked' | 'already_absent' | 'failed';
  /** For `failed`: a stable error code (core/errors.ts), its message (no email, no secret) and flags. */
  errorCode?: string;
  message?: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
  vendorRequestId?: string;
  attempts?: number;
}

export interface PostedRequest {
  id: string;
  items: string[];
}

/**
 * Work posted under a lock's name by processes that do not hold it, for the one that does: the
 * holder drains the open requests into its own work and answers each item; posters read the answer.
 * No transactions: a request is one item, settled once by a conditional write.
 */
export interface RequestBoard {
  /** Posts `items` under `name`; returns the request's id. */
  post(name: string, items: readonly string[]): Promise<string>;
  /** Requests under `name` not settled yet (posted within the last 20 minutes; older ones are abandoned). */
  open(name: string): Promise<PostedRequest[]>;
  /** Answers a request once: false when it was settled already. */
  settle(name: string, id: string, results: Record<string, RequestResult>): Promise<boolean>;
  /** The answers of a settled request; undefined while it is open. */
  results(name: string, id: string): Promise<Record<string, RequestResult> | undefined>;
}

/** What a single writer needs from the store: the lock and the board of its name. */
export interface WriteCoordination extends LockStore, RequestBoard {}

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
