/**
 * The API's own types: the zod schemas the OpenAPI document is generated from (type-only imports,
 * so nothing of the server reaches the bundle).
 */
import type * as z from 'zod';
import type { AccessSchema } from '../../lambdas/api/access-schemas.ts';
import type {
  ActionView,
  KillSwitchSchema,
  OffboardingAuditSchema,
  OffboardingCountsSchema,
  OffboardingDetail,
  OffboardingListSchema,
  OffboardingSummary,
  PlanView,
  ProblemSchema,
  TimeToRevokeStatsSchema,
} from '../../lambdas/api/schemas.ts';

export type { ActionView, OffboardingDetail, OffboardingSummary, PlanView };
export type OffboardingList = z.output<typeof OffboardingListSchema>;
export type OffboardingAudit = z.output<typeof OffboardingAuditSchema>;
export type KillSwitch = z.output<typeof KillSwitchSchema>;
export type Counts = z.output<typeof OffboardingCountsSchema>;
export type TimeToRevokeStats = z.output<typeof TimeToRevokeStatsSchema>;
export type Problem = z.output<typeof ProblemSchema>;
export type Access = z.output<typeof AccessSchema>;
export type Status = OffboardingSummary['status'];
export type Vendor = ActionView['vendor'];

export const STATUSES: readonly Status[] = [
  'scheduled',
  'running',
  'quarantined',
  'completed',
  'completed_with_failures',
  'cancelled',
];
export const VENDORS: readonly Vendor[] = ['itwin', 'atlas', 'cloudmanager'];
