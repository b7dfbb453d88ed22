/**
 * Per-vendor drivers for the connector contract suite: tenant config on the sandbox, secrets,
 * seeds, and readers of the sandbox's own state (assertions never trust the connector's report).
 */
import type { TenantConfig } from '../../../lambdas/core/config.ts';
import { parseConfig } from '../../../lambdas/core/config.ts';
import type { GrantKind, VendorId } from '../../../lambdas/core/model.ts';
import {
  ATLAS_DEMO,
  atlasDemoSeed,
  CLOUD_MANAGER_DEMO,
  cloudManagerDemoSeed,
} from '../../../sandbox/demo.ts';
import type { Sandbox } from '../../../sandbox/index.ts';
import { DEMO_ITWIN_1, itwinDemoSeed } from '../../../sandbox/itwin/demo.ts';

export const DANA = 'dana.leaver@example.com';
export const SAM = 'sam.stays@example.com';

export interface Driver {
  vendor: VendorId;
  secretName: string;
  secret: Record<string, string>;
  rotatedSecret: Record<string, string>;
  tenant(sb: Sandbox, extra?: Record<string, unknown>): TenantConfig;
  /** The whole seed document with this vendor's demo data (others empty). */
  seed(opts?: { rotated?: boolean }): Record<string, unknown>;
  /** What the sandbox state says `email` holds at this vendor: `kind@scope` strings. */
  holdings(sb: Sandbox, email: string): string[];
  /** Kinds the connector must find for the demo leaver. */
  demoKinds: GrantKind[];
  /** Adds `n` people to a paged listing; `extra` (an email) joins last. */
  addMany(sb: Sandbox, n: number, extra: string): void;
  /** Creates a pending invitation for `email` (a new person); returns nothing. */
  invite(sb: Sandbox, email: string): void;
  /** Accepts `email`'s invitation through the control plane (the accept race). */
  accept(sb: Sandbox, invitationId: string): void;
  invitationKind: GrantKind;
  acceptedKind: GrantKind;
  /** Request-log path of this vendor's API (below the vendor root), for filters. */
  apiPath: string;
  /** Page size the connector asks for, so addMany can force several pages. */
  pageSize: number;
}

const lc = (s: string) => s.toLowerCase();

interface MongoState {
  users: Array<{
    id: string;
    username: string;
    orgRoles: Array<{ orgId: string; roles: string[] }>;
    projectRoles: Array<{ groupId: string; roles: string[] }>;
    teamIds: string[];
  }>;
  orgInvitations: Array<{ id: string; username: string; status: string }>;
  groupInvitations: Array<{ id: string; username: string; groupId: string; status: string }>;
}

function mongoHoldings(
  state: MongoState,
  email: string,
  ids: { projectId: string; teamId: string },
): string[] {
  const out: string[] = [];
  const e = lc(email);
  for (const u of state.users.filter((x) => lc(x.username) === e)) {
    if (u.orgRoles.length > 0) out.push('org_user');
    if (u.projectRoles.some((r) => r.groupId === ids.projectId)) out.push('project_user');
    if (u.teamIds.includes(ids.teamId)) out.push('team_user');
  }
  for (const i of state.orgInvitations)
    if (lc(i.username) === e && i.status === 'PENDING') out.push('org_invitation');
  for (const i of state.groupInvitations)
    if (lc(i.username) === e && i.status === 'PENDING') out.push('project_invitation');
  return out.sort();
}

function mongoDriver(vendor: 'atlas' | 'cloudmanager'): Driver {
  const demo = vendor === 'atlas' ? ATLAS_DEMO : CLOUD_MANAGER_DEMO;
  const baseSeed = vendor === 'atlas' ? atlasDemoSeed : cloudManagerDemoSeed;
  const secret: Record<string, string> =
    vendor === 'atlas'
      ? { clientId: ATLAS_DEMO.clientId, clientSecret: ATLAS_DEMO.clientSecret }
      : { publicKey: CLOUD_MANAGER_DEMO.publicKey, privateKey: CLOUD_MANAGER_DEMO.privateKey };
  const rotatedSecret: Record<string, string> =
    vendor === 'atlas'
      ? { clientId: ATLAS_DEMO.clientId, clientSecret: 'mdb_sa_sk_rotated-0002' }
      : { publicKey: CLOUD_MANAGER_DEMO.publicKey, privateKey: 'cm-rotated-private-key-0002' };
  return {
    vendor,
    secretName: `leaver/${vendor}`,
    secret,
    rotatedSecret,
    tenant: (sb, extra = {}) =>
      parseConfig({
        tenants: [
          {
            id: `${vendor}-demo`,
            vendor,
            baseUrl: vendor === 'atlas' ? sb.urls.atlas.base : sb.urls.cloudmanager.base,
            ...(vendor === 'atlas' ? { tokenUrl: sb.urls.atlas.token } : {}),
            secretName: `leaver/${vendor}`,
            orgId: demo.orgId,
            projectIds: [demo.projectId],
            teamIds: [demo.teamId],
            ...extra,
          },
        ],
      }).tenants[0]!,
    seed: ({ rotated } = {}) => {
      let s = baseSeed;
      if (rotated && vendor === 'atlas')
        s = {
          ...s,
          serviceAccounts: s.serviceAccounts!.map((a) => ({
            ...a,
            clientSecret: rotatedSecret.clientSecret!,
          })),
        };
      if (rotated && vendor === 'cloudmanager')
        s = { ...s, apiKeys: s.apiKeys!.map((k) => ({ ...k, privateKey: rotatedSecret.privateKey! })) };
      return { [vendor]: s };
    },
    holdings: (sb, email) =>
      mongoHoldings(sb.control.state(vendor) as MongoState, email, {
        projectId: demo.projectId,
        teamId: demo.teamId,
      }),
    demoKinds:
      vendor === 'atlas'
        ? [
            'atlas_org_invitation',
            'atlas_project_invitation',
            'atlas_org_user',
            'atlas_project_user',
            'atlas_team_user',
          ]
        : [
            'cloudmanager_org_invitation',
            'cloudmanager_project_invitation',
            'cloudmanager_org_user',
            'cloudmanager_project_user',
            'cloudmanager_team_user',
          ],
    addMany: (sb, n, extra) => {
      const emails = [...Array.from({ length: n }, (_, i) => `bulk${i}@example.com`), extra];
      for (const username of emails)
        sb.control.vendorAction(vendor, 'add-user', {
          username,
          orgRoles: [{ orgId: demo.orgId, roles: ['ORG_MEMBER'] }],
        });
    },
    invite: (sb, email) => {
      sb.control.vendorAction(vendor, 'add-org-invitation', { orgId: demo.orgId, username: email });
    },
    accept: (sb, invitationId) => {
      sb.control.vendorAction(vendor, 'accept-invitation', { invitationId });
    },
    invitationKind: vendor === 'atlas' ? 'atlas_org_invitation' : 'cloudmanager_org_invitation',
    acceptedKind: vendor === 'atlas' ? 'atlas_org_user' : 'cloudmanager_org_user',
    apiPath: vendor === 'atlas' ? '^/api/atlas/v2/' : '^/api/public/v1.0/',
    pageSize: 500,
  };
}

