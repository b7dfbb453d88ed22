/** Human-readable output of the CLI: aligned tables and short summaries. */

export function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `1 page`, `2 pages`: a count with its noun in the right number. */
export function counted(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export interface Counts {
  planned: number;
  revoked: number;
  alreadyAbsent: number;
  skipped: number;
  failed: number;
}

export function countsLine(c: Counts): string {
  return `${c.revoked} revoked, ${c.alreadyAbsent} already absent, ${c.skipped} skipped, ${c.failed} failed`;
}

interface ActionLike {
  vendor: string;
  tenantId: string;
  kind: string;
  scopeName?: string;
  ids: Record<string, string>;
  outcome: string;
  skipReason?: string;
  errorCode?: string;
}

export interface OffboardingLike {
  id: string;
  email: string;
  status: string;
  reason?: string;
  origin: { type: string; id: string };
  effectiveAt: string;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
  timeToRevokeMs?: number;
  counts: Counts;
  /** Present while the kill switch holds it. */
  heldAt?: string;
  failedTenants?: { vendor: string; tenantId: string; errorCode: string }[];
  vendors?: { vendor: string; counts: Counts; timeToRevokeMs?: number; actions: ActionLike[] }[];
}

/** The status, marked `(held)` while the kill switch holds the offboarding. */
export function statusText(o: Pick<OffboardingLike, 'status' | 'heldAt'>): string {
  return o.heldAt ? `${o.status} (held)` : o.status;
}

function scope(a: ActionLike): string {
  return a.scopeName ?? Object.values(a.ids).join('/');
}

export function offboardingText(o: OffboardingLike): string {
  const lines = [
    `Offboarding ${o.id}`,
    `  email         ${o.email}`,
    `  status        ${statusText(o)}`,
    `  origin        ${o.origin.type}:${o.origin.id}`,
  ];
  if (o.heldAt)
    lines.push(`  held          since ${o.heldAt} by the kill switch; resumes when it is turned off`);
  if (o.reason) lines.push(`  reason        ${o.reason}`);
  lines.push(`  effective     ${o.effectiveAt}`, `  received      ${o.receivedAt}`);
  if (o.startedAt) lines.push(`  started       ${o.startedAt}`);
  if (o.finishedAt) lines.push(`  finished      ${o.finishedAt}`);
  lines.push(`  time-to-revoke ${duration(o.timeToRevokeMs)}`, `  actions       ${countsLine(o.counts)}`);
  if (o.failedTenants?.length) {
    const unread = o.failedTenants.map((f) => `${f.tenantId} (${f.vendor}: ${f.errorCode})`).join(', ');
    lines.push(`  unreadable    ${unread}`);
  }
  for (const v of o.vendors ?? []) {
    lines.push('', `${v.vendor}: ${countsLine(v.counts)} (time-to-revoke ${duration(v.timeToRevokeMs)})`);
    lines.push(
      table(
        ['KIND', 'TENANT', 'SCOPE', 'OUTCOME', 'DETAIL'],
        v.actions.map((a) => [a.kind, a.tenantId, scope(a), a.outcome, a.skipReason ?? a.errorCode ?? '']),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  return lines.join('\n');
}

export interface PlanLike {
  email: string;
  items: {
    vendor: string;
    tenantId: string;
    kind: string;
    scopeName?: string;
    ids: Record<string, string>;
    action: string;
    skipReason?: string;
  }[];
  counts: { revoke: number; skip: number };
  failures: { vendor: string; tenantId: string; errorCode: string }[];
}

export function planText(p: PlanLike): string {
  const lines = [
    `Plan for ${p.email}: ${p.counts.revoke} to revoke, ${p.counts.skip} to skip (nothing changed)`,
  ];
  if (p.items.length) {
    lines.push(
      table(
        ['VENDOR', 'TENANT', 'KIND', 'SCOPE', 'ACTION'],
        p.items.map((i) => [
          i.vendor,
          i.tenantId,
          i.kind,
          i.scopeName ?? Object.values(i.ids).join('/'),
          i.skipReason ? `skip (${i.skipReason})` : i.action,
        ]),
      ),
    );
  }
  for (const f of p.failures)
    lines.push(`! ${f.vendor} tenant ${f.tenantId} could not be searched: ${f.errorCode}`);
  return lines.join('\n');
}

export interface DeadLetterLike {
  messageId: string;
  offboardingId?: string;
  status?: string;
  receiveCount?: number;
  sentAt?: string;
}

export function deadLettersText(items: DeadLetterLike[], more: boolean): string {
  if (items.length === 0) return 'The dead-letter queue is empty.';
  const lines = [
    table(
      ['OFFBOARDING', 'STATUS', 'RECEIVES', 'SENT', 'MESSAGE'],
      items.map((d) => [
        d.offboardingId ?? '(not an offboarding)',
        d.status ?? '-',
        d.receiveCount,
        d.sentAt,
        d.messageId,
      ]),
    ),
  ];
  if (more) lines.push('More messages wait: raise --limit to see them.');
  return lines.join('\n');
}
