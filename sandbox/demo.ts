/**
 * The combined demo seed (`startSandbox({ seed: 'demo' })`, `npm run sandbox`). Its ids and
 * credentials are fixed here, and the tests, sandbox/main.ts, the README's demo and docs/sandbox.md
 * quote them, so change them together. At each MongoDB vendor the demo leaver
 * dana.leaver@example.com has a pending org invitation, a separate pending project invitation,
 * and an ACTIVE org membership that is also a project role and a team membership (the team also
 * holds sam.stays@example.com, who must stay). breakglass-admin@example.com is an org owner.
 */
import type { AtlasSeed } from './atlas/index.ts';
import type { CloudManagerSeed } from './cloudmanager/index.ts';
import { itwinDemoSeed } from './itwin/demo.ts';
import type { ItwinSeed } from './itwin/index.ts';

export interface SandboxSeed {
  itwin?: ItwinSeed;
  atlas?: AtlasSeed;
  cloudmanager?: CloudManagerSeed;
}

export const DEMO_LEAVER = 'dana.leaver@example.com';
export const DEMO_STAYER = 'sam.stays@example.com';
export const DEMO_BREAKGLASS = 'breakglass-admin@example.com';

export const CLOUD_MANAGER_DEMO = {
  orgId: '5f1a0000000000000000c001',
  projectId: '5f1a0000000000000000c101',
  teamId: '5f1a0000000000000000c201',
  publicKey: 'cmdemopub',
  privateKey: 'cm-demo-private-key-0001',
} as const;

export const ATLAS_DEMO = {
  orgId: '6a1b0000000000000000a001',
  projectId: '6a1b0000000000000000a101',
  teamId: '6a1b0000000000000000a201',
  clientId: 'mdb_sa_id_demo0001',
  clientSecret: 'mdb_sa_sk_demo-secret-0001',
  publicKey: 'atlasdemopub',
  privateKey: 'atlas-demo-private-key-0001',
} as const;

const OTHERS = ['alex.morgan', 'priya.natarajan', 'lee.chen', 'maria.garcia', 'tom.okafor'];

/** One MongoDB control plane's demo data; `p` is the 4-hex vendor prefix of every id. */
function mongoDemo(p: '5f1a' | '6a1b', ids: { orgId: string; projectId: string; teamId: string }) {
  const id = (tail: string) => `${p}0000000000000000${tail}`;
  const secondProject = id(p === '5f1a' ? 'c102' : 'a102');
  const createdAt = '2026-01-05T09:00:00Z';
  const seed: AtlasSeed = {
    orgs: [{ id: ids.orgId, name: 'Example Corp' }],
    projects: [
      { id: ids.projectId, orgId: ids.orgId, name: 'Production' },
      { id: secondProject, orgId: ids.orgId, name: 'Analytics' },
    ],
    teams: [
      {
        id: ids.teamId,
        orgId: ids.orgId,
        name: 'Platform Team',
        projectRoles: [{ groupId: ids.projectId, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] }],
      },
    ],
    users: [
      {
        id: id('d001'),
        username: DEMO_BREAKGLASS,
        firstName: 'Break',
        lastName: 'Glass',
        createdAt,
        orgRoles: [{ orgId: ids.orgId, roles: ['ORG_OWNER'] }],
      },
      {
        id: id('d002'),
        username: DEMO_STAYER,
        firstName: 'Sam',
        lastName: 'Stays',
        createdAt,
        orgRoles: [{ orgId: ids.orgId, roles: ['ORG_MEMBER'] }],
        projectRoles: [{ groupId: ids.projectId, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] }],
        teamIds: [ids.teamId],
      },
      {
        id: id('d003'),
        username: DEMO_LEAVER,
        firstName: 'Dana',
        lastName: 'Leaver',
        createdAt,
        orgRoles: [{ orgId: ids.orgId, roles: ['ORG_MEMBER'] }],
        projectRoles: [{ groupId: ids.projectId, roles: ['GROUP_OWNER'] }],
        teamIds: [ids.teamId],
      },
      ...OTHERS.map((name, n) => ({
        id: id(`d10${n}`),
        username: `${name}@example.com`,
        createdAt,
        orgRoles: [{ orgId: ids.orgId, roles: ['ORG_MEMBER'] }],
        projectRoles: n % 2 === 0 ? [{ groupId: secondProject, roles: ['GROUP_READ_ONLY'] }] : [],
      })),
    ],
    // Invitation times are relative to "now" (left out) so they do not expire in the demo.
    orgInvitations: [
      {
        id: id('e001'),
        orgId: ids.orgId,
        username: DEMO_LEAVER,
        roles: ['ORG_MEMBER'],
        inviterUsername: DEMO_BREAKGLASS,
      },
      {
        id: id('e002'),
        orgId: ids.orgId,
        username: 'new.hire@example.com',
        roles: ['ORG_MEMBER'],
        teamIds: [ids.teamId],
        inviterUsername: DEMO_BREAKGLASS,
      },
    ],
    groupInvitations: [
      {
        id: id('e101'),
        groupId: ids.projectId,
        username: DEMO_LEAVER,
        roles: ['GROUP_READ_ONLY'],
        inviterUsername: DEMO_BREAKGLASS,
      },
      {
        id: id('e102'),
        groupId: secondProject,
        username: 'contractor.kim@example.com',
        roles: ['GROUP_READ_ONLY'],
      },
    ],
  };
  return seed;
}

export const cloudManagerDemoSeed: CloudManagerSeed = {
  ...mongoDemo('5f1a', CLOUD_MANAGER_DEMO),
  apiKeys: [
    {
      publicKey: CLOUD_MANAGER_DEMO.publicKey,
      privateKey: CLOUD_MANAGER_DEMO.privateKey,
      roles: [{ orgId: CLOUD_MANAGER_DEMO.orgId, roleName: 'ORG_OWNER' }],
    },
  ],
};

export const atlasDemoSeed: AtlasSeed = {
  ...mongoDemo('6a1b', ATLAS_DEMO),
  apiKeys: [
    {
      publicKey: ATLAS_DEMO.publicKey,
      privateKey: ATLAS_DEMO.privateKey,
      roles: [{ orgId: ATLAS_DEMO.orgId, roleName: 'ORG_OWNER' }],
    },
  ],
  serviceAccounts: [
    {
      clientId: ATLAS_DEMO.clientId,
      clientSecret: ATLAS_DEMO.clientSecret,
      roles: [{ orgId: ATLAS_DEMO.orgId, roleName: 'ORG_OWNER' }],
    },
  ],
};

export const demoSeed: SandboxSeed = {
  itwin: itwinDemoSeed,
  atlas: atlasDemoSeed,
  cloudmanager: cloudManagerDemoSeed,
};

export const emptySeed: SandboxSeed = {};
