/**
 * The shapes of `GET /v1/access` (lambdas/api/access.ts): zod only, so the web console can take
 * its types without the server's code.
 */
import * as z from 'zod';
import { GRANT_KIND_NAMES, GRANT_PHASES, VENDORS } from '../core/model.ts';
import { emailInput } from './schemas.ts';

const isoTime = z.string().meta({ format: 'date-time' });

export const AccessQuery = z.strictObject({ email: emailInput });

export const AccessGrantSchema = z.strictObject({
  grantKey: z.string(),
  vendor: z.enum(VENDORS),
  tenantId: z.string(),
  kind: z.enum(GRANT_KIND_NAMES),
  phase: z.enum(GRANT_PHASES),
  email: z.string().meta({ format: 'email' }),
  ids: z.record(z.string(), z.string()),
  scopeName: z.string().optional(),
  owner: z.boolean().optional(),
  /** When the listing that saw it started. */
  syncedAt: isoTime,
});

export const TenantFreshnessSchema = z.strictObject({
  tenantId: z.string(),
  vendor: z.enum(VENDORS),
  lastSyncAt: isoTime.optional(),
  syncingSince: isoTime.optional(),
  scopesDone: z.number().int().optional(),
  scopesTotal: z.number().int().optional(),
  lastErrorCode: z.string().optional(),
  lastErrorAt: isoTime.optional(),
});

export const AccessSchema = z
  .strictObject({
    email: z.string().meta({ format: 'email' }),
    emails: z.array(z.string().meta({ format: 'email' })),
    grants: z.array(AccessGrantSchema),
    tenants: z.array(TenantFreshnessSchema),
    counts: z.strictObject({
      grants: z.number().int(),
      invitations: z.number().int(),
      memberships: z.number().int(),
    }),
  })
  .meta({
    id: 'Access',
    description:
      "What the access inventory knows a person holds, and how fresh it is: each grant's `syncedAt` is " +
      'when its scope was last listed; a tenant without `lastSyncAt` is not covered yet.',
  });

export type AccessView = z.output<typeof AccessSchema>;
