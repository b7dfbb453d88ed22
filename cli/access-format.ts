/** `leaver access <email>`: what the access inventory knows a person holds, as a table. */
import { table } from './format.ts';

export interface AccessLike {
  email: string;
  emails: string[];
  grants: Array<{
    vendor: string;
    tenantId: string;
    kind: string;
    phase: string;
    email: string;
    ids: Record<string, string>;
    scopeName?: string;
    owner?: boolean;
    syncedAt: string;
  }>;
  tenants: Array<{
    tenantId: string;
    vendor: string;
    lastSyncAt?: string;
    syncingSince?: string;
    scopesDone?: number;
    scopesTotal?: number;
    lastErrorCode?: string;
  }>;
  counts: { grants: number; invitations: number; memberships: number };
}

/** "3 min ago" from an ISO time, for a reader who wants to know how fresh a line is. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function accessText(a: AccessLike, now = Date.now()): string {
  const who = a.emails.length > 1 ? `${a.email} (also ${a.emails.slice(1).join(', ')})` : a.email;
  const lines = [
    `${who}: ${a.counts.grants} grant(s) known (${a.counts.invitations} invitation(s), ${a.counts.memberships} membership(s))`,
  ];
  if (a.grants.length > 0) {
    lines.push(
      '',
      table(
        ['VENDOR', 'TENANT', 'KIND', 'SCOPE', 'LISTED'],
        a.grants.map((g) => [
          g.vendor,
          g.tenantId,
          g.owner ? `${g.kind} (owner)` : g.kind,
          g.scopeName ?? Object.values(g.ids).join('/'),
          ago(g.syncedAt, now),
        ]),
      ),
    );
  }
  lines.push(
    '',
    table(
      ['TENANT', 'VENDOR', 'LAST COMPLETE SYNC', 'NOW'],
      a.tenants.map((t) => [
        t.tenantId,
        t.vendor,
        t.lastSyncAt ? `${t.lastSyncAt} (${ago(t.lastSyncAt, now)})` : 'never: not covered yet',
        [
          t.syncingSince ? `syncing ${t.scopesDone ?? 0}/${t.scopesTotal ?? '?'}` : '',
          t.lastErrorCode ? `last listing failed: ${t.lastErrorCode}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      ]),
    ),
  );
  if (a.tenants.some((t) => !t.lastSyncAt)) {
    lines.push(
      '',
      'Tenants never synced may hold grants not shown here; an offboarding always discovers them.',
    );
  }
  return lines.join('\n');
}
