/**
 * `GET /v1/access?email=`: what the access inventory knows a person holds (core/access.ts).
 */
import { z } from 'zod';
import { accessOf } from '../core/access.ts';
import { GRANT_KINDS, type GrantKind, grantKey, grantPhase, VENDORS } from '../core/model.ts';
import { json } from '../handlers/http-response.ts';
import { route } from './router.ts';
import { emailInput } from './schemas.ts';

const isoTime = z.string().meta({ format: 'date-time' });

export const AccessQuery = z.strictObject({ email: emailInput });

const KINDS = Object.keys(GRANT_KINDS) as [GrantKind, ...GrantKind[]];

export const AccessGrantSchema = z.strictObject({
  grantKey: z.string(),
  vendor: z.enum(VENDORS),
  tenantId: z.string(),
  kind: z.enum(KINDS),
  phase: z.enum(['invitation', 'membership']),
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

export const getAccess = route({
  method: 'GET',
  path: '/v1/access',
  operationId: 'getAccess',
  summary: 'Every grant a person is known to hold, at which vendor and tenant, and how fresh that is',
  description:
    'Reads the access inventory (kept by the inventory sync), not the vendors: fast, but only as ' +
    'fresh as the last listing of each scope (`syncedAt`) and tenant (`tenants[].lastSyncAt`). The ' +
    "person's other configured addresses (`aliases`) are looked up too. An offboarding always " +
    'verifies with a full discovery.',
  tag: 'access',
  query: AccessQuery,
  responses: { 200: { description: 'The known access', content: { 'application/json': AccessSchema } } },
  errors: [404],
  async handle({ query, env }) {
    const report = await accessOf(env.deps, query.email);
    const grants = report.grants.map((e) => {
      const g = e.grant;
      const view: AccessView['grants'][number] = {
        grantKey: grantKey(g),
        vendor: g.vendor,
        tenantId: g.tenantId,
        kind: g.kind,
        phase: grantPhase(g),
        email: g.email,
        ids: { ...g.ids },
        syncedAt: e.syncedAt,
      };
      if (g.scopeName !== undefined) view.scopeName = g.scopeName;
      if (g.owner) view.owner = true;
      return view;
    });
    const invitations = grants.filter((g) => g.phase === 'invitation').length;
    const body: AccessView = {
      email: report.email,
      emails: report.emails,
      grants,
      tenants: report.tenants,
      counts: { grants: grants.length, invitations, memberships: grants.length - invitations },
    };
    return json(200, body);
  },
});
