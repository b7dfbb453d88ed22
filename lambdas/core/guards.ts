/**
 * Safety guards: the kill switch, the blast-radius limits and protected accounts.
 *
 * - Kill switch: `config.safety.killSwitch` or the store's flag; while on, nothing is revoked.
 * - Blast radius, rate: at most `maxOffboardings` offboardings may start within one window of
 *   `windowMinutes` (fixed windows aligned to the epoch, UTC); the ones beyond are quarantined until
 *   someone releases them. Counted atomically in the store (one conditional write per start), so
 *   concurrent workers cannot together let more through.
 * - Blast radius, share: the people removed from a tenant within one window, across every batch
 *   and worker, may not exceed `maxPercentOfPeople` % of the people a connector saw in it (when two
 *   people or more are removed: one leaver is never a "blast"). Counted per tenant and window in the
 *   store, by person, with the same atomic write.
 * - Kill switch, during a run: checked before every vendor call, read at most once a second.
 * - Protected accounts: `protectedEmails` and `protectedDomains` (case-insensitive, subdomains too).
 */

import type { SafetyConfig } from './config.ts';
import type { EngineDeps } from './deps.ts';
import { normaliseEmail } from './model.ts';

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

/** How long a worker trusts a kill-switch read before reading the flag again. */
export const KILL_SWITCH_MAX_AGE_MS = 1_000;

/** One run's (or batch's) last kill-switch read, shared by its parallel actions. */
export interface KillSwitchCache {
  readAt?: number;
  state?: Promise<KillSwitchState>;
}

/**
 * The kill switch as read at most `maxAgeMs` ago (by the engine's clock): checked before every vendor
 * call, so a large run reads the flag about once a second rather than once per call. Parallel callers
 * share one read; a failed read is not cached (the next call reads again).
 */
export function killSwitchCached(
  deps: Pick<EngineDeps, 'config' | 'store' | 'clock'>,
  cache: KillSwitchCache,
  maxAgeMs = KILL_SWITCH_MAX_AGE_MS,
): Promise<KillSwitchState> {
  const now = deps.clock.now().getTime();
  const age = cache.readAt === undefined ? Number.POSITIVE_INFINITY : now - cache.readAt;
  if (cache.state && age >= 0 && age < maxAgeMs) return cache.state;
  const state = killSwitchState(deps);
  cache.readAt = now;
  cache.state = state;
  state.catch(() => {
    if (cache.state === state) {
      cache.state = undefined;
      cache.readAt = undefined;
    }
  });
  return state;
}

/** The fixed blast-radius window `now` falls in: `windowMinutes` long, aligned to the epoch (UTC). */
export function blastWindow(
  deps: Pick<EngineDeps, 'config' | 'clock'>,
  now = deps.clock.now(),
): { start: string; end: string; key: string } {
  const minutes = deps.config.safety.blastRadius.windowMinutes;
  const ms = minutes * 60_000;
  const start = Math.floor(now.getTime() / ms) * ms;
  return {
    start: new Date(start).toISOString(),
    end: new Date(start + ms).toISOString(),
    key: `${minutes}m:${new Date(start).toISOString()}`,
  };
}

/**
 * Claims one of the window's `maxOffboardings` starts for a fresh offboarding; false when the
 * window is full (it is then quarantined). One conditional write on the window's counter, so
 * concurrent workers can never together start more than the limit; a claim is idempotent per
 * offboarding (a redelivery of an offboarding that claimed its start claims nothing more).
 */
export async function claimStart(
  deps: Pick<EngineDeps, 'config' | 'store' | 'clock'>,
  offboardingId: string,
): Promise<boolean> {
  const w = blastWindow(deps);
  const { added } = await deps.store.addToBoundedSet(
    `blast:starts:${w.key}`,
    [offboardingId],
    deps.config.safety.blastRadius.maxOffboardings,
    { expiresAt: w.end },
  );
  return added;
}

/** The most people of `peopleSeen` that may be removed from a tenant in one window (at least one). */
export function maxPeopleRemoved(peopleSeen: number, maxPercent: number): number {
  let n = Math.max(1, Math.floor((peopleSeen * maxPercent) / 100));
  while (n > 1 && shareExceeded(n, peopleSeen, maxPercent)) n--;
  while (!shareExceeded(n + 1, peopleSeen, maxPercent) && n < peopleSeen) n++;
  return n;
}

/** True when removing `removedPeople` of `peopleSeen` would exceed the share limit. */
export function shareExceeded(removedPeople: number, peopleSeen: number, maxPercent: number): boolean {
  if (removedPeople < 2 || peopleSeen <= 0) return false;
  return (removedPeople / peopleSeen) * 100 > maxPercent;
}
