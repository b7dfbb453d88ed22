/**
 * One writer per iTwin group at a time, across every process. A group PATCH replaces the whole
 * member list, so two writers that each read the list and write it back without their own leaver
 * undo each other's removals. Here:
 *
 * - In a process, removals from the same group are queued; after a short linger the queue is
 *   written as one PATCH (group-patch.ts), and what arrives meanwhile goes into the next one.
 * - Across processes, the writer first takes the group's lease (LockStore). A process that cannot
 *   posts its addresses on the group's RequestBoard and polls for the answers; the holder drains
 *   the open requests into each PATCH it writes and settles them with its per-address results, so
 *   every removal known when a PATCH is computed goes into it. When the holder lets go, a poster
 *   takes the lease itself and drains what is still open (its own request included).
 * - The holder renews its lease before every round and every third of the lease meanwhile; when
 *   a renewal fails it stops before its next PATCH (lock_lost). A crashed holder's lease lapses.
 * - Each caller waits at most until its own ctx.deadline (deadline_exceeded: not revoked, retried
 *   by the next delivery); its address may still be removed by the round under way.
 *
 * Without a LockStore (tests, one process) the in-process queue alone keeps one writer per group.
 */
import { randomUUID } from 'node:crypto';
import type { ITwinTenant } from '../../core/config.ts';
import { ERROR_TABLE, type ErrorCode, LeaverError, toLeaverError } from '../../core/errors.ts';
import { type GrantOf, normaliseEmail } from '../../core/model.ts';
import type { Ctx, PostedRequest, RequestResult, RevokeResult, WriteCoordination } from '../../core/ports.ts';
import type { VendorHttp } from '../http/client.ts';
import type { Timing } from '../http/types.ts';
import { type GroupRef, type RemovalResult, removeFromGroup } from './group-patch.ts';

export interface GroupWriterOptions {
  /** The shared lock and request board; without it, one writer per group within this process only. */
  coordination?: WriteCoordination;
  timing: Timing;
  /** How long the first removal waits for others to join its PATCH. Default 25 ms. */
  lingerMs?: number;
  /** The group lease; renewed every third of it while held. Default 15 s. */
  leaseMs?: number;
  /** How often a process waiting on another's lease polls (with jitter). Default 100 ms. */
  pollMs?: number;
  /** PATCHes at most for one round's removals before `vendor_write_unverified`. Default 3. */
  writeAttempts?: number;
}

interface Waiter {
  email: string;
  ctx: Ctx;
  resolve(r: RevokeResult): void;
  reject(e: unknown): void;
  settled: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** The lock and board name of one group of one tenant. */
export function groupLockName(tenantId: string, ref: GroupRef): string {
  return `itwin-group#${tenantId}#${ref.itwinId.toLowerCase()}#${ref.groupId.toLowerCase()}`;
}

export class GroupWriters {
  private readonly queues = new Map<string, GroupQueue>();
  /** This process's identity as a lease owner. */
  private readonly owner = randomUUID();

  constructor(private readonly opts: GroupWriterOptions) {}

  remove(
    http: VendorHttp,
    tenant: ITwinTenant,
    grant: GrantOf<'itwin_group_membership'>,
    ctx: Ctx,
  ): Promise<RevokeResult> {
    const ref = { itwinId: grant.ids.itwinId, groupId: grant.ids.groupId };
    const name = groupLockName(tenant.id, ref);
    let q = this.queues.get(name);
    if (!q) {
      q = new GroupQueue(name, ref, this.owner, this.opts, () => this.queues.delete(name));
      this.queues.set(name, q);
    }
    return q.add(http, tenant, normaliseEmail(grant.email), ctx);
  }
}

class GroupQueue {
  private waiters: Waiter[] = [];
  /** Address -> id of the request this process posted for it while another process held the lease. */
  private readonly posted = new Map<string, string>();
  private running = false;
  private http!: VendorHttp;
  private tenant!: ITwinTenant;
  private readonly linger: number;
  private readonly lease: number;
  private readonly poll: number;
  private readonly attempts: number;

