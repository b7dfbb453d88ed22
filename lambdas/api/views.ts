/**
 * Domain objects -> API views. Each view names its fields explicitly, so nothing internal (store
 * versions, keys) leaks and the response schemas stay exact.
 */
import type { ActionResult, AuditRecord, Grant, Offboarding, VendorId } from '../core/model.ts';
import { asGrant, VENDORS } from '../core/model.ts';
import type { ActionView, OffboardingDetail, OffboardingSummary } from './schemas.ts';

function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export function grantView(g: Grant): Grant {
  return asGrant(
    defined({
      vendor: g.vendor,
      tenantId: g.tenantId,
      kind: g.kind,
      email: g.email,
      ids: { ...g.ids },
      scopeName: g.scopeName,
      lastOwner: g.lastOwner,
      order: g.order,
    }),
  );
}

export function summaryView(o: Offboarding): OffboardingSummary {
  return defined({
    id: o.id,
    email: o.subject.email,
    aliases: [...(o.subject.aliases ?? [])],
    employeeId: o.subject.employeeId,
    name: o.subject.name,
    status: o.status,
    origin: { type: o.origin.type, id: o.origin.id },
    sourceEventId: o.sourceEventId,
    reason: o.reason,
    dryRun: o.dryRun,
    effectiveAt: o.effectiveAt,
    receivedAt: o.receivedAt,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    lastRevokedAt: o.lastRevokedAt,
    timeToRevokeMs: o.timeToRevokeMs,
    timeToRevokeByVendorMs: o.timeToRevokeByVendorMs ? { ...o.timeToRevokeByVendorMs } : undefined,
    counts: {
      planned: o.counts?.planned ?? 0,
      revoked: o.counts?.revoked ?? 0,
      alreadyAbsent: o.counts?.alreadyAbsent ?? 0,
      skipped: o.counts?.skipped ?? 0,
      failed: o.counts?.failed ?? 0,
    },
    attempts: o.attempts ?? 0,
    nextRetryAt: o.nextRetryAt,
    releasedAt: o.releasedAt,
    heldAt: o.heldAt,
    failedTenants: o.failedTenants?.map((f) => ({
      vendor: f.vendor,
      tenantId: f.tenantId,
      errorCode: f.errorCode,
    })),
  });
}

export function actionView(a: ActionResult): ActionView {
  return defined({
    grantKey: a.grantKey,
    vendor: a.grant.vendor,
    tenantId: a.grant.tenantId,
    kind: a.grant.kind,
    email: a.grant.email,
    ids: { ...a.grant.ids },
    scopeName: a.grant.scopeName,
    outcome: a.outcome,
    skipReason: a.skipReason,
    errorCode: a.errorCode,
    vendorRequestId: a.vendorRequestId,
    attempts: a.attempts,
    durationMs: a.durationMs,
    at: a.at,
    pass: a.pass,
    reinvited: a.reinvited,
  });
}

/** The offboarding with its actions grouped by vendor (vendors without actions are left out). */
export function detailView(o: Offboarding, actions: readonly ActionResult[]): OffboardingDetail {
  const byVendor = new Map<VendorId, ActionResult[]>();
  for (const a of actions) {
    const list = byVendor.get(a.grant.vendor) ?? [];
    list.push(a);
    byVendor.set(a.grant.vendor, list);
  }
  const vendors = VENDORS.filter((v) => byVendor.has(v)).map((vendor) => {
    const list = [...byVendor.get(vendor)!].sort(
      (a, b) => a.at.localeCompare(b.at) || a.grantKey.localeCompare(b.grantKey),
    );
    const counts = { planned: list.length, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 };
    for (const a of list) {
      if (a.outcome === 'revoked') counts.revoked++;
      else if (a.outcome === 'already_absent') counts.alreadyAbsent++;
      else if (a.outcome === 'skipped') counts.skipped++;
      else counts.failed++;
    }
    return defined({
      vendor,
      counts,
      timeToRevokeMs: o.timeToRevokeByVendorMs?.[vendor],
      actions: list.map(actionView),
    });
  });
  return { ...summaryView(o), vendors };
}

/**
 * An audit record exactly as stored: the hash covers every field, so the export must not reshape
 * it (an auditor re-verifies the chain from the exported records).
 */
export function auditView(r: AuditRecord): AuditRecord {
  return r;
}
