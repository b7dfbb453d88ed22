/**
 * The chaos run's verdicts, as pure functions over what the run left behind (the sandbox request
 * log, every offboarding's audit records and final status, the grants still in sandbox state), so
 * test/chaos can prove each check fails when its property is broken.
 */
import { verifyChain } from '../../lambdas/core/audit-chain.ts';
import type { AuditRecord, Grant, Offboarding } from '../../lambdas/core/model.ts';
import type { RequestLogEntry } from '../../sandbox/index.ts';
import { callKind } from './calls.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

const ok2xx = (e: RequestLogEntry) => e.status !== null && e.status >= 200 && e.status < 300;

/** One change of an iTwin group's members as the sandbox records it (control action `group-changes`). */
export interface GroupChange {
  groupId: string;
  source: 'patch' | 'control';
  removed: string[];
  added: string[];
}

/**
 * A group membership has no removal call of its own: a PATCH of the group's member list removes
 * it, and one PATCH may remove many. How many PATCHes removed this one, by the sandbox's record.
 */
function patchRemovals(grant: Grant, changes: readonly GroupChange[]): number {
  const groupId = 'groupId' in grant.ids ? grant.ids.groupId.toLowerCase() : undefined;
  const email = grant.email.toLowerCase();
  return changes.filter((c) => c.source === 'patch' && c.groupId === groupId && c.removed.includes(email))
    .length;
}

const isGroupMembership = (g: Grant) => g.kind === 'itwin_group_membership';

/** The removal calls of the log that target `grant` (the path names every id of the grant). */
function callsFor(grant: Grant, log: readonly RequestLogEntry[]): RequestLogEntry[] {
  const ids = Object.values(grant.ids).map((v) => v.toLowerCase());
  return log.filter(
    (e) =>
      e.vendor === grant.vendor &&
      callKind(e) === 'revoke' &&
      ids.every((id) => e.path.toLowerCase().includes(id)),
  );
}

/**
 * The key of an audited grant across offboardings: its grant key, plus the email for a group
 * membership (whose key names only the group, so every leaver of one group shares it).
 */
function auditKey(r: Pick<AuditRecord, 'grantKey' | 'grant'>): string | undefined {
  if (!r.grantKey) return undefined;
  return r.grant && isGroupMembership(r.grant) ? `${r.grantKey}#${r.grant.email.toLowerCase()}` : r.grantKey;
}

/** Every grant any offboarding audited (action_started or action_finished), by auditKey. */
export function auditedGrants(streams: ReadonlyMap<string, readonly AuditRecord[]>): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const records of streams.values()) {
    for (const r of records) {
      const key = auditKey(r);
      if ((r.event === 'action_started' || r.event === 'action_finished') && r.grant && key) {
        out.set(key, r.grant);
      }
    }
  }
  return out;
}

export function checkNothingLeft(remaining: number): CheckResult {
  return {
    name: 'every grant of every leaver revoked (sandbox state)',
    ok: remaining === 0,
    detail: `${remaining} grant(s) left`,
  };
}

/**
 * Each vendor effect happened once: exactly one successful removal per audited grant, any repeat
 * answered 404 (already absent); and no successful removal the audit does not name. A group
 * membership counts as removed once when exactly one PATCH took it out (`groupChanges`).
 */
export function checkEffectsOnce(
  log: readonly RequestLogEntry[],
  grants: ReadonlyMap<string, Grant>,
  expectedGrants: number,
  groupChanges: readonly GroupChange[] = [],
): CheckResult & { repeatedDeletes: number } {
  const problems: string[] = [];
  let repeatedDeletes = 0;
  const matched = new Set<RequestLogEntry>();
  for (const [key, grant] of grants) {
    const calls = callsFor(grant, log);
    for (const c of calls) matched.add(c);
    if (isGroupMembership(grant)) {
      const n = patchRemovals(grant, groupChanges);
      if (n !== 1) problems.push(`${key}: removed by ${n} PATCHes`);
      continue;
    }
    const successes = calls.filter(ok2xx).length;
    repeatedDeletes += calls.filter((c) => c.status === 404).length;
    if (successes !== 1) problems.push(`${key}: ${successes} successful removals`);
  }
  const unaudited = log.filter((e) => callKind(e) === 'revoke' && ok2xx(e) && !matched.has(e));
  if (unaudited.length > 0) problems.push(`${unaudited.length} successful removal(s) no audit record names`);
  if (grants.size !== expectedGrants)
    problems.push(`${grants.size} grants audited, ${expectedGrants} expected`);
  return {
    name: 'each vendor effect once (repeats answered 404 = already_absent)',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.slice(0, 5).join('; ')
      : `${grants.size} grants, ${repeatedDeletes} repeated delete(s) answered 404`,
    repeatedDeletes,
  };
}

