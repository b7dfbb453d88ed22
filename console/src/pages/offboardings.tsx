/**
 * Every offboarding, newest first, filtered by status, email and effective date; counts by status;
 * quarantined and scheduled (held) ones stand out. Refreshed every few seconds while open.
 */
import { useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { StatusBadge } from '../components/badges.tsx';
import { ErrorNote, PageTitle, TableScroll, Time } from '../components/common.tsx';
import { duration, STATUS_LABELS } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href, navigate, type Route } from '../router.ts';
import {
  type Counts,
  type OffboardingList,
  type OffboardingSummary,
  STATUSES,
  type Status,
} from '../types.ts';

export const LIST_REFRESH_MS = 2000;

/** `YYYY-MM-DD` (a date input) as the API's bounds: the whole day, in UTC. */
function dayBound(day: string | null, end: boolean): string | undefined {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  return end ? `${day}T23:59:59.999Z` : `${day}T00:00:00.000Z`;
}

function Filters({ route }: { route: Route }) {
  const q = route.query;
  const [status, setStatus] = useState(q.get('status') ?? '');
  const [email, setEmail] = useState(q.get('email') ?? '');
  const [from, setFrom] = useState(q.get('from') ?? '');
  const [to, setTo] = useState(q.get('to') ?? '');
  const apply = (e: Event) => {
    e.preventDefault();
    navigate('/offboardings', { status, email: email.trim(), from, to });
  };
  return (
    <form class="filters" onSubmit={apply} aria-label="Filter offboardings">
      <p>
        <label for="f-status">Status</label>
        <select
          id="f-status"
          value={status}
          onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
        >
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </p>
      <p>
        <label for="f-email">Email</label>
        <input
          id="f-email"
          type="email"
          value={email}
          autoComplete="off"
          onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
        />
      </p>
      <p>
        <label for="f-from">Effective from</label>
        <input
          id="f-from"
          type="date"
          value={from}
          onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
        />
      </p>
      <p>
        <label for="f-to">Effective to</label>
        <input
          id="f-to"
          type="date"
          value={to}
          onInput={(e) => setTo((e.target as HTMLInputElement).value)}
        />
      </p>
      <p class="filter-buttons">
        <button type="submit" class="primary">
          Apply
        </button>
        <a href="#/offboardings" class="button">
          Clear
        </a>
      </p>
    </form>
  );
}

function CountsBar({ counts, active }: { counts?: Counts; active?: string }) {
  return (
    <nav aria-label="Offboardings by status" class="counts">
      <ul>
        {STATUSES.map((s) => (
          <li key={s}>
            <a
              href={href('/offboardings', { status: s })}
              class={`count status-${s}`}
              aria-current={active === s ? 'true' : undefined}
            >
              <span class="count-n">{counts ? counts.counts[s] : '…'}</span> {STATUS_LABELS[s]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Row({ o }: { o: OffboardingSummary }) {
  const held = o.status === 'quarantined' || o.status === 'scheduled';
  return (
    <tr class={held ? `held row-${o.status}` : undefined}>
      <th scope="row">
        <a href={href(`/offboardings/${encodeURIComponent(o.id)}`)}>{o.email}</a>
        {o.name && <div class="sub">{o.name}</div>}
      </th>
      <td>
        <StatusBadge status={o.status} />
        {o.status === 'quarantined' && <div class="sub">Held by the blast-radius guard</div>}
        {o.status === 'scheduled' && <div class="sub">Held until its effective time</div>}
        {o.dryRun && <div class="sub">Dry run</div>}
      </td>
      <td>
        <Time iso={o.effectiveAt} />
      </td>
      <td>{duration(o.timeToRevokeMs)}</td>
      <td>
        {o.counts.revoked} revoked
        {o.counts.failed > 0 && <span class="failed-count">, {o.counts.failed} failed</span>}
        {o.counts.skipped > 0 && <>, {o.counts.skipped} skipped</>}
      </td>
      <td>
        {o.origin.type === 'hr'
          ? `HR: ${o.origin.id}`
          : o.origin.type === 'api'
            ? `API: ${o.origin.id}`
            : o.origin.id}
      </td>
    </tr>
  );
}

export function Offboardings({ route }: { route: Route }) {
  const q = route.query;
  const status = (STATUSES as readonly string[]).includes(q.get('status') ?? '')
    ? (q.get('status') as Status)
    : undefined;
  const filters = {
    status,
    email: q.get('email') ?? undefined,
    from: dayBound(q.get('from'), false),
    to: dayBound(q.get('to'), true),
  };
  const key = JSON.stringify(filters);
  const [more, setMore] = useState<{ key: string; items: OffboardingSummary[]; cursor?: string }>();
  const list = usePoll(
    () => api<OffboardingList>('GET', `/v1/offboardings${qs({ ...filters, order: 'desc', limit: 25 })}`),
    LIST_REFRESH_MS,
    [key],
  );
  const counts = usePoll(
    () => api<Counts>('GET', `/v1/stats/offboardings${qs({ from: filters.from, to: filters.to })}`),
    LIST_REFRESH_MS,
    [filters.from, filters.to],
  );
  const extra = more?.key === key ? more : undefined;
  const items = [...(list.data?.items ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : list.data?.cursor;
  const loadMore = async () => {
    if (!cursor) return;
    const page = await api<OffboardingList>(
      'GET',
      `/v1/offboardings${qs({ ...filters, order: 'desc', limit: 25, cursor })}`,
    );
    setMore({ key, items: [...(extra?.items ?? []), ...page.items], cursor: page.cursor });
  };

  return (
    <>
      <PageTitle>Offboardings</PageTitle>
      <CountsBar counts={counts.data} active={status} />
      <Filters key={key} route={route} />
      <ErrorNote error={list.error} />
      {list.loading && !list.data ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>No offboardings match.</p>
      ) : (
        <TableScroll label="Offboardings, newest first">
          <table class="list">
            <caption class="visually-hidden">Offboardings, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Status</th>
                <th scope="col">Effective</th>
                <th scope="col">Time to revoke</th>
                <th scope="col">Actions</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {items.map((o) => (
                <Row key={o.id} o={o} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {cursor && (
        <p>
          <button type="button" onClick={loadMore}>
            Show older
          </button>
        </p>
      )}
    </>
  );
}
