/**
 * Recovery: finds every accepted offboarding that still has work to do without trusting a
 * secondary index, repairs the index entries a crash left out, and hands the stranded ones to a
 * worker again (the worker tolerates duplicates: a message for an offboarding that is done or
 * claimed by a live run changes nothing).
 *
 * Why not the status index alone: a process killed while writing an offboarding can leave its
 * index entries out of step with the item (dynalite writes them one by one before the item; a
 * status change deletes the old entry first), and the due and retry sweeps read only that index.
 *
 * - `recoverAll` reads every page at once: the local runtime runs it at start, so work interrupted
 *   by a crash resumes within seconds of the restart.
 * - `recoveryStep` reads a few pages per call and keeps its position in a named cursor: the due
 *   sweep runs it on every tick, so a full pass spreads over several ticks and starts again every
 *   `schedules.recoveryScanMinutes` (AWS and local alike: an index-independent safety net whose
 *   cost, a read of the whole table, is paid at that low frequency).
 */
import { allPages } from './concurrency.ts';
import type { EngineDeps } from './deps.ts';
import { isLeaverError } from './errors.ts';
import { killSwitchState } from './guards.ts';
import { enqueueQuietly } from './intake.ts';
import { isDue, leaseHeld } from './lifecycle.ts';
import type { Offboarding, OffboardingStatus } from './model.ts';

/**
 * Statuses whose offboardings may wait for work: run now (scheduled, running), after a release
 * (quarantined) or after a retry delay (completed_with_failures). Only the first two are enqueued
 * here; the others need their index entries, which the release and the retry sweep rely on.
 */
export const RECOVERABLE_STATUSES: readonly OffboardingStatus[] = [
  'scheduled',
  'running',
  'quarantined',
  'completed_with_failures',
];

/** The named cursor where `recoveryStep` keeps its position between due sweeps. */
export const RECOVERY_CURSOR = 'recovery-scan';
/** Items read per Scan page. */
const PAGE_SIZE = 500;
/** Scan pages one `recoveryStep` reads at most. */
export const RECOVERY_STEP_PAGES = 10;

export interface RecoveryResult {
  /** Offboardings found in a recoverable status. */
  found: number;
  /** Offboardings whose missing index entries were written again. */
  repaired: number;
  /** Offboardings handed to a worker again. */
  enqueued: number;
  /** The kill switch is on: repaired but nothing enqueued (the due sweep does it once it is off). */
  held?: boolean;
}

/** Whether a worker should take `off` up now: due and scheduled, or running without a live lease. */
export function needsWorker(deps: Pick<EngineDeps, 'clock' | 'config' | 'leaseHolder'>, off: Offboarding) {
  if (off.status === 'scheduled') return isDue(deps, off.effectiveAt);
  return off.status === 'running' && !leaseHeld(off, deps.clock.now(), deps.leaseHolder);
}

/** What one pass works with: whether it may enqueue, and what the status index lists. */
interface Pass {
  enqueue: boolean;
  /** Ids the status index lists under their status: only the others need a closer look. */
  indexed: ReadonlySet<string>;
  /** Ids the caller has just enqueued. */
  alreadyEnqueued: ReadonlySet<string>;
  result: RecoveryResult;
}

async function startPass(deps: EngineDeps, alreadyEnqueued: ReadonlySet<string> = new Set()): Promise<Pass> {
  const enqueue = !(await killSwitchState(deps)).enabled;
  // One listing per status instead of one index lookup per offboarding found.
  const indexed = new Set<string>();
  for (const status of RECOVERABLE_STATUSES) {
    const listed = await allPages((cursor) => deps.store.query({ status, cursor, limit: PAGE_SIZE }));
    for (const o of listed) indexed.add(o.id);
  }
  return {
    enqueue,
    indexed,
    alreadyEnqueued,
    result: { found: 0, repaired: 0, enqueued: 0, ...(enqueue ? {} : { held: true }) },
  };
}

