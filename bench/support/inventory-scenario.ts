/**
 * The inventory benchmark's scenario (issue 14): one iTwin service client at 5,000 calls a minute
 * that sees 1,000 iTwins (20 members and 3 groups each, itself an owner of each so it sees every
 * invitation), one Atlas organisation with 50 projects and 20 teams, one Cloud Manager
 * organisation with 50 projects; 40 ms a vendor call (added by the benchmark).
 *
 * The leaver: a user member of 30 iTwins and in one group of each, with pending invitations to 5
 * more iTwins and to 2 groups; in Atlas an ACTIVE org user in 5 projects and 2 teams with a pending
 * project invitation; in Cloud Manager an org user in 5 projects with a pending org invitation.
 *
 * Fewest calls of one full listing (sync or verification), each list one page:
 *   iTwin: ceil(1000 / 100) iTwin pages + 1000 x (invitations, users, owners, groups + 3 group
 *          invitations) = 10 + 7,000
 *   Atlas: org invites, org users, 50 x (project invites, project users), 20 team users = 122
 *   Cloud Manager: org invites, org users, 50 x (project invites, project users) = 102
 */
import type { LeaverConfigInput } from '../../lambdas/core/config.ts';
import type { SandboxSeed, SandboxUrls } from '../../sandbox/index.ts';
import { guid } from './scenario.ts';
import { BENCH_WEBHOOK_SECRET, STANDARD_SOURCE } from './webhooks.ts';

export const INVENTORY_LEAVER = 'ivy.leaver@bench.example';
const person = (i: number) => `person${String(i).padStart(5, '0')}@bench.example`;
const oid = (prefix: '6a1b' | '5f1a', kind: number, n: number) =>
  `${prefix}${kind.toString(16).padStart(4, '0')}${n.toString(16).padStart(16, '0')}`;

export const INVENTORY_SHAPE = {
  itwins: 1000,
  membersPerItwin: 20,
  groupsPerItwin: 3,
  projects: 50,
  teams: 20,
  mongoPeople: 300,
} as const;

/** The vendors' limits in the sandbox (and, as an operator would configure them, the tenants'). */
export const INVENTORY_RATES = {
  /** 5,000 calls a minute per client: the sandbox's bucket holds a minute's worth. */
  itwin: { capacity: 5000, refillPerSecond: 5000 / 60 },
  /** The sandbox's default Atlas bucket per endpoint set and scope. */
  atlas: { capacity: 100, refillPerSecond: 10 },
  cloudmanager: { capacity: 100, refillPerSecond: 10 },
} as const;

/** Fewest calls of one listing of every tenant, per vendor bucket (see the header). */
export function listingCalls(): { itwin: number; atlas: number; cloudmanager: number } {
  const s = INVENTORY_SHAPE;
  return {
    itwin: Math.ceil(s.itwins / 100) + s.itwins * (4 + s.groupsPerItwin),
    atlas: 2 + 2 * s.projects + s.teams,
    cloudmanager: 2 + 2 * s.projects,
  };
}

export interface InventoryScenario {
  seed: SandboxSeed;
  config: LeaverConfigInput;
  secrets: Record<string, unknown>;
  /** Grants the leaver holds, by vendor. */
  grants: { itwin: number; atlas: number; cloudmanager: number };
}

