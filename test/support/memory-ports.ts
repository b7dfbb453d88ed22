/**
 * In-memory implementations of core's ports for unit tests, with the same semantics as the DynamoDB
 * adapters: idempotent create by (origin.id, sourceEventId), transitions conditioned on the status
 * (LeaverError 'conflict' naming the status found), patch keys set to undefined are removed,
 * identity fields refused, status queries bounded by effectiveAt and email queries by receivedAt,
 * and an audit log whose streams chain with hashRecord so verifyChain works. `loseIndexEntries`
 * plays a crash that left an offboarding out of the indexes: `query` and `due` miss it until it is
 * written again (any update, or `repairIndexes`), while `get` and `scanByStatus` still see it.
 */
import { GENESIS_HASH, hashRecord } from '../../lambdas/core/audit-chain.ts';
import { type LeaverConfigInput, parseConfig } from '../../lambdas/core/config.ts';
import type { EngineDeps } from '../../lambdas/core/deps.ts';
import { LeaverError } from '../../lambdas/core/errors.ts';
import {
  type ActionResult,
  type AuditEntry,
  type AuditRecord,
  normaliseEmail,
  OFFBOARDING_STATUSES,
  type Offboarding,
  type OffboardingStatus,
} from '../../lambdas/core/model.ts';
import type {
  AuditLog,
  AuditQuery,
  Clock,
  ConnectorRegistry,
  Ids,
  JobQueue,
  Log,
  Notification,
  Notifier,
  OffboardingQuery,
  OffboardingStore,
  Page,
  PostedRequest,
  RequestResult,
  StatusCounts,
  WriteCoordination,
} from '../../lambdas/core/ports.ts';

const clone = <T>(v: T): T => structuredClone(v);
const IMMUTABLE = new Set(['id', 'status', 'version', 'origin', 'sourceEventId']);

function page<T>(items: T[], limit = 50, cursor?: string): Page<T> {
  const start = cursor ? Number(cursor) : 0;
  const slice = items.slice(start, start + limit);
  const next = start + limit < items.length ? String(start + limit) : undefined;
  return next ? { items: slice, cursor: next } : { items: slice };
}

export class MemoryStore implements OffboardingStore {
  readonly offboardings = new Map<string, Offboarding>();
  private readonly markers = new Map<string, string>();
  private readonly actions = new Map<string, Map<string, ActionResult>>();
  /** Offboardings the indexed reads (query, due) miss: see loseIndexEntries. */
  readonly unindexed = new Set<string>();
  private killSwitch: { enabled: boolean; reason?: string; by?: string; at?: string } = { enabled: false };
  /** Error thrown by the next call of the named method (then cleared). */
  failNext: Partial<Record<keyof OffboardingStore, Error>> = {};

  private check(method: keyof OffboardingStore) {
    const e = this.failNext[method];
    if (e) {
      delete this.failNext[method];
      throw e;
    }
  }

  async create(o: Offboarding) {
    this.check('create');
    const marker = `${o.origin.id}#${o.sourceEventId}`;
    const existing = this.markers.get(marker);
    if (existing) return { created: false, offboarding: clone(this.offboardings.get(existing)!) };
    this.markers.set(marker, o.id);
    this.offboardings.set(o.id, clone(o));
    return { created: true, offboarding: clone(o) };
  }

  async get(id: string) {
    this.check('get');
    const o = this.offboardings.get(id);
    return o ? clone(o) : undefined;
  }

