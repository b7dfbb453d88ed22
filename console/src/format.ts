/** How values read on the page: durations, times, and the names of statuses, vendors and grants. */
import type { Status, Vendor } from './types.ts';

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m - h * 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function dateTime(iso: string | undefined): string {
  if (!iso) return '–';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTimeFormat.format(t);
}

export const STATUS_LABELS: Record<Status, string> = {
  scheduled: 'Scheduled',
  running: 'Running',
  completed: 'Completed',
  completed_with_failures: 'Completed with failures',
  cancelled: 'Cancelled',
  quarantined: 'Quarantined',
};

export const VENDOR_LABELS: Record<Vendor, string> = {
  itwin: 'Bentley iTwin',
  atlas: 'MongoDB Atlas',
  cloudmanager: 'MongoDB Cloud Manager',
};

export const SKIP_LABELS: Record<string, string> = {
  last_owner: 'Last owner: kept and alerted',
  protected_account: 'Protected account',
  dry_run: 'Dry run',
  kill_switch: 'Kill switch on',
};

export const OUTCOME_LABELS: Record<string, string> = {
  revoked: 'Revoked',
  already_absent: 'Already gone',
  skipped: 'Skipped',
  failed: 'Failed',
  revoke: 'Would revoke',
  skip: 'Would skip',
};

const WORDS: Record<string, string> = {
  itwin: 'iTwin',
  atlas: 'Atlas',
  cloudmanager: 'Cloud Manager',
  org: 'organisation',
};

/** `atlas_project_invitation` -> `Atlas project invitation`. */
export function kindLabel(kind: string): string {
  const [first = '', ...rest] = kind.split('_');
  const head = WORDS[first] ?? first.charAt(0).toUpperCase() + first.slice(1);
  return [head, ...rest.map((w) => WORDS[w] ?? w)].join(' ');
}

/** A chart axis label: `1s`, `10m`, `4h`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

/** Parses `a@x, b@y` or one per line into addresses. */
export function addressList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
