/**
 * Start an offboarding: an email and aliases, a preview of every grant a run would revoke or skip,
 * then a dry run (audited, nothing changed) or a real start with a reason, confirmed by name.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNote, PageTitle } from '../components/common.tsx';
import { ConfirmDialog } from '../components/confirm.tsx';
import { addressList } from '../format.ts';
import { navigate } from '../router.ts';
import type { OffboardingSummary, PlanView } from '../types.ts';
import { PlanTable } from './plan-table.tsx';

export function Start() {
  const [email, setEmail] = useState('');
  const [aliases, setAliases] = useState('');
  const [reason, setReason] = useState('');
  const [effectiveAt, setEffectiveAt] = useState('');
  const [plan, setPlan] = useState<{ plan: PlanView; title: string }>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState(false);

  const subject = () => {
    const list = addressList(aliases);
    return { email: email.trim(), ...(list.length ? { aliases: list } : {}) };
  };
  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  const needEmail = () => {
    if (!email.trim()) {
      setError('Enter the email address of the person leaving.');
      return false;
    }
    return true;
  };
  const needReason = () => {
    if (!needEmail()) return false;
    if (!reason.trim()) {
      setError('Give a reason: it is kept in the audit trail.');
      return false;
    }
    return true;
  };

  const preview = (e: Event) => {
    e.preventDefault();
    if (!needEmail()) return;
    void run('preview', async () => {
      setPlan({ plan: await api<PlanView>('POST', '/v1/preview', { body: subject() }), title: 'Preview' });
    });
  };
  const dryRun = () => {
    if (!needReason()) return;
    void run('dry run', async () => {
      const p = await api<PlanView>('POST', '/v1/offboardings', {
        body: { ...subject(), reason: reason.trim(), dryRun: true },
      });
      setPlan({ plan: p, title: 'Dry run' });
    });
  };
  const start = async () => {
    const when = effectiveAt ? new Date(effectiveAt).toISOString() : undefined;
    const o = await api<OffboardingSummary>('POST', '/v1/offboardings', {
      body: { ...subject(), reason: reason.trim(), ...(when ? { effectiveAt: when } : {}) },
      headers: { 'idempotency-key': crypto.randomUUID() },
    });
    navigate(`/offboardings/${encodeURIComponent(o.id)}`);
  };

  return (
    <>
      <PageTitle>Start an offboarding</PageTitle>
      <form onSubmit={preview} class="start" noValidate>
        <p>
          <label for="s-email">Email of the person leaving</label>
          <input
            id="s-email"
            type="email"
            required
            autoComplete="off"
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </p>
        <p>
          <label for="s-aliases">Other addresses (optional)</label>
          <textarea
            id="s-aliases"
            rows={2}
            aria-describedby="s-aliases-help"
            value={aliases}
            onInput={(e) => setAliases((e.target as HTMLTextAreaElement).value)}
          />
          <span id="s-aliases-help" class="help">
            One per line or separated by commas.
          </span>
        </p>
        <p>
          <label for="s-reason">Reason (for a dry run or a start)</label>
          <input
            id="s-reason"
            type="text"
            maxLength={500}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
        </p>
        <p>
          <label for="s-when">Effective (optional; empty: now)</label>
          <input
            id="s-when"
            type="datetime-local"
            value={effectiveAt}
            onInput={(e) => setEffectiveAt((e.target as HTMLInputElement).value)}
          />
        </p>
        <div class="buttons">
          <button type="submit" disabled={busy !== undefined}>
            {busy === 'preview' ? 'Searching every vendor…' : 'Preview'}
          </button>
          <button type="button" onClick={dryRun} disabled={busy !== undefined}>
            {busy === 'dry run' ? 'Running a dry run…' : 'Dry run'}
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy !== undefined}
            onClick={() => {
              if (needReason()) setConfirming(true);
            }}
          >
            Start offboarding
          </button>
        </div>
        <ErrorNote error={error} />
      </form>
      {confirming && (
        <ConfirmDialog
          title={`Offboard ${email.trim()}?`}
          confirmLabel={`Offboard ${email.trim()}`}
          danger
          onConfirm={start}
          onClose={() => setConfirming(false)}
        >
          <p>
            {effectiveAt
              ? `Every grant of ${email.trim()} will be revoked at every vendor from ${new Date(effectiveAt).toLocaleString()}.`
              : `Every grant of ${email.trim()} will be revoked at every vendor now.`}
          </p>
        </ConfirmDialog>
      )}
      {plan && <PlanTable plan={plan.plan} title={plan.title} />}
    </>
  );
}
