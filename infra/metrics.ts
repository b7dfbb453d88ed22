/**
 * The custom metrics the alarms and the dashboard read. The handlers publish them with Powertools
 * Metrics (EMF) from lambdas/handlers/observability.ts; names and dimensions here must match that
 * file exactly, because a CloudWatch metric is identified by namespace + name + the full set of
 * dimensions. Powertools adds `service` (POWERTOOLS_SERVICE_NAME) to every metric.
 *
 *   Actions          Count  { service, vendor, outcome }   one per revocation attempt
 *   Offboardings     Count  { service, status }            one per status change
 *   TimeToRevoke     ms     { service } and { service, vendor }
 *   VendorThrottled  Count  { service, vendor }            vendor answered 429
 *   VendorErrors     Count  { service, vendor }            vendor 5xx, network error or timeout
 *   SourceSecretUnavailable  Count  { service }           a webhook refused 503: its source's secret
 *                                                         is missing, unreadable, the placeholder or malformed
 *   IntakeServerErrors       Count  { service }           every 5xx the intake answered
 */
import { VENDORS, type VendorId } from '../lambdas/core/model.ts';

export const METRICS_NAMESPACE = 'Leaver';
export const SERVICE_NAME = 'leaver';

export const METRIC = {
  actions: 'Actions',
  offboardings: 'Offboardings',
  timeToRevoke: 'TimeToRevoke',
  vendorThrottled: 'VendorThrottled',
  vendorErrors: 'VendorErrors',
  sourceSecretUnavailable: 'SourceSecretUnavailable',
  intakeServerErrors: 'IntakeServerErrors',
} as const;

export const OUTCOMES = ['revoked', 'already_absent', 'skipped', 'failed'] as const;

export type Vendor = VendorId;
export const ALL_VENDORS: readonly Vendor[] = VENDORS;
