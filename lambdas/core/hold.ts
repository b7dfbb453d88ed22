/**
 * Holding offboardings while the kill switch is on, and resuming them when it is turned off.
 *
 * A held offboarding keeps its status (`scheduled`, or `running` when the switch stopped a run under
 * way) and carries `heldAt`: the store, not the queue, remembers it. Its queue message is deleted
 * (verdict `done`), so nothing is redelivered five times into the dead-letter queue while the switch
 * stays on, and the queue and DLQ can be emptied. Turning the switch off re-enqueues every held
 * offboarding; the due sweep also finds any it missed (a held one is due, or `running` with no
 * lease). The worker clears `heldAt` when it claims the offboarding again.
 */
import { allPages } from './concurrency.ts';
import type { EngineDeps } from './deps.ts';
import { isLeaverError } from './errors.ts';
import type { KillSwitchState } from './guards.ts';
import { enqueueQuietly } from './intake.ts';
import { auditOffboarding } from './lifecycle.ts';
import type { Offboarding, OffboardingStatus } from './model.ts';

/** The statuses a held offboarding can have. */
export const HOLDABLE: readonly OffboardingStatus[] = ['scheduled', 'running'];

/**
 * Marks the offboarding held (any lease lapses at once, so a sweep after the switch is off finds
 * it) and audits `kill_switch` with `held: true` once per activation of the switch. Returns false
 * when the mark could not be stored: the caller keeps the message so nothing is lost. A lost race
 * (the offboarding moved on meanwhile) leaves nothing to hold and returns true.
 */
export async function holdForKillSwitch(
  deps: EngineDeps,
  off: Offboarding,
  ks: KillSwitchState,
  actor: string,
): Promise<boolean> {
  const switchAt = ks.at ?? 'configuration';
  try {
    await deps.store.update(off.id, off.status, {
      heldAt: deps.clock.now().toISOString(),
      leaseUntil: undefined,
    });
    if (!(await auditedThisActivation(deps, off.id, switchAt))) {
      await auditOffboarding(deps, off, 'kill_switch', actor, {
        detail: { held: true, switchAt, source: ks.source ?? 'flag' },
      });
    }
    return true;
  } catch (e) {
    if (isLeaverError(e) && e.code === 'conflict') return true;
    deps.log.warn('could not hold offboarding for the kill switch; its message is kept', {
      offboardingId: off.id,
      errorCode: isLeaverError(e) ? e.code : 'internal',
    });
    return false;
  }
}

async function auditedThisActivation(deps: EngineDeps, id: string, switchAt: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await deps.audit.stream(id, { limit: 500, cursor });
    if (
      page.items.some(
        (r) => r.event === 'kill_switch' && r.detail?.held === true && r.detail?.switchAt === switchAt,
      )
    )
      return true;
    cursor = page.cursor;
  } while (cursor);
  return false;
}

/** Every held offboarding, found by status (never many: only what arrived while the switch was on). */
export async function heldOffboardings(deps: Pick<EngineDeps, 'store'>): Promise<Offboarding[]> {
  const out: Offboarding[] = [];
  for (const status of HOLDABLE) {
    const items = await allPages((cursor) => deps.store.query({ status, cursor, limit: 500 }));
    out.push(...items.filter((o) => o.heldAt !== undefined));
  }
  return out;
}

/**
 * Puts every held offboarding back on the queue, each audited `kill_switch` with `resumed: true`.
 * One the queue refuses stays held and is counted: the due sweep enqueues it later.
 */
export async function resumeHeld(
  deps: EngineDeps,
  actor: string,
): Promise<{ resumed: number; notEnqueued: number }> {
  let resumed = 0;
  let notEnqueued = 0;
  for (const off of await heldOffboardings(deps)) {
    if (!(await enqueueQuietly(deps, off.id))) {
      notEnqueued++;
      continue;
    }
    await auditOffboarding(deps, off, 'kill_switch', actor, {
      detail: { resumed: true, heldAt: off.heldAt },
    });
    resumed++;
  }
  return { resumed, notEnqueued };
}
