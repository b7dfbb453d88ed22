/**
 * One offboarding: who, from where, every timestamp, time-to-revoke overall and per vendor, every
 * action grouped by vendor and tenant, the audit chain's verdict, and cancel / retry / release
 * with a confirmation that names the person. Refreshed while it runs.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, request } from '../api.ts';
import { OutcomeBadge, StatusBadge } from '../components/badges.tsx';
import { ErrorNote, PageTitle, TableScroll, Time } from '../components/common.tsx';
import { ConfirmDialog } from '../components/confirm.tsx';
import type { Features } from '../features.ts';
import { duration, kindLabel, SKIP_LABELS, VENDOR_LABELS } from '../format.ts';
import { usePoll } from '../poll.ts';
import type { ActionView, OffboardingAudit, OffboardingDetail, Vendor } from '../types.ts';

export const DETAIL_REFRESH_MS = 2000;
const LIVE = new Set(['scheduled', 'running', 'quarantined']);

type Lifecycle = 'cancel' | 'retry' | 'release';

const LIFECYCLE: Record<Lifecycle, { label: string; verb: string; explain: string; reason?: 'optional' }> = {
  cancel: {
    label: 'Cancel',
    verb: 'Cancel the offboarding',
    explain: 'Nothing will be revoked for this person by this offboarding.',
    reason: 'optional',
  },
  retry: {
    label: 'Retry',
    verb: 'Run the offboarding again',
    explain: 'Every grant still found is revoked again now; grants already removed stay removed.',
  },
  release: {
    label: 'Release',
    verb: 'Release the offboarding from quarantine',
    explain:
      "The blast-radius guard held it. Releasing lets it run now and revoke this person's access everywhere.",
  },
};

function available(o: OffboardingDetail): Lifecycle[] {
  const out: Lifecycle[] = [];
  if (o.status === 'quarantined') out.push('release');
  if (o.status === 'completed_with_failures') out.push('retry');
  if (o.status === 'scheduled' || o.status === 'quarantined') out.push('cancel');
  return out;
}

function ids(a: ActionView): string {
  return Object.entries(a.ids)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function ActionsOfTenant({
  vendor,
  tenant,
  actions,
}: {
  vendor: Vendor;
  tenant: string;
  actions: ActionView[];
}) {
  return (
    <section class="tenant" aria-labelledby={`t-${vendor}-${tenant}`}>
      <h4 id={`t-${vendor}-${tenant}`}>Tenant {tenant}</h4>
      <TableScroll label={`Actions at ${VENDOR_LABELS[vendor]} tenant ${tenant}`}>
        <table class="timeline">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Grant</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason or error</th>
              <th scope="col">Vendor request id</th>
              <th scope="col">Pass</th>
              <th scope="col">Took</th>
            </tr>
          </thead>
          <tbody>
            {actions.map((a) => (
              <tr key={a.grantKey} class={`outcome-row-${a.outcome}`}>
                <td>
                  <Time iso={a.at} />
                </td>
                <td>
                  {kindLabel(a.kind)}
                  {a.scopeName && <div class="sub">{a.scopeName}</div>}
                  <div class="sub ids">{ids(a)}</div>
                </td>
                <td>
                  <OutcomeBadge outcome={a.outcome} />
                </td>
                <td>
                  {a.skipReason ? (SKIP_LABELS[a.skipReason] ?? a.skipReason) : (a.errorCode ?? '')}
                  {a.reinvited && <div class="sub">Re-invited after the run</div>}
                </td>
                <td class="mono">{a.vendorRequestId ?? '–'}</td>
                <td>{a.pass === 0 ? 'first' : `verification ${a.pass}`}</td>
                <td>
                  {duration(a.durationMs)}
                  {a.attempts > 1 && <div class="sub">{a.attempts} attempts</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

function Timeline({ o }: { o: OffboardingDetail }) {
  if (o.vendors.length === 0) {
    return <p>No action yet{o.status === 'completed' ? ': no grant was found at any vendor.' : '.'}</p>;
  }
  return (
    <>
      {o.vendors.map((v) => {
        const tenants = [...new Set(v.actions.map((a) => a.tenantId))].sort();
        return (
          <section key={v.vendor} class="vendor" aria-labelledby={`v-${v.vendor}`}>
            <h3 id={`v-${v.vendor}`}>
              {VENDOR_LABELS[v.vendor]}{' '}
              <span class="sub">
                {v.counts.revoked} revoked, {v.counts.alreadyAbsent} already gone, {v.counts.skipped} skipped,{' '}
                {v.counts.failed} failed; time to revoke {duration(v.timeToRevokeMs)}
              </span>
            </h3>
            {tenants.map((t) => (
              <ActionsOfTenant
                key={t}
                vendor={v.vendor}
                tenant={t}
                actions={v.actions.filter((a) => a.tenantId === t)}
              />
            ))}
          </section>
        );
      })}
    </>
  );
}

function AuditVerdict({ audit, error }: { audit?: OffboardingAudit; error?: Error }) {
  if (error) return <ErrorNote error={error} />;
  if (!audit) return <p>Checking the audit chain…</p>;
  return audit.chain.valid ? (
    <p class="verdict ok">
      Audit chain intact: {audit.chain.records} records, each hash-chained to the one before.
    </p>
  ) : (
    <p class="verdict broken" role="alert">
      Audit chain broken at record {audit.chain.brokenAt ?? '?'}: {audit.chain.reason ?? 'unknown reason'}.
    </p>
  );
}

async function download(path: string, fallbackName: string): Promise<void> {
  const res = await request('GET', path, { headers: { accept: '*/*' } });
  const blob = await res.blob();
  const name =
    /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function OffboardingPage({ id, features }: { id: string; features: Features }) {
  const path = `/v1/offboardings/${encodeURIComponent(id)}`;
  const detail = usePoll(() => api<OffboardingDetail>('GET', path), DETAIL_REFRESH_MS, [path]);
  const o = detail.data;
  const live = o ? LIVE.has(o.status) : true;
  // The audit is read again while the offboarding changes, and once more when it has settled.
  const audit = usePoll(
    () => api<OffboardingAudit>('GET', `${path}/audit?limit=1000`),
    live ? DETAIL_REFRESH_MS * 2 : undefined,
    [path, live, o?.status],
  );
  const [confirm, setConfirm] = useState<Lifecycle>();
  const [done, setDone] = useState<string>();
  const [evidenceError, setEvidenceError] = useState<string>();

  if (!o) {
    return (
      <>
        <PageTitle>Offboarding</PageTitle>
        {detail.error ? <ErrorNote error={detail.error} /> : <p>Loading…</p>}
      </>
    );
  }
  const requestedBy = audit.data?.records.find((r) => r.event === 'received')?.actor;
  const act = async (action: Lifecycle, reason: string) => {
    await api('POST', `${path}/${action}`, action === 'cancel' && reason ? { body: { reason } } : {});
    setDone(`${LIFECYCLE[action].verb}: done.`);
    await detail.reload();
    await audit.reload();
  };

  return (
    <>
      <p class="crumbs">
        <a href="#/offboardings">Offboardings</a>
      </p>
      <PageTitle>
        {o.email} <StatusBadge status={o.status} />
      </PageTitle>
      {o.status === 'quarantined' && (
        <p class="warning">
          Quarantined: the blast-radius guard held this offboarding because too many people are being removed
          at once. Release it if this is expected.
        </p>
      )}
      <div class="actions-bar">
        {available(o).map((a) => (
          <button
            key={a}
            type="button"
            class={a === 'cancel' ? 'danger' : 'primary'}
            onClick={() => {
              setDone(undefined);
              setConfirm(a);
            }}
          >
            {LIFECYCLE[a].label}
          </button>
        ))}
        {features.evidencePath && (
          <button
            type="button"
            onClick={() =>
              download(
                features.evidencePath!.replace('{id}', encodeURIComponent(o.id)),
                `evidence-${o.id}.json`,
              ).catch((e: Error) => setEvidenceError(e.message))
            }
          >
            Download evidence pack
          </button>
        )}
      </div>
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      <ErrorNote error={evidenceError} />
      {confirm && (
        <ConfirmDialog
          title={`${LIFECYCLE[confirm].verb} of ${o.email}?`}
          confirmLabel={`${LIFECYCLE[confirm].label} offboarding of ${o.email}`}
          danger={confirm === 'cancel'}
          {...(LIFECYCLE[confirm].reason ? { reason: LIFECYCLE[confirm].reason } : {})}
          onConfirm={(reason) => act(confirm, reason)}
          onClose={() => setConfirm(undefined)}
        >
          <p>{LIFECYCLE[confirm].explain}</p>
        </ConfirmDialog>
      )}

      <div class="columns">
        <section aria-labelledby="h-subject">
          <h2 id="h-subject">Who and why</h2>
          <dl>
            <dt>Email</dt>
            <dd>{o.email}</dd>
            <dt>Aliases</dt>
            <dd>{o.aliases.length ? o.aliases.join(', ') : 'none'}</dd>
            {o.name && (
              <>
                <dt>Name</dt>
                <dd>{o.name}</dd>
              </>
            )}
            {o.employeeId && (
              <>
                <dt>Employee id</dt>
                <dd>{o.employeeId}</dd>
              </>
            )}
            <dt>Source</dt>
            <dd>
              {o.origin.type === 'hr' ? 'HR system' : o.origin.type === 'api' ? 'API' : 'Schedule'}:{' '}
              {o.origin.id}
              <div class="sub mono">event {o.sourceEventId}</div>
            </dd>
            <dt>Requested by</dt>
            <dd>{requestedBy ?? '…'}</dd>
            {o.reason && (
              <>
                <dt>Reason</dt>
                <dd>{o.reason}</dd>
              </>
            )}
            <dt>Id</dt>
            <dd class="mono">{o.id}</dd>
          </dl>
        </section>
        <section aria-labelledby="h-times">
          <h2 id="h-times">When</h2>
          <dl>
            <dt>Effective</dt>
            <dd>
              <Time iso={o.effectiveAt} />
            </dd>
            <dt>Received</dt>
            <dd>
              <Time iso={o.receivedAt} />
            </dd>
            <dt>Started</dt>
            <dd>
              <Time iso={o.startedAt} />
            </dd>
            <dt>Last revocation</dt>
            <dd>
              <Time iso={o.lastRevokedAt} />
            </dd>
            <dt>Finished</dt>
            <dd>
              <Time iso={o.finishedAt} />
            </dd>
            {o.nextRetryAt && (
              <>
                <dt>Next retry</dt>
                <dd>
                  <Time iso={o.nextRetryAt} />
                </dd>
              </>
            )}
            {o.releasedAt && (
              <>
                <dt>Released</dt>
                <dd>
                  <Time iso={o.releasedAt} />
                </dd>
              </>
            )}
            <dt>Runs</dt>
            <dd>{o.attempts}</dd>
          </dl>
        </section>
        <section aria-labelledby="h-ttr">
          <h2 id="h-ttr">Time to revoke</h2>
          <p class="big">{duration(o.timeToRevokeMs)}</p>
          <dl>
            {(Object.entries(o.timeToRevokeByVendorMs ?? {}) as [Vendor, number][]).map(([v, ms]) => (
              <Fragment key={v}>
                <dt>{VENDOR_LABELS[v]}</dt>
                <dd>{duration(ms)}</dd>
              </Fragment>
            ))}
          </dl>
          <p class="sub">
            {o.counts.revoked} revoked, {o.counts.alreadyAbsent} already gone, {o.counts.skipped} skipped,{' '}
            {o.counts.failed} failed
          </p>
        </section>
      </div>

      <section aria-labelledby="h-audit">
        <h2 id="h-audit">Audit</h2>
        <AuditVerdict audit={audit.data} error={audit.error} />
      </section>

      <section aria-labelledby="h-timeline">
        <h2 id="h-timeline">Timeline</h2>
        <Timeline o={o} />
      </section>

      {audit.data && (
        <details class="records">
          <summary>Audit records ({audit.data.records.length})</summary>
          <TableScroll label="Audit records">
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Vendor</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.records.map((r) => (
                  <tr key={r.seq}>
                    <td>{r.seq}</td>
                    <td>
                      <Time iso={r.at} />
                    </td>
                    <td>{r.event.replace(/_/g, ' ')}</td>
                    <td>{r.actor}</td>
                    <td>{r.vendor ? VENDOR_LABELS[r.vendor] : ''}</td>
                    <td>
                      {r.outcome ?? ''}
                      {r.skipReason ? ` (${r.skipReason})` : ''}
                      {r.errorCode ? ` (${r.errorCode})` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </details>
      )}
    </>
  );
}
