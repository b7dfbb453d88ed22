/**
 * Intake: HR events (and management commands) become offboardings. Storage first: the offboarding
 * is stored and audited before anything is enqueued, and a failed enqueue is only logged because
 * the due sweep finds every scheduled offboarding whose time has come (so a 202 is never a lie).
 *
 * - terminate: creates the offboarding, idempotent on (source, event id) (a retry with a new
 *   timestamp is the same event). The subject's aliases are the event's merged with the configured
 *   ones (`config.aliases`). Status `scheduled` with `effectiveAt` (now when absent): audited
 *   `received`; enqueued at once when effective now or within `safety.graceSeconds`, else audited
 *   `scheduled` and left to the due sweep. A duplicate changes nothing stored, except when the first
 *   delivery stopped after storing and before auditing `received` (the retry then writes it); when
 *   its offboarding is due or running it is enqueued again, in case a crash lost its message.
 * - cancel: finds the person's offboardings by every address (primary email or alias, the event's and
 *   the configured ones); cancels the pending (scheduled or quarantined, never run) HR ones, audited
 *   `cancelled`; when the latest one already ran, audits `cancel_after_run` on it and notifies.
 *   API-started offboardings are never cancelled by HR.
 * - rehire: audited `rehire` (stream `hr-event:<source>:<event id>`) and notified; never grants access.
 */
import { allPages } from './concurrency.ts';
import type { LeaverConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { isLeaverError, type LeaverError } from './errors.ts';
import { auditOffboarding, isDue } from './lifecycle.ts';
import {
  type HrEvent,
  normaliseEmail,
  type Offboarding,
  type OffboardingStatus,
  type Origin,
  type Subject,
} from './model.ts';
import { notify, subjectRef } from './notifications.ts';

export interface IntakeResult {
  offboardingId?: string;
  created: boolean;
  status: OffboardingStatus | 'cancel_after_run' | 'not_found' | 'recorded';
  kind: HrEvent['kind'];
}

export interface OpenInput {
  subject: Subject;
  origin: Origin;
  sourceEventId: string;
  effectiveAt?: string;
  reason?: string;
  dryRun?: boolean;
  /** Audit actor of the records this writes. */
  actor: string;
}

export const actorOf = (origin: Origin) =>
  origin.type === 'api' ? origin.id : `${origin.type}:${origin.id}`;

const emptyCounts = () => ({ planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 });

/**
 * The other addresses `config.aliases` gives the person `email` belongs to (as the primary email or
 * as one of its aliases); none when the configuration does not list it.
 */
export function configuredAddresses(config: Pick<LeaverConfig, 'aliases'>, email: string): string[] {
  const e = normaliseEmail(email);
  return (aliasGroups(config.aliases ?? {}).get(e) ?? []).filter((a) => a !== e);
}

/** Address -> every address of its person, built once per configuration (intake runs per webhook). */
const groupsByConfig = new WeakMap<object, Map<string, string[]>>();
function aliasGroups(aliases: Record<string, string[]>): Map<string, string[]> {
  let index = groupsByConfig.get(aliases);
  if (!index) {
    index = new Map();
    for (const [primary, more] of Object.entries(aliases)) {
      const group = [primary, ...more].map(normaliseEmail);
      for (const a of group) index.set(a, group);
    }
    groupsByConfig.set(aliases, index);
  }
  return index;
}

/** Every address of a subject: its own, the aliases it names, and the configured ones of each. */
export function addressesOf(config: Pick<LeaverConfig, 'aliases'>, s: Pick<Subject, 'email' | 'aliases'>) {
  const own = [s.email, ...(s.aliases ?? [])].map(normaliseEmail);
  return [...new Set([...own, ...own.flatMap((a) => configuredAddresses(config, a))])];
}

/** The subject lower-cased, its aliases merged with the configured ones (`config.aliases`). */
export function normaliseSubject(config: Pick<LeaverConfig, 'aliases'>, s: Subject): Subject {
  const email = normaliseEmail(s.email);
  const aliases = addressesOf(config, s).filter((a) => a !== email);
  return {
    email,
    aliases,
    ...(s.employeeId ? { employeeId: s.employeeId } : {}),
    ...(s.name ? { name: s.name } : {}),
  };
}

/** Stores (idempotently), audits and schedules or enqueues one offboarding. */
export async function openOffboarding(
  deps: EngineDeps,
  input: OpenInput,
): Promise<{ offboarding: Offboarding; created: boolean }> {
  const now = deps.clock.now().toISOString();
  const draft: Offboarding = {
    id: deps.ids.offboardingId(),
    subject: normaliseSubject(deps.config, input.subject),
    origin: input.origin,
    sourceEventId: input.sourceEventId,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.dryRun ? { dryRun: true } : {}),
    status: 'scheduled',
    effectiveAt: input.effectiveAt ?? now,
    receivedAt: now,
    counts: emptyCounts(),
    attempts: 0,
    version: 0,
  };
  const { created, offboarding } = await deps.store.create(draft);
  // A duplicate normally finds the `received` record written; when the first delivery stopped
  // between storing and auditing, the retry writes it (and schedules or enqueues, as it would have).
  if (!created && (await hasReceived(deps, offboarding.id))) {
    await resumeDuplicate(deps, offboarding);
    return { offboarding, created };
  }
  await auditOffboarding(deps, offboarding, 'received', input.actor, {
    detail: {
      origin: offboarding.origin,
      sourceEventId: offboarding.sourceEventId,
      effectiveAt: offboarding.effectiveAt,
      aliases: offboarding.subject.aliases.length,
      ...(offboarding.reason ? { reason: offboarding.reason } : {}),
      ...(offboarding.dryRun ? { dryRun: true } : {}),
      ...(created ? {} : { late: true }),
    },
  });
  if (!created && offboarding.status !== 'scheduled') {
    await resumeDuplicate(deps, offboarding);
    return { offboarding, created };
  }
  if (isDue(deps, offboarding.effectiveAt)) {
    await enqueueQuietly(deps, offboarding.id);
  } else {
    await auditOffboarding(deps, offboarding, 'scheduled', input.actor, {
      detail: { effectiveAt: offboarding.effectiveAt },
    });
  }
  return { offboarding, created };
}

