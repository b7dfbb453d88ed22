/**
 * A modal confirmation (the native <dialog>: focus moves into it, stays there and returns after;
 * Escape cancels). The question names the person and what will happen; a reason is asked when the
 * API records one.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  /** Ask for a reason (required when `reasonRequired`). */
  reason?: 'optional' | 'required';
  danger?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog(p: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (p.reason === 'required' && reason.trim() === '') {
      setError('Give a reason: it is kept in the audit trail.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await p.onConfirm(reason.trim());
      p.onClose();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={p.onClose}>
      <form method="dialog" onSubmit={submit} noValidate>
        <h2 id="confirm-title">{p.title}</h2>
        <div class="confirm-body">{p.children}</div>
        {p.reason && (
          <p>
            <label for="confirm-reason">Reason{p.reason === 'required' ? '' : ' (optional)'}</label>
            <input
              id="confirm-reason"
              type="text"
              value={reason}
              maxLength={500}
              required={p.reason === 'required'}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
          </p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="button" onClick={p.onClose} disabled={busy}>
            Go back
          </button>
          <button type="submit" class={p.danger ? 'danger' : 'primary'} disabled={busy}>
            {busy ? 'Working…' : p.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