  private apply(
    id: string,
    from: readonly OffboardingStatus[],
    to: OffboardingStatus | undefined,
    patch: object,
  ) {
    const o = this.offboardings.get(id);
    if (!o) throw new LeaverError('not_found', 'Offboarding not found');
    for (const key of Object.keys(patch)) {
      if (IMMUTABLE.has(key)) throw new LeaverError('invalid_request', `Field ${key} cannot be changed`);
    }
    if (!from.includes(o.status)) {
      throw new LeaverError('conflict', `Offboarding is ${o.status}, expected ${from.join(' or ')}`, {
        details: { id, status: o.status },
      });
    }
    const next: Record<string, unknown> = { ...o };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete next[k];
      else next[k] = clone(v);
    }
    if (to) next.status = to;
    next.version = o.version + 1;
    this.offboardings.set(id, next as unknown as Offboarding);
    // A write of the item writes its index entries again.
    this.unindexed.delete(id);
    return clone(next as unknown as Offboarding);
  }

  async transition(
    id: string,
    from: readonly OffboardingStatus[],
    to: OffboardingStatus,
    patch: Partial<Omit<Offboarding, 'id' | 'status' | 'version'>> = {},
  ) {
    this.check('transition');
    return this.apply(id, from, to, patch);
  }

  async update(
    id: string,
    status: OffboardingStatus,
    patch: Partial<Omit<Offboarding, 'id' | 'status' | 'version'>>,
  ) {
    this.check('update');
    return this.apply(id, [status], undefined, patch);
  }

  async query(q: OffboardingQuery): Promise<Page<Offboarding>> {
    this.check('query');
    let items = [...this.offboardings.values()];
    if (q.email !== undefined || q.status !== undefined)
      items = items.filter((o) => !this.unindexed.has(o.id));
    if (q.email !== undefined) {
      const e = normaliseEmail(q.email);
      items = items.filter((o) => normaliseEmail(o.subject.email) === e);
      if (q.status) items = items.filter((o) => o.status === q.status);
      if (q.from) items = items.filter((o) => o.receivedAt >= q.from!);
      if (q.to) items = items.filter((o) => o.receivedAt <= q.to!);
      items.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    } else if (q.status !== undefined) {
      items = items.filter((o) => o.status === q.status);
      if (q.from) items = items.filter((o) => o.effectiveAt >= q.from!);
      if (q.to) items = items.filter((o) => o.effectiveAt <= q.to!);
      items.sort((a, b) => a.effectiveAt.localeCompare(b.effectiveAt));
    } else if (q.order !== undefined) {
      if (q.from) items = items.filter((o) => o.effectiveAt >= q.from!);
      if (q.to) items = items.filter((o) => o.effectiveAt <= q.to!);
      items.sort((a, b) => a.effectiveAt.localeCompare(b.effectiveAt));
    }
    if (q.order === 'desc') items.reverse();
    return page(items.map(clone), q.limit ?? 50, q.cursor);
  }

  async countByStatus(q: { from?: string; to?: string }): Promise<StatusCounts> {
    this.check('countByStatus');
    const counts = Object.fromEntries(OFFBOARDING_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const o of this.offboardings.values()) {
      if ((q.from && o.effectiveAt < q.from) || (q.to && o.effectiveAt > q.to)) continue;
      counts[o.status]++;
    }
    return counts;
  }

  async due(now: string, limit = 1000) {
    this.check('due');
    return [...this.offboardings.values()]
      .filter((o) => o.status === 'scheduled' && o.effectiveAt <= now && !this.unindexed.has(o.id))
      .sort((a, b) => a.effectiveAt.localeCompare(b.effectiveAt))
      .slice(0, limit)
      .map(clone);
  }

  async scanByStatus(statuses: readonly OffboardingStatus[], opts: { limit?: number; cursor?: string } = {}) {
    this.check('scanByStatus');
    const items = [...this.offboardings.values()].filter((o) => statuses.includes(o.status));
    return page(items.map(clone), opts.limit ?? 1000, opts.cursor);
  }

  /** Number of repairIndexes() calls that re-wrote an offboarding. */
  repaired = 0;

  async repairIndexes(o: Offboarding) {
    this.check('repairIndexes');
    const stored = this.offboardings.get(o.id);
    if (!this.unindexed.has(o.id) || stored?.version !== o.version) return false;
    this.unindexed.delete(o.id);
    this.repaired++;
    return true;
  }

  /** Test helper: a crash lost the offboarding's index entries (query and due miss it). */
  loseIndexEntries(id: string) {
    this.unindexed.add(id);
  }

  async putAction(offboardingId: string, action: ActionResult) {
    this.check('putAction');
    const m = this.actions.get(offboardingId) ?? new Map<string, ActionResult>();
    m.set(action.grantKey, clone(action));
    this.actions.set(offboardingId, m);
  }

  async listActions(offboardingId: string) {
    this.check('listActions');
    return [...(this.actions.get(offboardingId)?.values() ?? [])].map(clone);
  }

  async queryByAlias(email: string) {
    this.check('queryByAlias');
    const e = normaliseEmail(email);
    return [...this.offboardings.values()]
      .filter((o) => o.subject.aliases.map(normaliseEmail).includes(e))
      .map(clone);
  }

  readonly sets = new Map<string, Set<string>>();
  readonly cursors = new Map<string, string>();

  async addToBoundedSet(key: string, members: readonly string[], max: number) {
    this.check('addToBoundedSet');
    const set = this.sets.get(key) ?? new Set<string>();
    const missing = [...new Set(members)].filter((m) => !set.has(m));
    if (set.size + missing.length > max) return { added: false, members: [...set] };
    for (const m of missing) set.add(m);
    this.sets.set(key, set);
    return { added: true, members: [...set] };
  }

  async getCursor(name: string) {
    this.check('getCursor');
    return this.cursors.get(name);
  }

  async setCursor(name: string, value: string | undefined) {
    this.check('setCursor');
    if (value === undefined) this.cursors.delete(name);
    else this.cursors.set(name, value);
  }

  /** Number of getKillSwitch() calls (the worker caches the flag for a bounded age). */
  killSwitchReads = 0;

  async getKillSwitch() {
    this.killSwitchReads++;
    return clone(this.killSwitch);
  }

  async setKillSwitch(state: { enabled: boolean; reason: string; by: string; at: string }) {
    this.killSwitch = clone(state);
  }

  /** Test helper: the stored offboarding (throws when missing). */
  must(id: string): Offboarding {
    const o = this.offboardings.get(id);
    if (!o) throw new Error(`no offboarding ${id}`);
    return clone(o);
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly streams = new Map<string, AuditRecord[]>();
  failNextAppend?: Error;
  /** Checked on every append: an error returned is thrown instead of writing. */
  failAppend?: (entry: AuditEntry) => Error | undefined;

  async append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.failNextAppend) {
      const e = this.failNextAppend;
      this.failNextAppend = undefined;
      throw e;
    }
    const injected = this.failAppend?.(entry);
    if (injected) throw injected;
    const stream = this.streams.get(entry.streamId) ?? [];
    const prev = stream[stream.length - 1];
    const withoutHash = {
      ...clone(entry),
      seq: stream.length + 1,
      prevHash: prev ? prev.hash : GENESIS_HASH,
    } as Omit<AuditRecord, 'hash'>;
    const record = { ...withoutHash, hash: hashRecord(withoutHash) } as AuditRecord;
    stream.push(record);
    this.streams.set(entry.streamId, stream);
    return clone(record);
  }

  async stream(streamId: string, opts: { limit?: number; cursor?: string } = {}) {
    return page((this.streams.get(streamId) ?? []).map(clone), opts.limit ?? 100, opts.cursor);
  }

  async query(q: AuditQuery) {
    let all = [...this.streams.values()].flat();
    if (q.email) all = all.filter((r) => r.email === normaliseEmail(q.email!));
    if (q.from) all = all.filter((r) => r.at >= q.from!);
    if (q.to) all = all.filter((r) => r.at <= q.to!);
    all.sort((a, b) => a.at.localeCompare(b.at));
    return page(all.map(clone), q.limit ?? 100, q.cursor);
  }

  async tail(streamId: string) {
    const last = this.streams.get(streamId)?.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : undefined;
  }

  async appendedSince(from: string, to?: string) {
    const out = new Set<string>();
    for (const [id, records] of this.streams) {
      if (records.some((r) => r.at >= from && (to === undefined || r.at <= to))) out.add(id);
    }
    return [...out].sort();
  }

  /** Test helper: a stream's records (all pages). */
  records(streamId: string): AuditRecord[] {
    return (this.streams.get(streamId) ?? []).map(clone);
  }

  events(streamId: string): string[] {
    return this.records(streamId).map((r) => r.event);
  }
}