/**
 * A repeated event (an HR retry, an API start with the same idempotency key) for an offboarding
 * that still has work to do hands it to a worker again: the sender repeats because it is unsure,
 * and the first delivery's message may have died with a crashed process. The worker tolerates the
 * duplicate (a live run keeps its claim; a finished one is skipped).
 */
async function resumeDuplicate(deps: EngineDeps, off: Offboarding): Promise<void> {
  if (off.status === 'running' || (off.status === 'scheduled' && isDue(deps, off.effectiveAt))) {
    await enqueueQuietly(deps, off.id);
  }
}

/** Whether the offboarding's stream has its `received` record (normally its first one). */
async function hasReceived(deps: EngineDeps, id: string): Promise<boolean> {
  const first = await deps.audit.stream(id, { limit: 1 });
  if (first.items[0]?.event === 'received') return true;
  if (first.items.length === 0) return false;
  const all = await allPages((cursor) => deps.audit.stream(id, { limit: 500, cursor }));
  return all.some((r) => r.event === 'received');
}

/** Enqueues; on failure logs and returns false (the due sweep picks the offboarding up). */
export async function enqueueQuietly(deps: Pick<EngineDeps, 'queue' | 'log'>, id: string): Promise<boolean> {
  try {
    await deps.queue.enqueue(id);
    return true;
  } catch (e) {
    deps.log.warn('enqueue failed; the due sweep will pick it up', {
      offboardingId: id,
      errorCode: isLeaverError(e) ? e.code : 'internal',
    });
    return false;
  }
}

export async function acceptHrEvents(
  deps: EngineDeps,
  events: readonly HrEvent[],
  origin: Origin,
): Promise<IntakeResult[]> {
  const out: IntakeResult[] = [];
  for (const event of events) {
    if (event.kind === 'terminate') {
      const { offboarding, created } = await openOffboarding(deps, {
        subject: event.subject,
        origin,
        sourceEventId: event.sourceEventId,
        effectiveAt: event.effectiveAt,
        actor: actorOf(origin),
      });
      out.push({ offboardingId: offboarding.id, created, status: offboarding.status, kind: 'terminate' });
    } else if (event.kind === 'cancel') {
      out.push(await cancelForSubject(deps, event, origin));
    } else {
      out.push(await recordRehire(deps, event, origin));
    }
  }
  return out;
}

/**
 * The offboardings of the person an event names, newest first: found by every address it has (the
 * event's email and aliases and the configured ones), as a primary email or as an alias.
 */
