/** The kill switch (with who set it, when and why) and the quarantine queue with release. */
import { useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { ErrorNote, PageTitle, TableScroll, Time } from '../components/common.tsx';
import { ConfirmDialog } from '../components/confirm.tsx';
import { useKillSwitch } from '../components/layout.tsx';
import { usePoll } from '../poll.ts';
import { href } from '../router.ts';
import type { KillSwitch, OffboardingList, OffboardingSummary } from '../types.ts';

function KillSwitchPanel() {
  const ks = useKillSwitch();
  const [confirm, setConfirm] = useState(false);
  const [done, setDone] = useState<string>();
  const s = ks.data;
  if (!s) return ks.error ? <ErrorNote error={ks.error} /> : <p>Loading…</p>;
  const turnOn = !s.enabled;
  const change = async (reason: string) => {
    const now = await api<KillSwitch>('PUT', '/v1/kill-switch', { body: { enabled: turnOn, reason } });
    setDone(now.enabled ? 'The kill switch is on: no revocation runs anywhere.' : 'The kill switch is off.');
    await ks.reload();
  };
  return (
    <section aria-labelledby="h-ks" class={`panel ${s.enabled ? 'ks-panel-on' : ''}`}>
      <h2 id="h-ks">Kill switch</h2>
      <p class="big">{s.enabled ? 'ON: every revocation is stopped' : 'Off: revocations run'}</p>
      {s.flag?.at && (
        <p>
          Last set {s.flag.enabled ? 'on' : 'off'} by {s.flag.by ?? 'unknown'} at <Time iso={s.flag.at} />
          {s.flag.reason ? `: “${s.flag.reason}”` : ''}.
        </p>
      )}
      {s.configured && (
        <p class="warning">
          The configuration file turns it on (safety.killSwitch): it stays on until the configuration changes.
        </p>
      )}
      <p class="help">
        While it is on, running offboardings stop before their next vendor call and wait; they resume when it
        is turned off.
      </p>
      <button
        type="button"
        class={turnOn ? 'danger' : 'primary'}
        onClick={() => {
          setDone(undefined);
          setConfirm(true);
        }}
      >
        {turnOn ? 'Turn the kill switch on' : 'Turn the kill switch off'}
      </button>
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      {confirm && (
        <ConfirmDialog
          title={turnOn ? 'Stop every revocation?' : 'Let revocations run again?'}
          confirmLabel={turnOn ? 'Turn the kill switch on' : 'Turn the kill switch off'}
          danger={turnOn}
          reason="required"
          onConfirm={change}
          onClose={() => setConfirm(false)}
        >
          <p>
            {turnOn
              ? 'No access will be revoked for anyone, at any vendor, until the kill switch is turned off.'
              : 'Waiting offboardings resume and revoke access.'}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function QuarantineQueue() {
  const list = usePoll(
    () =>
      api<OffboardingList>(
        'GET',
        `/v1/offboardings${qs({ status: 'quarantined', order: 'desc', limit: 100 })}`,
      ),
    3000,
    [],
  );
  const [releasing, setReleasing] = useState<OffboardingSummary>();
  const [done, setDone] = useState<string>();
  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby="h-q" class="panel">
      <h2 id="h-q">Quarantine</h2>
      <p class="help">
        The blast-radius guard holds an offboarding that would remove too many people at once. Release the
        ones that are expected.
      </p>
      <ErrorNote error={list.error} />
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      {list.data && items.length === 0 && <p>Nothing is quarantined.</p>}
      {items.length > 0 && (
        <TableScroll label="Quarantined offboardings">
          <table>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Effective</th>
                <th scope="col">Received</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((o) => (
                <tr key={o.id} class="held row-quarantined">
                  <th scope="row">
                    <a href={href(`/offboardings/${encodeURIComponent(o.id)}`)}>{o.email}</a>
                  </th>
                  <td>
                    <Time iso={o.effectiveAt} />
                  </td>
                  <td>
                    <Time iso={o.receivedAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="primary"
                      aria-label={`Release ${o.email}`}
                      onClick={() => {
                        setDone(undefined);
                        setReleasing(o);
                      }}
                    >
                      Release
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {releasing && (
        <ConfirmDialog
          title={`Release the offboarding of ${releasing.email} from quarantine?`}
          confirmLabel={`Release offboarding of ${releasing.email}`}
          onConfirm={async () => {
            await api('POST', `/v1/offboardings/${encodeURIComponent(releasing.id)}/release`);
            setDone(`Released: ${releasing.email} is being offboarded now.`);
            await list.reload();
          }}
          onClose={() => setReleasing(undefined)}
        >
          <p>It runs now and revokes this person's access everywhere.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

export function Safety() {
  return (
    <>
      <PageTitle>Safety</PageTitle>
      <KillSwitchPanel />
      <QuarantineQueue />
    </>
  );
}