export class MemoryQueue implements JobQueue {
  readonly messages: string[] = [];
  failNext?: Error;

  async enqueue(id: string) {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    this.messages.push(id);
  }

  /** Takes every queued id (what a worker would receive next). */
  drain(): string[] {
    return this.messages.splice(0, this.messages.length);
  }
}

/**
 * LockStore and RequestBoard in memory, with the DynamoDB adapter's semantics: a lease lapses
 * `ttlMs` after its last acquire or renew (timed by `now`, real milliseconds unless a test gives
 * its own), release by anyone but the owner is refused, a request is settled once.
 */
export class MemoryLocks implements WriteCoordination {
  private readonly locks = new Map<string, { owner: string; until: number }>();
  private readonly requests = new Map<
    string,
    { name: string; items: string[]; results?: Record<string, RequestResult> }
  >();
  private n = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Test helper: who holds `name` now (undefined when free or lapsed). */
  holder(name: string): string | undefined {
    const l = this.locks.get(name);
    return l && l.until > this.now() ? l.owner : undefined;
  }

  async acquire(name: string, owner: string, ttlMs: number) {
    const held = this.holder(name);
    if (held !== undefined && held !== owner) return false;
    this.locks.set(name, { owner, until: this.now() + ttlMs });
    return true;
  }