async function offboardingsOf(deps: EngineDeps, subject: Subject): Promise<Offboarding[]> {
  const byId = new Map<string, Offboarding>();
  for (const email of addressesOf(deps.config, subject)) {
    const primary = await allPages((cursor) => deps.store.query({ email, cursor, limit: 100 }));
    for (const o of [...primary, ...(await deps.store.queryByAlias(email))]) byId.set(o.id, o);
  }
  return [...byId.values()].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
}

const PENDING: readonly OffboardingStatus[] = ['scheduled', 'quarantined'];

async function cancelForSubject(deps: EngineDeps, event: HrEvent, origin: Origin): Promise<IntakeResult> {
  const actor = actorOf(origin);
  const hr = (await offboardingsOf(deps, event.subject)).filter((o) => o.origin.type === 'hr');
  let firstCancelled: string | undefined;
  for (const off of hr.filter((o) => PENDING.includes(o.status) && o.attempts === 0)) {
    try {
      await deps.store.transition(off.id, PENDING, 'cancelled', { leaseUntil: undefined, heldAt: undefined });
    } catch (e) {
      if (isLeaverError(e) && e.code === 'conflict') continue; // a worker started it meanwhile
      throw e;
    }
    await auditOffboarding(deps, off, 'cancelled', actor, {
      detail: { source: origin.id, sourceEventId: event.sourceEventId },
    });
    firstCancelled ??= off.id;
  }
  if (firstCancelled)
    return { offboardingId: firstCancelled, created: false, status: 'cancelled', kind: 'cancel' };

  const latest = hr.length ? await deps.store.get(hr[0]!.id) : undefined;
  if (!latest) return { created: false, status: 'not_found', kind: 'cancel' };
  if (latest.status === 'cancelled' || (PENDING.includes(latest.status) && latest.attempts === 0)) {
    return { offboardingId: latest.id, created: false, status: latest.status, kind: 'cancel' };
  }
  const already = await allPages((cursor) => deps.audit.stream(latest.id, { limit: 500, cursor }));
  const seen = already.some(
    (r) => r.event === 'cancel_after_run' && r.detail?.sourceEventId === event.sourceEventId,
  );
  if (!seen) {
    await auditOffboarding(deps, latest, 'cancel_after_run', actor, {
      detail: { source: origin.id, sourceEventId: event.sourceEventId, status: latest.status },
    });
    await notify(deps, {
      kind: 'cancel_after_run',
      offboardingId: latest.id,
      message: `HR cancelled the termination of ${subjectRef(latest.subject.email)} after access was already revoked (${latest.status}); restore access by hand if intended`,
    });
  }
  return { offboardingId: latest.id, created: false, status: 'cancel_after_run', kind: 'cancel' };
}

async function recordRehire(deps: EngineDeps, event: HrEvent, origin: Origin): Promise<IntakeResult> {
  const streamId = `hr-event:${origin.id}:${event.sourceEventId}`;
  const latest = (await offboardingsOf(deps, event.subject))[0];
  const existing = await deps.audit.stream(streamId, { limit: 1 });
  if (existing.items.length > 0) {
    return { offboardingId: latest?.id, created: false, status: 'recorded', kind: 'rehire' };
  }
  await deps.audit.append({
    streamId,
    event: 'rehire',
    at: deps.clock.now().toISOString(),
    email: normaliseEmail(event.subject.email),
    actor: actorOf(origin),
    detail: {
      source: origin.id,
      sourceEventId: event.sourceEventId,
      ...(latest ? { offboardingId: latest.id, offboardingStatus: latest.status } : {}),
    },
  });
  await notify(deps, {
    kind: 'rehire',
    offboardingId: latest?.id,
    message: `HR reports ${subjectRef(event.subject.email)} rehired; Leaver never grants access back, grant it by hand`,
  });
  return { offboardingId: latest?.id, created: true, status: 'recorded', kind: 'rehire' };
}

/** Audits a webhook that verified but was refused (400), on its own stream; never throws. */
export async function recordRejection(
  deps: EngineDeps,
  sourceId: string,
  error: Pick<LeaverError, 'code' | 'message'>,
): Promise<void> {
  try {
    await deps.audit.append({
      streamId: `rejected:${sourceId}:${deps.ids.offboardingId()}`,
      event: 'rejected',
      at: deps.clock.now().toISOString(),
      actor: `hr:${sourceId}`,
      detail: { source: sourceId, code: error.code, message: error.message },
    });
  } catch (e) {
    deps.log.warn('could not audit a rejected webhook', {
      source: sourceId,
      errorCode: isLeaverError(e) ? e.code : 'internal',
    });
  }
}
