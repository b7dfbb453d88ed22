/**
 * `GET /v1/access?email=`: what the access inventory knows a person holds (core/access.ts).
 */
import { accessOf } from '../core/access.ts';
import { grantKey, grantPhase } from '../core/model.ts';
import { AccessQuery, AccessSchema, type AccessView } from './access-schemas.ts';
import { json } from './http-response.ts';
import { route } from './router.ts';

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
