/**
 * One time-to-revoke chart (uPlot on a canvas): p50 and p95 per day on a logarithmic axis, so
 * seconds and hours both read, with the target as a line. The canvas is described by its caption
 * and its label; the same figures are in the table under the charts.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { duration, shortDuration } from '../format.ts';

/** Where the duration axis has its ticks and grid lines (the log scale's own are at powers of ten). */
const TICKS = [1, 10, 100, 1000, 10_000, 60_000, 600_000, 3_600_000, 36_000_000, 86_400_000, 604_800_000];

export interface Series {
  /** Epoch seconds of each UTC day. */
  days: number[];
  p50: (number | null)[];
  p95: (number | null)[];
}

export function TtrChart(p: {
  title: string;
  series: Series;
  targetMs: number;
  color: string;
  summary: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // A log axis cannot show 0: an instant revocation is drawn at 1 ms.
    const floor = (v: number | null) => (v === null ? null : Math.max(1, v));
    const data: uPlot.AlignedData = [
      p.series.days,
      p.series.p50.map(floor),
      p.series.p95.map(floor),
      p.series.days.map(() => p.targetMs),
    ];
    const opts: uPlot.Options = {
      width: Math.max(260, el.clientWidth),
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { distr: 3, log: 10 } },
      legend: { show: false },
      cursor: { show: false },
      series: [
        {},
        { label: 'p50', stroke: p.color, width: 2, points: { show: true, size: 6 } },
        { label: 'p95', stroke: p.color, width: 2, dash: [6, 4], points: { show: true, size: 6 } },
        { label: 'Target', stroke: '#b3261e', width: 1.5, dash: [2, 3], points: { show: false } },
      ],
      axes: [
        { stroke: '#333', grid: { stroke: '#e4e4e4' } },
        {
          stroke: '#333',
          grid: { stroke: '#e4e4e4' },
          ticks: { stroke: '#999' },
          size: 52,
          splits: (_u, _axis, min, max) => TICKS.filter((t) => t >= min && t <= max),
          // The log scale's own filter blanks every tick that is not a power of ten; these are chosen.
          filter: (_u, splits) => splits,
          values: (_u, vals) => vals.map((v) => shortDuration(v)),
        },
      ],
    };
    const chart = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(260, el.clientWidth), height: 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [p.series, p.targetMs, p.color]);
  return (
    <figure class="chart">
      <figcaption>
        <strong>{p.title}</strong>
        <span class="legend">
          <span class="key" style={{ borderColor: p.color }} /> p50{' '}
          <span class="key dashed" style={{ borderColor: p.color }} /> p95 <span class="key target" /> target{' '}
          {duration(p.targetMs)}
        </span>
      </figcaption>
      <div ref={box} role="img" aria-label={`${p.title}: ${p.summary}`} />
    </figure>
  );
}
