/**
 * Taking over a run that stopped part way (its worker died or its deadline cut it): what its audit
 * says it left behind. The audit is written before the store (an action is audited `action_finished`
 * before its result is stored), so a run that died between the two leaves results only the audit
 * knows: they are stored again here, or the offboarding's counts would miss revocations that
 * happened (and disagree with its audit). Grants audited `action_started` with no outcome are
 * returned to be tried again.
 */
import { allPages } from './concurrency.ts';
import type { EngineDeps } from './deps.ts';
import type { ActionResult, AuditRecord, Grant } from './model.ts';

export async function resumeFromAudit(
  deps: Pick<EngineDeps, 'audit' | 'store'>,
  id: string,
  stored: Map<string, ActionResult>,
): Promise<{ dangling: Grant[]; restored: number }> {
  const records = await allPages((cursor) => deps.audit.stream(id, { limit: 500, cursor }));
  const open = new Map<string, Grant>();
  const finished = new Map<string, ActionResult>();
  const reinvited = new Set<string>();
  for (const r of records) {
    if (!r.grantKey) continue;
    if (r.event === 'reinvited') reinvited.add(r.grantKey);
    else if (r.event === 'action_started' && r.grant) open.set(r.grantKey, r.grant);
    else if (r.event === 'action_finished' && r.errorCode !== 'deadline_exceeded') {
      open.delete(r.grantKey);
      const result = resultOf(r, reinvited.has(r.grantKey));
      // Deleting again what was revoked keeps the revocation, as the worker stores it.
      if (
        result &&
        !(result.outcome === 'already_absent' && finished.get(r.grantKey)?.outcome === 'revoked')
      ) {
        finished.set(r.grantKey, result);
      }
    }
  }
  let restored = 0;
  for (const [key, result] of finished) {
    if (stored.has(key)) continue;
    await deps.store.putAction(id, result);
    stored.set(key, result);
    restored++;
  }
  const dangling = [...open.entries()].filter(([key]) => !stored.has(key)).map(([, g]) => g);
  return { dangling, restored };
}

/** The stored result an `action_finished` record stands for. */
function resultOf(r: AuditRecord, reinvited: boolean): ActionResult | undefined {
  if (!r.grant || !r.grantKey || !r.outcome) return undefined;
  const detail = (r.detail ?? {}) as { vendorAttempts?: unknown; pass?: unknown; known?: unknown };
  return {
    grantKey: r.grantKey,
    grant: r.grant,
    outcome: r.outcome,
    ...(r.skipReason ? { skipReason: r.skipReason } : {}),
    ...(r.errorCode ? { errorCode: r.errorCode } : {}),
    ...(r.vendorRequestId ? { vendorRequestId: r.vendorRequestId } : {}),
    attempts: typeof detail.vendorAttempts === 'number' ? detail.vendorAttempts : 0,
    durationMs: r.durationMs ?? 0,
    at: r.at,
    pass: typeof detail.pass === 'number' ? detail.pass : 0,
    ...(reinvited ? { reinvited: true } : {}),
    ...(detail.known === true ? { known: true } : {}),
  };
}
