/**
 * The /v1/stats routes: counts of offboardings by status and time-to-revoke over time. Both read the
 * store only (no vendor call), so they are cheap enough to poll; the console and `leaver stats` use
 * them.
 */
import { LeaverError } from '../core/errors.ts';
import { timeToRevokeStats } from '../core/revocation-stats.ts';
import { json } from './http-response.ts';
import { route } from './router.ts';
import {
  OffboardingCountsSchema,
  StatsWindowQuery,
  TimeToRevokeQuery,
  TimeToRevokeStatsSchema,
} from './schemas.ts';
import { summaryView } from './views.ts';

const JSON_TYPE = 'application/json';
const DAY_MS = 86_400_000;
/** Default window of the time-to-revoke figures when `from` is not given. */
export const DEFAULT_STATS_DAYS = 30;
/** Longest window the time-to-revoke route reads (bounds the work of one request). */
export const MAX_STATS_DAYS = 366;
/** Most finished offboardings one time-to-revoke answer reads; beyond it the answer says `truncated`. */
export const MAX_STATS_OFFBOARDINGS = 5000;

function badWindow(message: string): LeaverError {
  return new LeaverError('invalid_request', message, {
    details: { errors: [{ path: 'query.from', message }] },
  });
}

export const offboardingCounts = route({
  method: 'GET',
  path: '/v1/stats/offboardings',
  operationId: 'countOffboardings',
  summary: 'How many offboardings each status holds',
  description:
    'Counts by status of the offboardings whose effective time is within `from`..`to` (both optional; ' +
    'without them, every offboarding).',
  tag: 'stats',
  query: StatsWindowQuery,
  responses: {
    200: { description: 'Counts by status', content: { [JSON_TYPE]: OffboardingCountsSchema } },
  },
  errors: [],
  async handle({ query, env }) {
    if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
      throw badWindow('from must not be after to');
    }
    const counts = await env.deps.store.countByStatus({ from: query.from, to: query.to });
    return json(200, {
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
    });
  },
});

export const timeToRevoke = route({
  method: 'GET',
  path: '/v1/stats/time-to-revoke',
  operationId: 'timeToRevokeStats',
  summary: 'Time-to-revoke p50 and p95 by day and vendor, against the target, and the slowest',
  description:
    'Over the finished offboardings (completed, with or without failures) effective within ' +
    `\`from\`..\`to\` (default: the last ${DEFAULT_STATS_DAYS} days; at most ${MAX_STATS_DAYS} days). ` +
    'Percentiles are nearest-rank, per UTC day of the effective time, overall (`all`) and per vendor. ' +
    '`targetMs` is the configured target (reporting.timeToRevokeTargetMinutes, default 4 hours).',
  tag: 'stats',
  query: TimeToRevokeQuery,
  responses: {
    200: { description: 'The figures', content: { [JSON_TYPE]: TimeToRevokeStatsSchema } },
  },
  errors: [],
  async handle({ query, env }) {
    const now = env.deps.clock.now().getTime();
    const to = query.to ?? new Date(now).toISOString();
    const from = query.from ?? new Date(Date.parse(to) - DEFAULT_STATS_DAYS * DAY_MS).toISOString();
    if (from > to) throw badWindow('from must not be after to');
    if (Date.parse(to) - Date.parse(from) > MAX_STATS_DAYS * DAY_MS) {
      throw badWindow(`the window must not be longer than ${MAX_STATS_DAYS} days`);
    }
    const targetMs = env.deps.config.reporting.timeToRevokeTargetMinutes * 60_000;
    const stats = await timeToRevokeStats(env.deps.store, {
      from,
      to,
      targetMs,
      slowest: query.slowest ?? 10,
      maxOffboardings: MAX_STATS_OFFBOARDINGS,
    });
    return json(200, {
      from,
      to,
      targetMs,
      offboardings: stats.offboardings,
      measured: stats.measured,
      withinTarget: stats.withinTarget,
      days: stats.days,
      slowest: stats.slowest.map(summaryView),
      truncated: stats.truncated,
    });
  },
});
