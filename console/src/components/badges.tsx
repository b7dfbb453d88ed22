import { OUTCOME_LABELS, STATUS_LABELS } from '../format.ts';
import type { Status } from '../types.ts';

/** A status in words (colour only repeats what the words say). */
export function StatusBadge({ status }: { status: Status }) {
  return <span class={`badge status-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  return <span class={`badge outcome-${outcome}`}>{OUTCOME_LABELS[outcome] ?? outcome}</span>;
}
