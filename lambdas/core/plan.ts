/**
 * Turning discovered grants into ordered actions: which are revoked and which are skipped
 * (dry run, protected account, last owner), and in which order: every invitation first (so none
 * can be accepted meanwhile), then memberships by `Grant.order` (lower first; Atlas removes the
 * organisation user last).
 */
import type { SafetyConfig } from './config.ts';
import { isProtectedEmail } from './guards.ts';
import { type Grant, grantKey, grantPhase, type SkipReason } from './model.ts';

export interface PlannedAction {
  key: string;
  grant: Grant;
  decision: 'revoke' | 'skip';
  skipReason?: SkipReason;
}

export function planGrants(
  grants: readonly Grant[],
  opts: { safety: Pick<SafetyConfig, 'protectedEmails' | 'protectedDomains'>; dryRun?: boolean },
): PlannedAction[] {
  const byKey = new Map<string, PlannedAction>();
  for (const grant of grants) {
    const key = grantKey(grant);
    if (byKey.has(key)) continue;
    let skipReason: SkipReason | undefined;
    if (isProtectedEmail(grant.email, opts.safety)) skipReason = 'protected_account';
    else if (grant.lastOwner) skipReason = 'last_owner';
    else if (opts.dryRun) skipReason = 'dry_run';
    byKey.set(
      key,
      skipReason ? { key, grant, decision: 'skip', skipReason } : { key, grant, decision: 'revoke' },
    );
  }
  return sortActions([...byKey.values()]);
}

/**
 * Invitations first, then memberships by order; within a rank by grant key, so a plan reads the
 * same however the vendors' answers happened to interleave.
 */
export function sortActions(actions: readonly PlannedAction[]): PlannedAction[] {
  return [...actions].sort((x, y) => rank(x) - rank(y) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

function rank(a: PlannedAction): number {
  return grantPhase(a.grant) === 'invitation' ? -1e9 : (a.grant.order ?? 0);
}

/**
 * The waves one tenant's actions run in: all invitations together, then each membership `order`
 * value in turn. Actions inside a wave run in parallel; a wave starts when the one before ended.
 */
export function revocationWaves(actions: readonly PlannedAction[]): PlannedAction[][] {
  const waves = new Map<number, PlannedAction[]>();
  for (const a of actions) {
    const r = rank(a);
    waves.set(r, [...(waves.get(r) ?? []), a]);
  }
  return [...waves.entries()].sort((x, y) => x[0] - y[0]).map(([, w]) => w);
}

/** The plan as callers see it (dry runs, previews). */
export interface PlanItem {
  vendor: Grant['vendor'];
  tenantId: string;
  kind: Grant['kind'];
  phase: ReturnType<typeof grantPhase>;
  email: string;
  ids: Record<string, string>;
  scopeName?: string;
  action: 'revoke' | 'skip';
  skipReason?: SkipReason;
}

export function toPlanItems(actions: readonly PlannedAction[]): PlanItem[] {
  return actions.map(({ grant, decision, skipReason }) => ({
    vendor: grant.vendor,
    tenantId: grant.tenantId,
    kind: grant.kind,
    phase: grantPhase(grant),
    email: grant.email,
    ids: grant.ids,
    ...(grant.scopeName ? { scopeName: grant.scopeName } : {}),
    action: decision,
    ...(skipReason ? { skipReason } : {}),
  }));
}