/**
 * Every action audited: every audited grant has an `action_started` before its vendor call and an
 * `action_finished` with a final outcome; a grant whose only evidence is the `action_started` of a
 * killed run is reported (its removal is in the vendor log, and a later run saw it gone).
 */
export function checkAudited(
  streams: ReadonlyMap<string, readonly AuditRecord[]>,
  log: readonly RequestLogEntry[],
  groupChanges: readonly GroupChange[] = [],
): CheckResult & { evidenceOnly: number } {
  const started = new Set<string>();
  const finished = new Set<string>();
  for (const records of streams.values()) {
    for (const r of records) {
      const key = auditKey(r);
      if (!key) continue;
      if (r.event === 'action_started') started.add(key);
      if (r.event === 'action_finished' && (r.outcome === 'revoked' || r.outcome === 'already_absent')) {
        finished.add(key);
      }
    }
  }
  const grants = auditedGrants(streams);
  const problems: string[] = [];
  let evidenceOnly = 0;
  for (const [key, grant] of grants) {
    const removed = isGroupMembership(grant)
      ? patchRemovals(grant, groupChanges) > 0
      : callsFor(grant, log).some(ok2xx);
    if (removed && !started.has(key)) problems.push(`${key}: removed without an action_started record`);
    if (!finished.has(key)) {
      if (started.has(key) && removed) evidenceOnly++;
      else problems.push(`${key}: no final action_finished`);
    }
  }
  return {
    name: 'every action audited (started before the call, finished after it)',
    ok: problems.length === 0,
    detail: problems.length
      ? problems.slice(0, 5).join('; ')
      : `${grants.size} grants audited; ${evidenceOnly} left only the action_started of a killed run`,
    evidenceOnly,
  };
}

export function checkChains(streams: ReadonlyMap<string, readonly AuditRecord[]>): CheckResult {
  const broken: string[] = [];
  let records = 0;
  for (const [id, rs] of streams) {
    records += rs.length;
    const v = verifyChain(rs);
    if (!v.ok) broken.push(`${id} at ${v.brokenAt}: ${v.reason}`);
  }
  return {
    name: 'every hash chain verifies',
    ok: broken.length === 0 && streams.size > 0,
    detail: broken.length ? broken.slice(0, 3).join('; ') : `${streams.size} chains, ${records} records`,
  };
}

export function checkFinished(offboardings: readonly (Offboarding | undefined)[]): CheckResult {
  const counts: Record<string, number> = {};
  for (const o of offboardings) counts[o?.status ?? 'missing'] = (counts[o?.status ?? 'missing'] ?? 0) + 1;
  const bad = offboardings.filter((o) => !o || o.status === 'running' || o.status === 'scheduled').length;
  return {
    name: 'no offboarding left running',
    ok: bad === 0 && offboardings.length > 0,
    detail: JSON.stringify(counts),
  };
}

/** What a fault rule of the run injects, by the rule id the request log names (`entry.fault`). */
export type FaultKind = '5xx' | '429' | 'reset' | 'hang';

/** Injected faults by kind, from the request log (latency rules decide no outcome and never count). */
export function injectedFaults(
  log: readonly RequestLogEntry[],
  rules: ReadonlyMap<string, FaultKind>,
): Record<FaultKind, number> {
  const out: Record<FaultKind, number> = { '5xx': 0, '429': 0, reset: 0, hang: 0 };
  for (const e of log) {
    const kind = e.fault ? rules.get(e.fault) : undefined;
    if (kind) out[kind]++;
  }
  return out;
}

/** The faults the run is about really happened: at least one 5xx, 429, reset and hang injected. */
export function checkFaultsInjected(counts: Record<FaultKind, number>): CheckResult {
  const missing = (Object.keys(counts) as FaultKind[]).filter((k) => counts[k] < 1);
  return {
    name: 'faults injected (5xx, 429, connection reset, hung request)',
    ok: missing.length === 0,
    detail: `${counts['5xx']} 5xx, ${counts['429']} 429, ${counts.reset} resets, ${counts.hang} hangs${
      missing.length ? `; none of: ${missing.join(', ')}` : ''
    }`,
  };
}

/**
 * Workers were killed mid-batch: at least one kill, and at least one between a removal landing at
 * the vendor and its `action_finished` (the kill that leaves a grant for the next run to repeat).
 */
export function checkKills(midBatch: number, afterDelete: number): CheckResult {
  return {
    name: 'workers killed mid-batch (one after a removal landed, before it was audited)',
    ok: midBatch >= 1 && afterDelete >= 1,
    detail: `${midBatch} kill(s) mid-batch, ${afterDelete} of them after a removal landed`,
  };
}