async function recoverOffboardings(
  deps: EngineDeps,
  offs: readonly Offboarding[],
  pass: Pass,
): Promise<void> {
  const into = pass.result;
  for (const off of offs) {
    into.found++;
    // A finished run with no retry coming waits for nobody: its index entries are left as they are.
    if (off.status === 'completed_with_failures' && !off.nextRetryAt) continue;
    try {
      if (!pass.indexed.has(off.id) && (await deps.store.repairIndexes(off))) {
        into.repaired++;
        deps.log.warn('offboarding was missing from the indexes (interrupted write); written again', {
          offboardingId: off.id,
          status: off.status,
        });
      }
    } catch (e) {
      // Enqueuing does not need the index: go on, the next pass repairs it.
      deps.log.warn('could not repair the indexes of an offboarding', {
        offboardingId: off.id,
        errorCode: isLeaverError(e) ? e.code : 'internal',
      });
    }
    if (!pass.enqueue || pass.alreadyEnqueued.has(off.id) || !needsWorker(deps, off)) continue;
    if (await enqueueQuietly(deps, off.id)) into.enqueued++;
  }
}

/** One full pass over the offboardings: every page, now. */
export async function recoverAll(
  deps: EngineDeps,
  opts: { pageSize?: number } = {},
): Promise<RecoveryResult> {
  const limit = opts.pageSize ?? PAGE_SIZE;
  const pass = await startPass(deps);
  let cursor: string | undefined;
  do {
    const page = await deps.store.scanByStatus(RECOVERABLE_STATUSES, { limit, cursor });
    await recoverOffboardings(deps, page.items, pass);
    cursor = page.cursor;
  } while (cursor);
  return pass.result;
}

/** Where a pass stands: mid-pass (`cursor`) or waiting until `nextAt` to start the next one. */
interface StepState {
  cursor?: string;
  nextAt?: string;
}

function readState(value: string | undefined): StepState {
  if (!value) return {};
  try {
    const v = JSON.parse(value) as StepState;
    return {
      ...(typeof v.cursor === 'string' ? { cursor: v.cursor } : {}),
      ...(typeof v.nextAt === 'string' ? { nextAt: v.nextAt } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Up to `maxPages` Scan pages of a pass, resuming where the previous step stopped; a pass that
 * ends schedules the next one `schedules.recoveryScanMinutes` later. Returns undefined when no pass
 * is due yet. `alreadyEnqueued`: ids the caller has just enqueued (not enqueued twice).
 */
export async function recoveryStep(
  deps: EngineDeps,
  opts: { maxPages?: number; pageSize?: number; alreadyEnqueued?: ReadonlySet<string> } = {},
): Promise<(RecoveryResult & { passDone: boolean }) | undefined> {
  const maxPages = opts.maxPages ?? RECOVERY_STEP_PAGES;
  const limit = opts.pageSize ?? PAGE_SIZE;
  const now = deps.clock.now();
  const state = readState(await deps.store.getCursor(RECOVERY_CURSOR));
  if (state.cursor === undefined && state.nextAt !== undefined && Date.parse(state.nextAt) > now.getTime()) {
    return undefined;
  }
  const pass = await startPass(deps, opts.alreadyEnqueued);
  const scan = async (from: string | undefined) => {
    try {
      return await deps.store.scanByStatus(RECOVERABLE_STATUSES, { limit, cursor: from });
    } catch (e) {
      // A stored position the store no longer accepts: the pass starts again from the beginning.
      if (from === undefined || !(isLeaverError(e) && e.code === 'invalid_request')) throw e;
      return deps.store.scanByStatus(RECOVERABLE_STATUSES, { limit });
    }
  };
  let cursor = state.cursor;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await scan(cursor);
    await recoverOffboardings(deps, page.items, pass);
    cursor = page.cursor;
    if (cursor === undefined) break;
  }
  const next: StepState = cursor
    ? { cursor }
    : {
        nextAt: new Date(now.getTime() + deps.config.schedules.recoveryScanMinutes * 60_000).toISOString(),
      };
  await deps.store.setCursor(RECOVERY_CURSOR, JSON.stringify(next));
  return { ...pass.result, passDone: cursor === undefined };
}
