/**
 * Safety guards: the kill switch, the blast-radius limits and protected accounts.
 *
 * - Kill switch: `config.safety.killSwitch` or the store's flag; while on, nothing is revoked.
 * - Blast radius, rate: at most `maxOffboardings` offboardings may start within `windowMinutes`;
 *   the ones beyond are quarantined until someone releases them.
 * - Blast radius, share: one batch may not remove more than `maxPercentOfPeople` % of the people a
 *   connector saw in a tenant (when it removes two people or more: one leaver is never a "blast").
 * - Protected accounts: `protectedEmails` and `protectedDomains` (case-insensitive, subdomains too).
 */

import { allPages } from './concurrency.ts';
import type { SafetyConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { normaliseEmail, type Offboarding, type OffboardingStatus } from './model.ts';

export function isProtectedEmail(
  email: string,
  safety: Pick<SafetyConfig, 'protectedEmails' | 'protectedDomains'>,
) {
  const e = normaliseEmail(email);
  if (safety.protectedEmails.some((p) => normaliseEmail(p) === e)) return true;
  const domain = e.slice(e.lastIndexOf('@') + 1);
  return safety.protectedDomains.some((d) => {
    const pd = d.trim().toLowerCase().replace(/^@/, '');
    return domain === pd || domain.endsWith(`.${pd}`);
  });
}

export interface KillSwitchState {
  enabled: boolean;
  reason?: string;
  by?: string;
  at?: string;
  /** Where it is set: the configuration file or the store's flag. */
  source?: 'config' | 'flag';
}

export async function killSwitchState(deps: Pick<EngineDeps, 'config' | 'store'>): Promise<KillSwitchState> {
  if (deps.config.safety.killSwitch) return { enabled: true, reason: 'configuration', source: 'config' };
  const flag = await deps.store.getKillSwitch();
  return flag.enabled ? { ...flag, enabled: true, source: 'flag' } : { enabled: false };
}

const STARTED_STATUSES: readonly OffboardingStatus[] = ['running', 'completed', 'completed_with_failures'];
const DAY_MS = 86_400_000;

/**
 * How many offboardings started within the blast-radius window. Running ones are all read (an
 * in-flight set); finished ones are read from one day before the window (the store bounds status
 * queries by time) and filtered on `startedAt`.
 */
export async function startedInWindow(deps: Pick<EngineDeps, 'config' | 'store' | 'clock'>): Promise<number> {
  const now = deps.clock.now().getTime();
  const windowStart = now - deps.config.safety.blastRadius.windowMinutes * 60_000;
  const since = (o: Offboarding) => o.startedAt !== undefined && Date.parse(o.startedAt) >= windowStart;
  let count = 0;
  for (const status of STARTED_STATUSES) {
    const from = status === 'running' ? undefined : new Date(windowStart - DAY_MS).toISOString();
    const items = await allPages((cursor) => deps.store.query({ status, from, cursor, limit: 500 }));
    count += items.filter(since).length;
  }
  return count;
}

/** How many more offboardings may start now (0 means the next one is quarantined). */
export async function startsAllowed(deps: Pick<EngineDeps, 'config' | 'store' | 'clock'>): Promise<number> {
  return Math.max(0, deps.config.safety.blastRadius.maxOffboardings - (await startedInWindow(deps)));
}

/** True when removing `removedPeople` of `peopleSeen` would exceed the share limit. */
export function shareExceeded(removedPeople: number, peopleSeen: number, maxPercent: number): boolean {
  if (removedPeople < 2 || peopleSeen <= 0) return false;
  return (removedPeople / peopleSeen) * 100 > maxPercent;
}