/**
 * A repeated delete lands on `already_absent`: some grant had a successful removal, then a later
 * removal of it answered 404, and the audit finished that grant `already_absent`. Counts them.
 */
export function checkRepeatedDeleteAbsent(
  streams: ReadonlyMap<string, readonly AuditRecord[]>,
  log: readonly RequestLogEntry[],
): CheckResult & { repeatedAbsent: number } {
  const absent = new Set<string>();
  for (const records of streams.values()) {
    for (const r of records) {
      const key = auditKey(r);
      if (r.event === 'action_finished' && r.outcome === 'already_absent' && key) absent.add(key);
    }
  }
  let repeatedAbsent = 0;
  for (const [key, grant] of auditedGrants(streams)) {
    if (!absent.has(key)) continue;
    const calls = callsFor(grant, log);
    const firstOk = calls.find(ok2xx);
    if (firstOk && calls.some((c) => c.status === 404 && c.seq > firstOk.seq)) repeatedAbsent++;
  }
  return {
    name: 'a repeated delete lands on already_absent',
    ok: repeatedAbsent >= 1,
    detail: `${repeatedAbsent} grant(s) removed, removed again (404) and audited already_absent`,
    repeatedAbsent,
  };
}

/**
 * The group many leavers share, written by several workers at once: every stayer is still in it,
 * every leaver was taken out by exactly one PATCH (never put back and removed again), no PATCH
 * added anyone, and no membership was audited `revoked` twice (a second removal).
 */
export function checkSharedGroup(opts: {
  changes: readonly GroupChange[];
  groupId: string;
  members: readonly string[];
  leavers: readonly string[];
  stayers: readonly string[];
  streams: ReadonlyMap<string, readonly AuditRecord[]>;
}): CheckResult & { patches: number } {
  const groupId = opts.groupId.toLowerCase();
  const mine = opts.changes.filter((c) => c.groupId === groupId);
  const patches = mine.filter((c) => c.source === 'patch');
  const present = new Set(opts.members.map((m) => m.toLowerCase()));
  const problems: string[] = [];
  const dropped = opts.stayers.filter((s) => !present.has(s.toLowerCase()));
  if (dropped.length > 0) problems.push(`${dropped.length} stayer(s) dropped`);
  const left = opts.leavers.filter((l) => present.has(l.toLowerCase()));
  if (left.length > 0) problems.push(`${left.length} leaver(s) still in the group`);
  for (const leaver of opts.leavers) {
    const n = patches.filter((c) => c.removed.includes(leaver.toLowerCase())).length;
    if (n !== 1) problems.push(`a leaver removed by ${n} PATCHes`);
  }
  const adding = patches.filter((c) => c.added.length > 0).length;
  if (adding > 0) problems.push(`${adding} PATCH(es) added members`);
  const revoked = new Map<string, number>();
  for (const records of opts.streams.values()) {
    for (const r of records) {
      if (r.event !== 'action_finished' || r.outcome !== 'revoked' || !r.grant) continue;
      if (!isGroupMembership(r.grant) || r.grant.ids.groupId?.toLowerCase() !== groupId) continue;
      const key = r.grant.email.toLowerCase();
      revoked.set(key, (revoked.get(key) ?? 0) + 1);
    }
  }
  const twice = [...revoked.values()].filter((n) => n > 1).length;
  if (twice > 0) problems.push(`${twice} membership(s) audited revoked twice`);
  return {
    name: 'shared group: no stayer dropped, each leaver removed by one PATCH, none twice',
    ok: problems.length === 0 && opts.leavers.length > 0,
    detail: problems.length
      ? [...new Set(problems)].slice(0, 5).join('; ')
      : `${opts.leavers.length} leavers removed by ${patches.length} PATCH(es); ${opts.stayers.length} stayers kept`,
    patches: patches.length,
  };
}

/**
 * The shared group was exercised as intended: at least two worker processes busy at once with
 * batches holding its leavers, and at least one group PATCH the vendor accepted without applying it
 * (the injected `ignore` fault), which the writer had to notice and write again.
 */
export function checkGroupExercised(opts: { workersAtOnce: number; ignoredPatches: number }): CheckResult {
  return {
    name: 'shared group processed by several workers at once, with a PATCH that did not take effect',
    ok: opts.workersAtOnce >= 2 && opts.ignoredPatches >= 1,
    detail: `${opts.workersAtOnce} workers busy with its leavers at once; ${opts.ignoredPatches} PATCH(es) accepted but not applied`,
  };
}
