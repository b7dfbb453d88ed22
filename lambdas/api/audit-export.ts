/**
 * Audit export formats: JSON Lines (the records as stored, re-verifiable), CSV (one row a record,
 * spreadsheet-safe), and OCSF 1.3 (Identity & Access Management category): revocations of
 * organisation accounts and pending organisation invitations as Account Change (3001, Delete);
 * project / iTwin / team / group access and their invitations as User Access Management
 * (3005, Revoke Privileges). Lifecycle records (received, started, finished...) change no access and
 * are not OCSF events; they appear in jsonl and csv only.
 */
import type { AuditRecord } from '../core/model.ts';
import { GRANT_KIND_MANIFEST } from '../core/vendor-manifest.ts';
import type { OcsfEvent } from './schemas.ts';

export const CONTENT_TYPES = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  ocsf: 'application/x-ndjson; charset=utf-8',
} as const;

export const CSV_COLUMNS = [
  'streamId',
  'seq',
  'at',
  'event',
  'actor',
  'email',
  'vendor',
  'tenantId',
  'kind',
  'grantKey',
  'outcome',
  'skipReason',
  'errorCode',
  'vendorRequestId',
  'durationMs',
  'attempt',
  'detail',
  'prevHash',
  'hash',
] as const;

/** One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(r: AuditRecord): string {
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    streamId: r.streamId,
    seq: r.seq,
    at: r.at,
    event: r.event,
    actor: r.actor,
    email: r.email,
    vendor: r.vendor ?? r.grant?.vendor,
    tenantId: r.tenantId ?? r.grant?.tenantId,
    kind: r.grant?.kind,
    grantKey: r.grantKey,
    outcome: r.outcome,
    skipReason: r.skipReason,
    errorCode: r.errorCode,
    vendorRequestId: r.vendorRequestId,
    durationMs: r.durationMs,
    attempt: r.attempt,
    detail: r.detail,
    prevHash: r.prevHash,
    hash: r.hash,
  };
  return `${CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`;
}

export function jsonlLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

// ------------------------------------------------------------------------------------------ OCSF

export const OCSF_VERSION = '1.3.0';

/** OCSF status for an action outcome: revoked and already_absent both mean the access is gone. */
function ocsfStatus(r: AuditRecord): { status_id: number; status: string } {
  switch (r.outcome) {
    case 'revoked':
    case 'already_absent':
      return { status_id: 1, status: 'Success' };
    case 'failed':
      return { status_id: 2, status: 'Failure' };
    case 'skipped':
      return { status_id: 99, status: 'Skipped' };
    default:
      return { status_id: 0, status: 'Unknown' };
  }
}

/** Whether a record is an access change OCSF describes (a finished action on a grant). */
export function isOcsfRecord(r: AuditRecord): boolean {
  return (
    (r.event === 'action_finished' || r.event === 'reinvited') &&
    r.grant !== undefined &&
    r.outcome !== undefined
  );
}

/** The OCSF event for an action record, or undefined for lifecycle records. */
export function toOcsf(r: AuditRecord): OcsfEvent | undefined {
  if (!isOcsfRecord(r)) return undefined;
  const grant = r.grant!;
  const { accountLevel, resource: res } = GRANT_KIND_MANIFEST[grant.kind];
  const classUid = accountLevel ? 3001 : 3005;
  const activityId = accountLevel ? 6 : 2;
  const className = accountLevel ? 'Account Change' : 'User Access Management';
  const activityName = accountLevel ? 'Delete' : 'Revoke Privileges';
  const { status_id, status } = ocsfStatus(r);
  const failed = status_id === 2;
  const statusDetail = [r.outcome, r.skipReason, r.errorCode].filter(Boolean).join(': ');
  const event: OcsfEvent = {
    class_uid: classUid,
    class_name: className,
    category_uid: 3,
    category_name: 'Identity & Access Management',
    activity_id: activityId,
    activity_name: activityName,
    type_uid: classUid * 100 + activityId,
    type_name: `${className}: ${activityName}`,
    time: Date.parse(r.at),
    severity_id: failed ? 3 : 1,
    severity: failed ? 'Medium' : 'Informational',
    status_id,
    status,
    message: `${grant.kind} ${r.outcome ?? ''} at ${grant.vendor} tenant ${grant.tenantId}`.trim(),
    actor: { user: { uid: r.actor, name: r.actor, type: actorType(r.actor) } },
    user: { email_addr: grant.email || r.email, name: r.email },
    metadata: {
      version: OCSF_VERSION,
      uid: `${r.streamId}:${r.seq}`,
      correlation_uid: r.streamId,
      original_time: r.at,
      product: { name: 'Leaver', vendor_name: 'Leaver' },
    },
    unmapped: {
      vendor: grant.vendor,
      tenantId: grant.tenantId,
      ...(grant.scopeName ? { scopeName: grant.scopeName } : {}),
      event: r.event,
      grantKey: r.grantKey ?? null,
      kind: grant.kind,
      ids: grant.ids,
      hash: r.hash,
      prevHash: r.prevHash,
      ...(r.vendorRequestId ? { vendorRequestId: r.vendorRequestId } : {}),
      ...(r.event === 'reinvited' ? { reinvited: true } : {}),
    },
  };
  if (r.errorCode) event.status_code = r.errorCode;
  if (statusDetail) event.status_detail = statusDetail;
  if (!accountLevel) event.privileges = [grant.kind];
  const ids: Readonly<Record<string, string>> = grant.ids;
  const uid = ids[res.idKey];
  if (uid && !accountLevel)
    event.resource = { uid, type: res.type, ...(grant.scopeName ? { name: grant.scopeName } : {}) };
  if (event.user.name === undefined) delete event.user.name;
  if (event.user.email_addr === undefined) delete event.user.email_addr;
  return event;
}

function actorType(actor: string): string {
  if (actor.startsWith('arn:')) return 'IAM principal';
  if (actor === 'local') return 'Local API token';
  if (actor.startsWith('hr:') || actor.startsWith('schedule:')) return 'System';
  return 'User';
}
