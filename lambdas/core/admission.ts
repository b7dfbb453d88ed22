/**
 * The worker's first step for each delivered id: load it, decide whether it may run now, apply the
 * kill switch and the blast-radius rate limit (each fresh start claims a slot of the window's atomic
 * counter; none left: quarantined), and claim it (scheduled -> running, conditional on
 * the status, so a concurrent worker loses cleanly; a `running` one is taken over only once its
 * previous worker's lease has lapsed, or at once when this process is the only one on the store and
 * the lease is not its own: see `leaseHeld`). While the kill switch is on, offboardings are held in
 * the store (core/hold.ts) and their messages deleted.
 */
import { ACTORS, type EngineDeps } from './deps.ts';
import { isLeaverError } from './errors.ts';
import { claimStart, killSwitchState } from './guards.ts';
import { holdForKillSwitch } from './hold.ts';
import { auditOffboarding, deadlineNear, isDue, leaseHeld, leaseUntil } from './lifecycle.ts';
import { type Offboarding, type OffboardingStatus, TERMINAL_STATUSES } from './model.ts';
import { notify, subjectRef } from './notifications.ts';
import type { Ctx } from './ports.ts';

export type Verdict = 'done' | 'retry';

export interface Admission {
  claimed: Offboarding[];
  verdicts: Map<string, Verdict>;
  /** Ids taken over from an earlier, unfinished run of the same attempt. */
  resumed: Set<string>;
}

export async function admit(deps: EngineDeps, ids: readonly string[], ctx: Ctx): Promise<Admission> {
  const verdicts = new Map<string, Verdict>();
  const now = deps.clock.now();
  const candidates: Offboarding[] = [];
  for (const id of new Set(ids)) {
    let off: Offboarding | undefined;
    try {
      off = await deps.store.get(id);
    } catch (e) {
      ctx.log.warn('could not load offboarding', { offboardingId: id, errorCode: codeOf(e) });
      verdicts.set(id, 'retry');
      continue;
    }
    if (!off) {
      ctx.log.warn('offboarding not found; message dropped', { offboardingId: id });
      verdicts.set(id, 'done');
    } else if (TERMINAL_STATUSES.includes(off.status) || off.status === 'quarantined') {
      verdicts.set(id, 'done');
    } else if (off.status === 'scheduled' && !isDue(deps, off.effectiveAt)) {
      // Early delivery: the due sweep enqueues it when its time comes.
      verdicts.set(id, 'done');
    } else if (off.status === 'running' && leaseHeld(off, now, deps.leaseHolder)) {
      verdicts.set(id, 'retry');
    } else {
      candidates.push(off);
    }
  }
  if (candidates.length === 0 || deadlineNear(deps, ctx)) {
    for (const off of candidates) verdicts.set(off.id, 'retry');
    return { claimed: [], verdicts, resumed: new Set() };
  }

  let runnable = candidates;
  if (candidates.some((o) => !o.dryRun)) {
    const ks = await killSwitchState(deps);
    if (ks.enabled) {
      // Held in the store, its message deleted: turning the switch off re-enqueues it.
      for (const off of candidates.filter((o) => !o.dryRun)) {
        verdicts.set(off.id, (await holdForKillSwitch(deps, off, ks, ACTORS.worker)) ? 'done' : 'retry');
      }
      runnable = candidates.filter((o) => o.dryRun);
    }
  }

  // Only first runs count against the rate: a retry or a released one is not a new burst.
  const fresh = runnable.filter(
    (o) => o.status === 'scheduled' && o.attempts === 0 && !o.releasedAt && !o.dryRun,
  );
  if (fresh.length > 0) {
    const order = [...fresh].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    const over = new Set<string>();
    for (const off of order) {
      try {
        if (!(await claimStart(deps, off.id))) over.add(off.id);
      } catch (e) {
        ctx.log.warn('could not count the start against the blast radius', {
          offboardingId: off.id,
          errorCode: codeOf(e),
        });
        verdicts.set(off.id, 'retry');
        over.add(off.id);
      }
    }
    for (const off of order.filter((o) => over.has(o.id) && !verdicts.has(o.id))) {
      await quarantine(deps, off, ['scheduled'], {
        reason: 'rate',
        maxOffboardings: deps.config.safety.blastRadius.maxOffboardings,
        windowMinutes: deps.config.safety.blastRadius.windowMinutes,
      });
      verdicts.set(off.id, 'done');
    }
    runnable = runnable.filter((o) => !over.has(o.id));
  }

  const claimed: Offboarding[] = [];
  const resumedIds = new Set<string>();
  for (const off of runnable) {
    try {
      const resumed = off.status === 'running';
      // The holder is recorded so that a restarted local runtime knows the lease died with it.
      const lease = { leaseUntil: leaseUntil(deps, ctx), leaseOwner: deps.leaseHolder?.id };
      const patch = resumed
        ? { ...lease, heldAt: undefined }
        : {
            ...lease,
            heldAt: undefined,
            startedAt: off.startedAt ?? deps.clock.now().toISOString(),
            attempts: off.attempts + 1,
          };
      const running = await deps.store.transition(off.id, [off.status], 'running', patch);
      await auditOffboarding(deps, running, 'started', ACTORS.worker, {
        attempt: running.attempts,
        detail: { resumed, ...(running.dryRun ? { dryRun: true } : {}) },
      });
      claimed.push(running);
      if (resumed) resumedIds.add(running.id);
    } catch (e) {
      if (isLeaverError(e) && e.code === 'conflict') {
        verdicts.set(off.id, 'done');
      } else {
        ctx.log.warn('could not claim offboarding', { offboardingId: off.id, errorCode: codeOf(e) });
        verdicts.set(off.id, 'retry');
      }
    }
  }
  return { claimed, verdicts, resumed: resumedIds };
}

/** Moves an offboarding to quarantine (audited, notified); a lost race changes nothing. */
export async function quarantine(
  deps: EngineDeps,
  off: Offboarding,
  from: readonly OffboardingStatus[],
  detail: Record<string, unknown>,
): Promise<boolean> {
  try {
    await deps.store.transition(off.id, from, 'quarantined', { leaseUntil: undefined });
  } catch (e) {
    if (isLeaverError(e) && e.code === 'conflict') return false;
    throw e;
  }
  await auditOffboarding(deps, off, 'quarantined', ACTORS.worker, { detail });
  await notify(deps, {
    kind: 'quarantine',
    offboardingId: off.id,
    message: `Quarantined by the blast-radius limit (${String(detail.reason)}): ${subjectRef(off.subject.email)}; release it to run`,
  });
  return true;
}

const codeOf = (e: unknown) => (isLeaverError(e) ? e.code : 'internal');