interface ItwinState {
  itwins: Array<{
    id: string;
    members: Array<{ email: string }>;
    owners: Array<{ email: string }>;
    groups: Array<{ id: string; members: Array<{ email: string }>; memberRoleIds: string[] | null }>;
    invitations: Array<{ id: string; email: string }>;
    groupInvitations: Array<{ id: string; email: string }>;
  }>;
}

export function itwinState(sb: Sandbox): ItwinState {
  return sb.control.state('itwin') as ItwinState;
}

const itwinDriver: Driver = {
  vendor: 'itwin',
  secretName: 'leaver/itwin',
  secret: { clientId: 'service-leaver-demo', clientSecret: 'itwin-demo-secret-0001' },
  rotatedSecret: { clientId: 'service-leaver-demo', clientSecret: 'itwin-rotated-secret-0002' },
  tenant: (sb, extra = {}) =>
    parseConfig({
      tenants: [
        {
          id: 'itwin-demo',
          vendor: 'itwin',
          baseUrl: sb.urls.itwin.accessControl,
          tokenUrl: sb.urls.itwin.token,
          secretName: 'leaver/itwin',
          itwinIds: 'all',
          itwinsUrl: sb.urls.itwin.itwins,
          ...extra,
        },
      ],
    }).tenants[0]!,
  seed: ({ rotated } = {}) => ({
    itwin: rotated
      ? {
          ...itwinDemoSeed,
          clients: itwinDemoSeed.clients!.map((c) => ({ ...c, clientSecret: 'itwin-rotated-secret-0002' })),
        }
      : itwinDemoSeed,
  }),
  holdings: (sb, email) => {
    const e = lc(email);
    const out: string[] = [];
    for (const t of itwinState(sb).itwins) {
      const n = t.id.slice(-1);
      if (t.invitations.some((i) => lc(i.email) === e)) out.push(`member_invitation@${n}`);
      if (t.members.some((m) => lc(m.email) === e)) out.push(`user_member@${n}`);
      if (t.owners.some((m) => lc(m.email) === e)) out.push(`owner_member@${n}`);
      for (const g of t.groups)
        if (g.members.some((m) => lc(m.email) === e)) out.push(`group_membership@${n}:${g.id.slice(-3)}`);
      if (t.groupInvitations.some((i) => lc(i.email) === e)) out.push(`group_invitation@${n}`);
    }
    return out.sort();
  },
  demoKinds: [
    'itwin_member_invitation',
    'itwin_group_invitation',
    'itwin_user_member',
    'itwin_owner_member',
    'itwin_group_membership',
  ],
  addMany: (sb, n, extra) => {
    const emails = [...Array.from({ length: n }, (_, i) => `bulk${i}@example.com`), extra];
    for (const email of emails) {
      sb.control.vendorAction('itwin', 'add-user', { email });
      sb.control.vendorAction('itwin', 'add-member', {
        itwinId: DEMO_ITWIN_1,
        email,
        roleIds: ['Read Access'],
      });
    }
  },
  invite: (sb, email) => {
    sb.control.vendorAction('itwin', 'add-invitation', {
      itwinId: DEMO_ITWIN_1,
      email,
      roleIds: ['Read Access'],
    });
  },
  accept: (sb, invitationId) => {
    sb.control.vendorAction('itwin', 'accept-invitation', { itwinId: DEMO_ITWIN_1, invitationId });
  },
  invitationKind: 'itwin_member_invitation',
  acceptedKind: 'itwin_user_member',
  apiPath: '^/accesscontrol/',
  pageSize: 100,
};

export const DRIVERS: Driver[] = [mongoDriver('cloudmanager'), mongoDriver('atlas'), itwinDriver];