  async renew(name: string, owner: string, ttlMs: number) {
    if (this.holder(name) !== owner) return false;
    this.locks.set(name, { owner, until: this.now() + ttlMs });
    return true;
  }

  async release(name: string, owner: string) {
    if (this.holder(name) !== owner) return false;
    this.locks.delete(name);
    return true;
  }

  async post(name: string, items: readonly string[]) {
    const id = `req-${++this.n}`;
    this.requests.set(id, { name, items: [...items] });
    return id;
  }

  async open(name: string): Promise<PostedRequest[]> {
    return [...this.requests.entries()]
      .filter(([, r]) => r.name === name && !r.results)
      .map(([id, r]) => ({ id, items: [...r.items] }));
  }

  async settle(name: string, id: string, results: Record<string, RequestResult>) {
    const r = this.requests.get(id);
    if (!r || r.name !== name || r.results) return false;
    r.results = clone(results);
    return true;
  }

  async results(name: string, id: string) {
    const r = this.requests.get(id);
    return r?.name === name && r.results ? clone(r.results) : undefined;
  }
}

export class MemoryNotifier implements Notifier {
  readonly sent: Notification[] = [];
  async notify(n: Notification) {
    this.sent.push(clone(n));
  }
  kinds(): string[] {
    return this.sent.map((n) => n.kind);
  }
}

export class TestClock implements Clock {
  private t: number;
  constructor(start: string | number = '2026-11-23T12:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now() {
    return new Date(this.t);
  }
  set(to: string | number | Date) {
    this.t = new Date(to).getTime();
  }
  advance(ms: number) {
    this.t += ms;
    return this.now();
  }
}

export class SeqIds implements Ids {
  private n = 0;
  offboardingId() {
    this.n++;
    return `off_${String(this.n).padStart(6, '0')}`;
  }
}

export class MemoryLog implements Log {
  readonly lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
  debug(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, extra });
  }
}

export const TEST_TENANTS = [
  {
    id: 'itwin-main',
    vendor: 'itwin',
    baseUrl: 'http://itwin.test',
    secretName: 'leaver/itwin',
    tokenUrl: 'http://itwin.test/token',
    itwinIds: ['7c0f0a3e-0000-4000-8000-000000000001'],
  },
  {
    id: 'atlas-main',
    vendor: 'atlas',
    baseUrl: 'http://atlas.test',
    secretName: 'leaver/atlas',
    tokenUrl: 'http://atlas.test/token',
    orgId: '6a1b0000000000000000a001',
  },
  {
    id: 'cm-main',
    vendor: 'cloudmanager',
    baseUrl: 'http://cm.test',
    secretName: 'leaver/cm',
    orgId: '5f1a0000000000000000c001',
  },
] as const;

export interface TestDeps extends EngineDeps {
  store: MemoryStore;
  audit: MemoryAuditLog;
  queue: MemoryQueue;
  notifier: MemoryNotifier;
  clock: TestClock;
  log: MemoryLog;
}

/** Engine deps on in-memory ports; `config` is merged over three test tenants (one per vendor). */
export function memoryDeps(
  opts: { config?: LeaverConfigInput; connectors?: Partial<ConnectorRegistry> } = {},
): TestDeps {
  const clock = new TestClock();
  return {
    config: parseConfig({ tenants: TEST_TENANTS, ...opts.config }),
    store: new MemoryStore(),
    audit: new MemoryAuditLog(),
    queue: new MemoryQueue(),
    notifier: new MemoryNotifier(),
    connectors: opts.connectors ?? {},
    clock,
    ids: new SeqIds(),
    log: new MemoryLog(),
  };
}