export function inventoryScenario(urls: SandboxUrls, rateShare = 0.5): InventoryScenario {
  const s = INVENTORY_SHAPE;
  const clientId = 'bench-inventory-client';
  const itwinIds = Array.from({ length: s.itwins }, (_, k) => guid(10, k));
  let next = 0;
  const pool = () => person(next++ % 2000);
  const itwins = itwinIds.map((id, k) => {
    const members = Array.from({ length: s.membersPerItwin }, pool);
    // The leaver replaces a member in the first 30 iTwins.
    if (k < 30) members[0] = INVENTORY_LEAVER;
    const groups = Array.from({ length: s.groupsPerItwin }, (_, g) => ({
      id: guid(11 + g, k),
      name: `Group ${g}`,
      members: members.slice(g * 5, g * 5 + 5),
    }));
    const invitations = k >= 30 && k < 35 ? [{ email: INVENTORY_LEAVER, roleIds: ['Read Access'] }] : [];
    const groupInvitations = k >= 35 && k < 37 ? [{ groupId: groups[1]!.id, email: INVENTORY_LEAVER }] : [];
    return {
      id,
      displayName: `Site ${k}`,
      members: members.map((email) => ({ email, roleIds: ['Read Access'] })),
      groups,
      invitations,
      groupInvitations,
    };
  });
  const users = new Set<string>([INVENTORY_LEAVER]);
  for (const t of itwins) for (const m of t.members) users.add(m.email);

  const mongo = (prefix: '6a1b' | '5f1a', teams: number) => {
    const orgId = oid(prefix, 1, 0xaaaa);
    const projects = Array.from({ length: s.projects }, (_, i) => ({
      id: oid(prefix, 2, i),
      orgId,
      name: `Project ${i}`,
    }));
    const teamList = Array.from({ length: teams }, (_, i) => ({
      id: oid(prefix, 3, i),
      orgId,
      name: `Team ${i}`,
    }));
    const people = [INVENTORY_LEAVER, ...Array.from({ length: s.mongoPeople - 1 }, (_, i) => person(i))];
    const mongoUsers = people.map((username, i) => ({
      id: oid(prefix, 7, i),
      username,
      orgRoles: [{ orgId, roles: ['ORG_MEMBER'] }],
      projectRoles: Array.from({ length: 5 }, (_, j) => ({
        groupId: projects[(i * 7 + j) % s.projects]!.id,
        roles: ['GROUP_READ_ONLY'],
      })),
      teamIds: teams > 0 ? [teamList[i % teams]!.id, teamList[(i + 1) % teams]!.id] : [],
    }));
    return { orgId, projects, teams: teamList, users: mongoUsers };
  };
  const atlas = mongo('6a1b', s.teams);
  const cm = mongo('5f1a', 0);
  const rate = (r: { capacity: number; refillPerSecond: number }) => ({
    perSecond: r.refillPerSecond,
    burst: r.capacity,
  });
  const config: LeaverConfigInput = {
    tenants: [
      {
        id: 'itwin-org',
        vendor: 'itwin',
        baseUrl: urls.itwin.accessControl,
        tokenUrl: urls.itwin.token,
        secretName: 'bench/itwin-org',
        itwinIds: 'all',
        itwinsUrl: urls.itwin.itwins,
        rateLimit: rate(INVENTORY_RATES.itwin),
        maxConcurrency: 32,
      },
      {
        id: 'atlas-org',
        vendor: 'atlas',
        baseUrl: urls.atlas.base,
        auth: 'service_account',
        tokenUrl: urls.atlas.token,
        secretName: 'bench/atlas-org',
        orgId: atlas.orgId,
        projectIds: atlas.projects.map((p) => p.id),
        teamIds: atlas.teams.map((t) => t.id),
        rateLimit: rate(INVENTORY_RATES.atlas),
      },
      {
        id: 'cloudmanager-org',
        vendor: 'cloudmanager',
        baseUrl: urls.cloudmanager.base,
        secretName: 'bench/cloudmanager-org',
        orgId: cm.orgId,
        projectIds: cm.projects.map((p) => p.id),
        rateLimit: rate(INVENTORY_RATES.cloudmanager),
      },
    ],
    sources: [STANDARD_SOURCE],
    safety: {
      protectedDomains: ['apps.imsoidc.bentley.com'],
      blastRadius: { maxOffboardings: 100_000, windowMinutes: 60, maxPercentOfPeople: 100 },
    },
    inventory: { rateShare },
  };
  return {
    seed: {
      itwin: {
        organization: 'Bench Org',
        users: [...users].map((email) => ({ email })),
        clients: [
          {
            clientId,
            clientSecret: 'bench-inventory-secret',
            itwins: Object.fromEntries(itwinIds.map((id) => [id, { owner: true }])),
          },
        ],
        itwins,
        rateLimitPerMinute: 5000,
      },
      atlas: {
        orgs: [{ id: atlas.orgId, name: 'Bench Org' }],
        projects: atlas.projects,
        teams: atlas.teams,
        users: atlas.users,
        orgInvitations: [],
        groupInvitations: [{ groupId: atlas.projects[40]!.id, username: INVENTORY_LEAVER }],
        serviceAccounts: [
          {
            clientId: 'mdb_sa_id_inventory',
            clientSecret: 'mdb_sa_sk_inventory',
            roles: [{ orgId: atlas.orgId, roleName: 'ORG_OWNER' }],
          },
        ],
      },
      cloudmanager: {
        orgs: [{ id: cm.orgId, name: 'Bench Org' }],
        projects: cm.projects,
        users: cm.users,
        orgInvitations: [{ orgId: cm.orgId, username: 'newcomer@bench.example' }],
        groupInvitations: [{ groupId: cm.projects[41]!.id, username: INVENTORY_LEAVER }],
        apiKeys: [
          {
            publicKey: 'cminventory',
            privateKey: 'cm-inventory-key',
            roles: [{ orgId: cm.orgId, roleName: 'ORG_OWNER' }],
          },
        ],
      },
    },
    config,
    secrets: {
      [STANDARD_SOURCE.secretName]: { secret: BENCH_WEBHOOK_SECRET },
      'bench/itwin-org': { clientId, clientSecret: 'bench-inventory-secret' },
      'bench/atlas-org': { clientId: 'mdb_sa_id_inventory', clientSecret: 'mdb_sa_sk_inventory' },
      'bench/cloudmanager-org': { publicKey: 'cminventory', privateKey: 'cm-inventory-key' },
    },
    // iTwin: 30 memberships, 30 group memberships, 5 invitations, 2 group invitations. Atlas: org
    // user, 5 projects, 2 teams, 1 invitation. Cloud Manager: org user, 5 projects, 1 invitation.
    grants: { itwin: 30 + 30 + 5 + 2, atlas: 1 + 5 + 2 + 1, cloudmanager: 1 + 5 + 1 },
  };
}
