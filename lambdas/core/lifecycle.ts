/** Small shared steps: audit records of an offboarding, deadlines, leases, backoff. */
import type { LeaverConfig } from './config.ts';
import type { EngineDeps, LeaseHolder } from './deps.ts';
import type { AuditEntry, AuditEvent, AuditRecord, Offboarding } from './model.ts';
import type { Ctx } from './ports.ts';

/** Time kept back from the deadline to write the records that end a run. */
export const DEADLINE_RESERVE_MS = 2_000;
/** How long past its deadline a worker's claim on an offboarding lasts. */
export const LEASE_MARGIN_MS = 60_000;
/** A claim lasts at most this long (Lambda's own limit). */
export const MAX_LEASE_MS = 15 * 60_000;

export function auditOffboarding(
  deps: Pick<EngineDeps, 'audit' | 'clock'>,
  off: Pick<Offboarding, 'id' | 'subject'>,
  event: AuditEvent,
  actor: string,
  extra: Partial<Omit<AuditEntry, 'streamId' | 'event' | 'actor'>> = {},
): Promise<AuditRecord> {
  return deps.audit.append({
    streamId: off.id,
    event,
    at: deps.clock.now().toISOString(),
    email: off.subject.email,
    actor,
    ...extra,
  });
}

export function deadlineNear(deps: Pick<EngineDeps, 'clock'>, ctx: Pick<Ctx, 'deadline'>): boolean {
  return deps.clock.now().getTime() >= ctx.deadline - DEADLINE_RESERVE_MS;
}

export function leaseUntil(deps: Pick<EngineDeps, 'clock'>, ctx: Pick<Ctx, 'deadline'>): string {
  const now = deps.clock.now().getTime();
  return new Date(Math.min(ctx.deadline, now + MAX_LEASE_MS) + LEASE_MARGIN_MS).toISOString();
}

/**
 * Whether a live worker still holds the offboarding's claim: its lease has not lapsed and, when
 * `holder` is the only process on the store, the lease is its own (anyone else's lease was taken
 * by a process that died, so waiting for it to lapse would only delay the resumption).
 */
export function leaseHeld(
  off: Pick<Offboarding, 'leaseUntil' | 'leaseOwner'>,
  now: Date,
  holder?: LeaseHolder,
): boolean {
  if (off.leaseUntil === undefined || Date.parse(off.leaseUntil) <= now.getTime()) return false;
  return !(holder?.exclusive && off.leaseOwner !== holder.id);
}

/** Retry delay after the `attempts`-th run failed: base * 2^(attempts-1), capped. */
export function retryDelayMs(attempts: number, retry: LeaverConfig['schedules']['retry']): number {
  const minutes = Math.min(retry.maxDelayMinutes, retry.baseDelayMinutes * 2 ** Math.max(0, attempts - 1));
  return Math.round(minutes * 60_000);
}

/** Is `effectiveAt` now or within the grace period? */
export function isDue(deps: Pick<EngineDeps, 'clock' | 'config'>, effectiveAt: string): boolean {
  return Date.parse(effectiveAt) <= deps.clock.now().getTime() + deps.config.safety.graceSeconds * 1000;
}
