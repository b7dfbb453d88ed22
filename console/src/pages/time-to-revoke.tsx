/**
 * Time-to-revoke over time, per vendor: p50 and p95 by day against the target (a configurable line,
 * 4 hours by default), the share within it, the figures as a table, and the slowest offboardings.
 */
import { api, qs } from '../api.ts';
import { StatusBadge } from '../components/badges.tsx';
import { ErrorNote, PageTitle, TableScroll, Time } from '../components/common.tsx';
import { type Series, TtrChart } from '../components/ttr-chart.tsx';
import { duration, VENDOR_LABELS } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href, navigate, type Route } from '../router.ts';
import { type TimeToRevokeStats, VENDORS, type Vendor } from '../types.ts';

const DAY_MS = 86_400_000;
const WINDOWS = [7, 30, 90, 365];
const COLORS: Record<Vendor | 'all', string> = {
  all: '#1f3a93',
  itwin: '#00695c',
  atlas: '#6a1b9a',
  cloudmanager: '#8d4e00',
};

function seriesOf(stats: TimeToRevokeStats, vendor: Vendor | 'all'): Series {
  const start = Date.parse(`${stats.from.slice(0, 10)}T00:00:00Z`);
  const end = Date.parse(stats.to);
  const days: number[] = [];
  for (let t = start; t <= end; t += DAY_MS) days.push(t / 1000);
  const byDay = new Map(stats.days.filter((d) => d.vendor === vendor).map((d) => [d.day, d]));
  const at = (t: number) => byDay.get(new Date(t * 1000).toISOString().slice(0, 10));
  return {
    days,
    p50: days.map((t) => at(t)?.p50Ms ?? null),
    p95: days.map((t) => at(t)?.p95Ms ?? null),
  };
}

function summary(stats: TimeToRevokeStats, vendor: Vendor | 'all'): string {
  const days = stats.days.filter((d) => d.vendor === vendor);
  if (days.length === 0) return 'no revocation in this window';
  const within = days.filter((d) => d.p95Ms <= stats.targetMs).length;
  return `p95 within the ${duration(stats.targetMs)} target on ${within} of ${days.length} days with revocations`;
}

export function TimeToRevoke({ route }: { route: Route }) {
  const days = WINDOWS.includes(Number(route.query.get('days'))) ? Number(route.query.get('days')) : 30;
  const stats = usePoll(
    () => {
      const to = new Date();
      const from = new Date(
        Date.parse(`${new Date(to.getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10)}T00:00:00Z`),
      );
      return api<TimeToRevokeStats>(
        'GET',
        `/v1/stats/time-to-revoke${qs({ from: from.toISOString(), to: to.toISOString(), slowest: 10 })}`,
      );
    },
    30_000,
    [days],
  );
  const s = stats.data;
  const groups: (Vendor | 'all')[] = s
    ? ['all', ...VENDORS.filter((v) => s.days.some((d) => d.vendor === v))]
    : [];
  const share = s && s.measured > 0 ? Math.round((100 * s.withinTarget) / s.measured) : undefined;

  return (
    <>
      <PageTitle>Time to revoke</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Window">
        <p>
          <label for="ttr-days">Window</label>
          <select
            id="ttr-days"
            value={String(days)}
            onChange={(e) => navigate('/time-to-revoke', { days: (e.target as HTMLSelectElement).value })}
          >
            {WINDOWS.map((d) => (
              <option key={d} value={String(d)}>
                Last {d} days
              </option>
            ))}
          </select>
        </p>
      </form>
      <ErrorNote error={stats.error} />
      {!s ? (
        !stats.error && <p>Loading…</p>
      ) : (
        <>
          <p class="big" role="status">
            {s.measured === 0
              ? 'No offboarding revoked anything in this window.'
              : `${s.withinTarget} of ${s.measured} offboardings (${share}%) revoked everything within the ${duration(s.targetMs)} target.`}
          </p>
          <p class="help">
            From the effective time (or receipt, when later) to the last revocation. p50 and p95 per day (UTC)
            of the effective time, on a logarithmic scale.
            {s.truncated &&
              ' The window holds more offboardings than one answer reads: the newest are shown.'}
          </p>
          <div class="charts">
            {groups.map((g) => (
              <TtrChart
                key={g}
                title={g === 'all' ? 'All vendors (whole offboarding)' : VENDOR_LABELS[g]}
                series={seriesOf(s, g)}
                targetMs={s.targetMs}
                color={COLORS[g]}
                summary={summary(s, g)}
              />
            ))}
          </div>
          <h2>Slowest offboardings</h2>
          {s.slowest.length === 0 ? (
            <p>None in this window.</p>
          ) : (
            <TableScroll label="Slowest offboardings">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Time to revoke</th>
                    <th scope="col">Effective</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {s.slowest.map((o) => (
                    <tr key={o.id} class={o.timeToRevokeMs! > s.targetMs ? 'over-target' : undefined}>
                      <th scope="row">
                        <a href={href(`/offboardings/${encodeURIComponent(o.id)}`)}>{o.email}</a>
                      </th>
                      <td>
                        {duration(o.timeToRevokeMs)}
                        {o.timeToRevokeMs! > s.targetMs && <span class="sub"> over target</span>}
                      </td>
                      <td>
                        <Time iso={o.effectiveAt} />
                      </td>
                      <td>
                        <StatusBadge status={o.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
          <details>
            <summary>The figures by day</summary>
            <TableScroll label="Time to revoke by day">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Day (UTC)</th>
                    <th scope="col">Vendor</th>
                    <th scope="col">Offboardings</th>
                    <th scope="col">p50</th>
                    <th scope="col">p95</th>
                    <th scope="col">Slowest</th>
                    <th scope="col">Over target</th>
                  </tr>
                </thead>
                <tbody>
                  {[...s.days].reverse().map((d) => (
                    <tr key={`${d.day}-${d.vendor}`}>
                      <td>{d.day}</td>
                      <td>{d.vendor === 'all' ? 'All' : VENDOR_LABELS[d.vendor]}</td>
                      <td>{d.count}</td>
                      <td>{duration(d.p50Ms)}</td>
                      <td>{duration(d.p95Ms)}</td>
                      <td>{duration(d.maxMs)}</td>
                      <td>{d.overTarget}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </details>
        </>
      )}
    </>
  );
}
