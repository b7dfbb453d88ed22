/**
 * Time-to-revoke over time: p50 and p95 per UTC day (of the effective time), overall and per vendor,
 * of the offboardings that finished in a window, and the slowest of them. Read from the store's
 * stored figures (computeTimeToRevoke wrote them when each run finished); nothing is recomputed
 * from actions, so the figures match what each offboarding shows.
 */
import type { Offboarding, VendorId } from './model.ts';
import { VENDORS } from './model.ts';
import type { OffboardingStore } from './ports.ts';

export const FINISHED_STATUSES = ['completed', 'completed_with_failures'] as const;

export interface DayStat {
  /** UTC day of the effective time, YYYY-MM-DD. */
  day: string;
  /** `all`: the offboarding's overall time-to-revoke; a vendor: that vendor's. */
  vendor: VendorId | 'all';
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** How many of `count` took longer than the target. */
  overTarget: number;
}

export interface RevocationStats {
  /** Finished offboardings read (those with a time-to-revoke are in `days`). */
  offboardings: number;
  /** Finished offboardings that revoked something (have a time-to-revoke). */
  measured: number;
  /** Of `measured`, how many revoked everything within the target. */
  withinTarget: number;
  days: DayStat[];
  /** The slowest `slowest` measured offboardings, slowest first. */
  slowest: Offboarding[];
  /** True when the window held more finished offboardings than `maxOffboardings`: the newest were read. */
  truncated: boolean;
}

/** Nearest-rank percentile (the smallest value with at least q of the values at or below it). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function dayStat(day: string, vendor: VendorId | 'all', values: number[], targetMs: number): DayStat {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    day,
    vendor,
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    maxMs: sorted.at(-1) ?? 0,
    overTarget: sorted.filter((v) => v > targetMs).length,
  };
}

/** Pure part: the figures of a set of finished offboardings. */
export function summariseTimeToRevoke(
  offboardings: readonly Offboarding[],
  opts: { targetMs: number; slowest: number },
): Omit<RevocationStats, 'truncated'> {
  const byDay = new Map<string, Map<VendorId | 'all', number[]>>();
  const push = (day: string, key: VendorId | 'all', ms: number) => {
    const vendors = byDay.get(day) ?? new Map<VendorId | 'all', number[]>();
    byDay.set(day, vendors);
    const list = vendors.get(key) ?? [];
    list.push(ms);
    vendors.set(key, list);
  };
  const measured = offboardings.filter((o) => typeof o.timeToRevokeMs === 'number');
  for (const o of measured) {
    const day = new Date(o.effectiveAt).toISOString().slice(0, 10);
    push(day, 'all', o.timeToRevokeMs!);
    for (const v of VENDORS) {
      const ms = o.timeToRevokeByVendorMs?.[v];
      if (typeof ms === 'number') push(day, v, ms);
    }
  }
  const days: DayStat[] = [];
  for (const day of [...byDay.keys()].sort()) {
    const vendors = byDay.get(day)!;
    for (const key of ['all', ...VENDORS] as const) {
      const values = vendors.get(key);
      if (values) days.push(dayStat(day, key, values, opts.targetMs));
    }
  }
  const slowest = [...measured]
    .sort((a, b) => b.timeToRevokeMs! - a.timeToRevokeMs! || a.id.localeCompare(b.id))
    .slice(0, opts.slowest);
  return {
    offboardings: offboardings.length,
    measured: measured.length,
    withinTarget: measured.filter((o) => o.timeToRevokeMs! <= opts.targetMs).length,
    days,
    slowest,
  };
}

/**
 * Reads the finished offboardings effective within `from`..`to` (newest first, at most
 * `maxOffboardings`) and summarises them.
 */
export async function timeToRevokeStats(
  store: Pick<OffboardingStore, 'query'>,
  q: { from: string; to: string; targetMs: number; slowest: number; maxOffboardings: number },
): Promise<RevocationStats> {
  let truncated = false;
  const perStatus = await Promise.all(
    FINISHED_STATUSES.map(async (status) => {
      const found: Offboarding[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({
          status,
          from: q.from,
          to: q.to,
          order: 'desc',
          limit: Math.min(200, q.maxOffboardings - found.length),
          ...(cursor ? { cursor } : {}),
        });
        found.push(...page.items);
        cursor = page.cursor;
      } while (cursor && found.length < q.maxOffboardings);
      if (cursor) truncated = true;
      return found;
    }),
  );
  const all = perStatus
    .flat()
    .sort((a, b) => b.effectiveAt.localeCompare(a.effectiveAt) || a.id.localeCompare(b.id));
  if (all.length > q.maxOffboardings) truncated = true;
  return { ...summariseTimeToRevoke(all.slice(0, q.maxOffboardings), q), truncated };
}