  constructor(
    private readonly name: string,
    private readonly ref: GroupRef,
    private readonly owner: string,
    private readonly opts: GroupWriterOptions,
    private readonly onIdle: () => void,
  ) {
    this.linger = opts.lingerMs ?? 25;
    this.lease = opts.leaseMs ?? 15_000;
    this.poll = opts.pollMs ?? 100;
    this.attempts = opts.writeAttempts ?? 3;
  }

  add(http: VendorHttp, tenant: ITwinTenant, email: string, ctx: Ctx): Promise<RevokeResult> {
    this.http = http;
    this.tenant = tenant;
    return new Promise<RevokeResult>((resolve, reject) => {
      const w: Waiter = { email, ctx, resolve, reject, settled: false };
      const left = ctx.deadline - this.opts.timing.now();
      if (left <= 0) {
        reject(this.deadline());
        return;
      }
      w.timer = setTimeout(() => this.finish(w, this.deadline()), left);
      this.waiters.push(w);
      if (!this.running) this.start();
    });
  }

  private start(): void {
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
      this.waiters = this.live();
      if (this.waiters.length > 0) this.start();
      else this.onIdle();
    });
  }

  private live(): Waiter[] {
    return this.waiters.filter((w) => !w.settled);
  }

  private finish(w: Waiter, r: RemovalResult): void {
    if (w.settled) return;
    w.settled = true;
    clearTimeout(w.timer);
    if (this.posted.has(w.email) && !this.live().some((o) => o.email === w.email))
      this.posted.delete(w.email);
    if (r instanceof Error) w.reject(r);
    else w.resolve(r);
  }

  private finishEmail(email: string, r: RemovalResult): void {
    for (const w of this.live()) if (w.email === email) this.finish(w, r);
  }

  private failLive(e: unknown): void {
    const err = toLeaverError(e);
    for (const w of this.live()) this.finish(w, err);
  }

  private async loop(): Promise<void> {
    try {
      if (this.linger > 0) await this.opts.timing.sleep(this.linger);
      const coord = this.opts.coordination;
      while (this.live().length > 0) {
        if (!coord) {
          await this.round(this.live(), [], () => true);
          continue;
        }
        let held: boolean;
        try {
          held = await coord.acquire(this.name, this.owner, this.lease);
        } catch (e) {
          // Never write without the lease.
          this.failLive(e);
          break;
        }
        if (held) await this.hold(coord);
        else await this.awaitHolder(coord);
      }
    } catch (e) {
      this.failLive(e);
    }
  }

  /** Holding the lease: rounds until nothing local is left, then let go. */
  private async hold(coord: WriteCoordination): Promise<void> {
    let lost = false;
    const beat = setInterval(() => {
      coord.renew(this.name, this.owner, this.lease).then(
        (ok) => {
          if (!ok) lost = true;
        },
        () => {
          // A storage hiccup: the renewal before the next round decides.
        },
      );
    }, this.lease / 3);
    beat.unref?.();
    try {
      while (!lost && this.live().length > 0) {
        if (!(await coord.renew(this.name, this.owner, this.lease))) {
          lost = true;
          break;
        }
        const batch = this.live();
        if (batch.length === 0) break; // every caller ran out of time during the renewal
        const remote = await coord.open(this.name);
        await this.round(batch, remote, () => !lost, coord);
      }
    } finally {
      clearInterval(beat);
      await coord.release(this.name, this.owner).catch(() => {
        // It lapses on its own.
      });
    }
  }

  /** Another process holds the lease: post what it does not know yet, then poll for answers. */
  private async awaitHolder(coord: WriteCoordination): Promise<void> {
    const unposted = [...new Set(this.live().map((w) => w.email))].filter((e) => !this.posted.has(e));
    if (unposted.length > 0) {
      try {
        const id = await coord.post(this.name, unposted);
        for (const e of unposted) this.posted.set(e, id);
      } catch (e) {
        for (const w of this.live()) if (unposted.includes(w.email)) this.finish(w, toLeaverError(e));
      }
    }
    const t = this.opts.timing;
    await t.sleep(this.poll * (0.5 + t.random()));
    const ids = new Set(this.live().map((w) => this.posted.get(w.email)));
    for (const id of ids) {
      if (id === undefined) continue;
      let answers: Record<string, RequestResult> | undefined;
      try {
        answers = await coord.results(this.name, id);
      } catch {
        continue; // read again at the next poll; the deadline bounds the wait
      }
      if (!answers) continue;
      for (const [email, p] of this.posted) {
        if (p !== id) continue;
        const r = answers[email];
        this.posted.delete(email);
        if (r) this.finishEmail(email, fromResult(r));
      }
    }
  }

  /** One PATCH round for `batch` plus the addresses of `remote` requests; settles both. */
  private async round(
    batch: Waiter[],
    remote: PostedRequest[],
    holding: () => boolean,
    coord?: WriteCoordination,
  ): Promise<void> {
    const emails = [
      ...new Set([...batch.map((w) => w.email), ...remote.flatMap((r) => r.items.map(normaliseEmail))]),
    ];
    // The caller with the most time left leads: its deadline bounds the vendor calls.
    const lead = batch.reduce((a, b) => (b.ctx.deadline > a.ctx.deadline ? b : a)).ctx;
    const { results, stats } = await removeFromGroup(this.http, this.tenant, this.ref, emails, lead, {
      attempts: this.attempts,
      holding,
      timing: this.opts.timing,
    });
    for (const w of batch) this.finish(w, results.get(w.email) ?? this.notDone());
    const counts = { revoked: 0, alreadyAbsent: 0, failed: 0 };
    for (const r of results.values()) {
      if (r instanceof Error) counts.failed++;
      else if (r.outcome === 'revoked') counts.revoked++;
      else counts.alreadyAbsent++;
    }
    lead.log.info('iTwin group write', {
      vendor: 'itwin',
      tenantId: this.tenant.id,
      itwinId: this.ref.itwinId,
      groupId: this.ref.groupId,
      removals: emails.length,
      postedByOthers: remote.length,
      ...counts,
      patches: stats.patches,
      reads: stats.reads,
      readToWriteMs: stats.readToWriteMs,
    });
    if (!coord) return;
    for (const req of remote) {
      const answers: Record<string, RequestResult> = {};
      let final = true;
      for (const item of req.items) {
        const r = results.get(normaliseEmail(item));
        // A cut round (deadline, lost lease) answers nothing: the request stays for the next holder.
        if (!r || (r instanceof LeaverError && (r.code === 'deadline_exceeded' || r.code === 'lock_lost'))) {
          final = false;
          break;
        }
        answers[item] = toResult(r);
      }
      if (!final) continue;
      await coord.settle(this.name, req.id, answers).catch((e: unknown) => {
        lead.log.warn('could not answer a posted group removal; its poster will time out and retry', {
          vendor: 'itwin',
          tenantId: this.tenant.id,
          groupId: this.ref.groupId,
          errorCode: toLeaverError(e).code,
        });
      });
    }
  }

  private deadline(): LeaverError {
    return new LeaverError('deadline_exceeded', 'deadline reached while waiting to write an iTwin group', {
      details: { vendor: 'itwin', tenantId: this.tenant?.id, route: '/itwins/{id}/groups/{id}' },
    });
  }

  private notDone(): LeaverError {
    return new LeaverError('internal', 'iTwin group write gave no answer for a member');
  }
}

function toResult(r: RemovalResult): RequestResult {
  if (r instanceof LeaverError) {
    return {
      outcome: 'failed',
      errorCode: r.code,
      message: r.message,
      retryable: r.retryable,
      ...(r.details ? { details: r.details } : {}),
      ...(r.vendorRequestId ? { vendorRequestId: r.vendorRequestId } : {}),
    };
  }
  return {
    outcome: r.outcome,
    attempts: r.attempts,
    ...(r.vendorRequestId ? { vendorRequestId: r.vendorRequestId } : {}),
  };
}

function fromResult(r: RequestResult): RemovalResult {
  if (r.outcome === 'failed') {
    const code: ErrorCode =
      r.errorCode && r.errorCode in ERROR_TABLE ? (r.errorCode as ErrorCode) : 'internal';
    return new LeaverError(code, r.message ?? 'iTwin group removal failed', {
      retryable: r.retryable,
      details: r.details,
      vendorRequestId: r.vendorRequestId,
    });
  }
  return {
    outcome: r.outcome,
    attempts: r.attempts ?? 1,
    ...(r.vendorRequestId ? { vendorRequestId: r.vendorRequestId } : {}),
  };
}
