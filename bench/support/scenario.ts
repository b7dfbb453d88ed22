/**
 * Sandbox seeds and Leaver configurations for the benchmarks and the chaos run, built for any number
 * of tenants, plus the FEWEST VENDOR CALLS each job needs, computed from the vendors' APIs.
 *
 * Fewest calls for one subject in one tenant whose lists fit one page (our seeds keep them so):
 *
 *   iTwin (explicit iTwin ids, G groups per iTwin):
 *     1 token
 *     + discovery  per iTwin: member invitations, user members, owners, groups (members inline), and
 *                  each group's invitations                       = 4 + G
 *     + removal    1 DELETE per invitation / user member / owner; a group membership is a read of the
 *                  group's current member list + the PATCH that replaces it (the PATCH must name every
 *                  remaining member, so a safe removal needs the fresh read) + the read that verifies
 *                  the leaver is gone (a PATCH the vendor accepted is not proof)   = 3
 *     + verification: the discovery listings once more               = 4 + G
 *   Atlas (service account, P projects, T teams):
 *     1 token + discovery (org invites, org users, per project: invites + users, per team: users)
 *     = 2 + 2P + T, + 1 call per grant, + verification 2 + 2P + T
 *   Cloud Manager (HTTP Digest, P projects, T teams):
 *     1 Digest challenge (one 401 gives the nonce every later call reuses) + the same listings as
 *     Atlas: 2 + 2P + T, + 1 call per grant, + verification 2 + 2P + T
 *
 * A batch of leavers lists each tenant once for all of them, so per batch the listings are paid
 * once and the removals once per grant. Longer lists cost one call per page (iTwin 100 items,
 * MongoDB 500); the mass layoff's minimum (support/minimum.ts) counts the pages from the scenario's
 * list sizes, for the whole job (one discovery and one verification per scope).
 *
 * Per rate bucket (each tenant has its own: iTwin per OAuth client, Atlas per endpoint set x org,
 * Cloud Manager per API key; tokens and the Digest challenge count in none):
 *   iTwin: everything but the token = (4 + G) + removals + (4 + G)
 *   Atlas, per endpoint set x the org or project the path names (sandbox/atlas/rate-limits.ts):
 *          users@org: org users and each team's users, listed twice, + org user and team removals;
 *          users@project (each project): its users listed twice + the project user removal;
 *          invites@org and invites@project: the invitation list twice + the invitation removal
 *   Cloud Manager: everything but the challenge
 *
 * Longest chain of calls that must follow one another (x the latency of one call):
 *   iTwin: token, groups -> group invitations, invitations wave, memberships wave (group read ->
 *          PATCH -> verifying read), verification groups -> group invitations = 1 + 2 + 1 + 3 + 2 = 9
 *   Atlas / Cloud Manager: token or challenge, listings, invitations wave, project/team users wave,
 *          org user (last: removing it ends the others), verification = 1 + 1 + 1 + 1 + 1 + 1 = 6
 */
import type { LeaverConfigInput } from '../../lambdas/core/config.ts';
import type { SandboxSeed, SandboxUrls } from '../../sandbox/index.ts';
import { BENCH_WEBHOOK_SECRET, STANDARD_SOURCE } from './webhooks.ts';

type TenantInput = NonNullable<LeaverConfigInput['tenants']>[number];

export const LEAVER = 'lee.leaver@bench.example';
const stayer = (i: number) => `stayer${i}@bench.example`;

/** GUIDs and ObjectIds that encode (kind, n). */
export const guid = (kind: number, n: number) =>
  `b${kind.toString(16)}000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const oid = (prefix: '6a1b' | '5f1a', kind: number, n: number) =>
  `${prefix}${kind.toString(16).padStart(4, '0')}${n.toString(16).padStart(16, '0')}`;

export interface Scenario {
  seed: SandboxSeed;
  config: LeaverConfigInput;
  secrets: Record<string, unknown>;
  /** Grants the leavers hold, by vendor (the shared group's leavers included). */
  grants: { itwin: number; atlas: number; cloudmanager: number };
  leavers: string[];
  /** The iTwin group many leavers share (massLayoffScenario's `sharedGroup`): its id, who leaves, who stays. */
  group?: { itwinId: string; id: string; leavers: string[]; stayers: string[] };
}

/** Settings every benchmark shares: the standard webhook source; the blast-radius guard wide open. */
function baseConfig(tenants: TenantInput[], verifyRounds = 3): LeaverConfigInput {
  return {
    tenants,
    sources: [STANDARD_SOURCE],
    safety: {
      protectedDomains: ['apps.imsoidc.bentley.com'],
      // The share/rate guard is a safety setting, not what these runs measure.
      blastRadius: { maxOffboardings: 100_000, windowMinutes: 60, maxPercentOfPeople: 100 },
    },
    worker: { verifyRounds, batchSize: 10 },
  };
}

/** Fewest calls and longest chain per tenant of the single-leaver scenario (see the header). */
export const ONE_LEAVER_PER_TENANT = {
  itwin: {
    groups: 2,
    grants: 3,
    calls: 1 + (4 + 2) + (1 + 3 + 1) + (4 + 2),
    chain: 9,
    buckets: { itwin: 4 + 2 + (1 + 3 + 1) + (4 + 2) },
  },
  atlas: {
    grants: 5,
    calls: 1 + 5 + 5 + 5,
    chain: 6,
    // P = T = 1, per endpoint set x the org or project the path names: org users + team users
    // listings and removals (org scope), project users; org and project invitations.
    buckets: {
      'atlas:users@org': 2 + 2 + 2,
      'atlas:users@project': 1 + 1 + 1,
      'atlas:invites@org': 1 + 1 + 1,
      'atlas:invites@project': 1 + 1 + 1,
    },
  },
  cloudmanager: { grants: 5, calls: 1 + 5 + 5 + 5, chain: 6, buckets: { cloudmanager: 5 + 5 + 5 } },
} as const;

/**
 * One leaver with grants in every tenant of `n` tenants per vendor, each tenant its own
 * organisation / iTwin account with its own credentials.
 *   iTwin tenant k: one iTwin; the leaver is a user member (Contributor), in group "Engineers" with
 *     two colleagues, and has a pending invitation to group "Reviewers"; four colleagues stay.
 *   Atlas / Cloud Manager tenant k: one org, project, team; the leaver has a pending org invitation,
 *     a pending project invitation, and is an ACTIVE org user with a project role and the team;
 *     three colleagues stay.
 */
export function oneLeaverScenario(n: number, urls: SandboxUrls): Scenario {
  const stayers = [1, 2, 3, 4].map(stayer);
  const tenants: TenantInput[] = [];
  const secrets: Record<string, unknown> = { [STANDARD_SOURCE.secretName]: { secret: BENCH_WEBHOOK_SECRET } };
  const itwin: Required<NonNullable<SandboxSeed['itwin']>> = {
    organization: 'Bench Corp',
    users: [LEAVER, ...stayers].map((email) => ({ email })),
    clients: [],
    itwins: [],
    tokenLifetimeSeconds: 3600,
    rateLimitPerMinute: 5000,
    groupPatchMaxMembers: 50,
  };
  const mongo = (prefix: '6a1b' | '5f1a') => {
    const orgs = Array.from({ length: n }, (_, k) => ({ id: oid(prefix, 1, k), name: `Bench org ${k}` }));
    const projects = orgs.map((o, k) => ({ id: oid(prefix, 2, k), orgId: o.id, name: `Production ${k}` }));
    const teams = orgs.map((o, k) => ({
      id: oid(prefix, 3, k),
      orgId: o.id,
      name: `Platform ${k}`,
      projectRoles: [{ groupId: projects[k]!.id, roles: ['GROUP_DATA_ACCESS_READ_WRITE'] }],
    }));
    const person = (username: string, i: number) => ({
      id: oid(prefix, 4, i),
      username,
      orgRoles: orgs.map((o) => ({ orgId: o.id, roles: ['ORG_MEMBER'] })),
      projectRoles: projects.map((p) => ({ groupId: p.id, roles: ['GROUP_READ_ONLY'] })),
      teamIds: teams.map((t) => t.id),
    });
    return {
      orgs,
      projects,
      teams,
      users: [LEAVER, ...stayers.slice(0, 3)].map(person),
      orgInvitations: orgs.map((o, k) => ({ id: oid(prefix, 5, k), orgId: o.id, username: LEAVER })),
      groupInvitations: projects.map((p, k) => ({ id: oid(prefix, 6, k), groupId: p.id, username: LEAVER })),
    };
  };
  const atlas = mongo('6a1b');
  const cm = mongo('5f1a');
  const atlasServiceAccounts = [];
  const cmKeys = [];
  for (let k = 0; k < n; k++) {
    const itwinId = guid(1, k);
    const engineers = guid(2, k);
    const reviewers = guid(3, k);
    const clientId = `bench-itwin-${k}`;
    itwin.clients.push({
      clientId,
      clientSecret: `itwin-secret-${k}`,
      itwins: { [itwinId]: { owner: true } },
    });
    itwin.itwins.push({
      id: itwinId,
      displayName: `Bench iTwin ${k}`,
      members: [
        { email: LEAVER, roleIds: ['Contributor'] },
        ...stayers.map((email) => ({ email, roleIds: ['Read Access'] })),
      ],
      groups: [
        { id: engineers, name: 'Engineers', members: [LEAVER, stayers[0]!, stayers[1]!] },
        { id: reviewers, name: 'Reviewers', members: [stayers[2]!] },
      ],
      groupInvitations: [{ groupId: reviewers, email: LEAVER }],
    });
    tenants.push({
      id: `itwin-${k}`,
      vendor: 'itwin',
      baseUrl: urls.itwin.accessControl,
      tokenUrl: urls.itwin.token,
      secretName: `bench/itwin-${k}`,
      itwinIds: [itwinId],
    });
    secrets[`bench/itwin-${k}`] = { clientId, clientSecret: `itwin-secret-${k}` };

    const aOrg = atlas.orgs[k]!.id;
    atlasServiceAccounts.push({
      clientId: `mdb_sa_id_bench${k}`,
      clientSecret: `mdb_sa_sk_bench-${k}`,
      roles: [{ orgId: aOrg, roleName: 'ORG_OWNER' }],
    });
    tenants.push({
      id: `atlas-${k}`,
      vendor: 'atlas',
      baseUrl: urls.atlas.base,
      auth: 'service_account',
      tokenUrl: urls.atlas.token,
      secretName: `bench/atlas-${k}`,
      orgId: aOrg,
      projectIds: [atlas.projects[k]!.id],
      teamIds: [atlas.teams[k]!.id],
    });
    secrets[`bench/atlas-${k}`] = { clientId: `mdb_sa_id_bench${k}`, clientSecret: `mdb_sa_sk_bench-${k}` };

    const cOrg = cm.orgs[k]!.id;
    cmKeys.push({
      publicKey: `cmbench${k}`,
      privateKey: `cm-bench-key-${k}`,
      roles: [{ orgId: cOrg, roleName: 'ORG_OWNER' }],
    });
    tenants.push({
      id: `cloudmanager-${k}`,
      vendor: 'cloudmanager',
      baseUrl: urls.cloudmanager.base,
      secretName: `bench/cloudmanager-${k}`,
      orgId: cOrg,
      projectIds: [cm.projects[k]!.id],
      teamIds: [cm.teams[k]!.id],
    });
    secrets[`bench/cloudmanager-${k}`] = { publicKey: `cmbench${k}`, privateKey: `cm-bench-key-${k}` };
  }
  return {
    seed: {
      itwin,
      atlas: { ...atlas, serviceAccounts: atlasServiceAccounts },
      cloudmanager: { ...cm, apiKeys: cmKeys },
    },
    config: baseConfig(tenants),
    secrets,
    grants: {
      itwin: n * ONE_LEAVER_PER_TENANT.itwin.grants,
      atlas: n * ONE_LEAVER_PER_TENANT.atlas.grants,
      cloudmanager: n * ONE_LEAVER_PER_TENANT.cloudmanager.grants,
    },
    leavers: [LEAVER],
  };
}

export const massLeaver = (i: number) => `leaver${String(i).padStart(4, '0')}@bench.example`;

/**
 * A mass layoff: `leavers` people leave a company with one tenant at each vendor.
 *   iTwin: one iTwin; every leaver is a user member (plus `stayers` colleagues who stay).
 *   Atlas and Cloud Manager: one org with one project; every leaver is an ACTIVE org user with a
 *     project role (2 grants each: project user first, then the org user).
 * With `oneGrantEach`, each leaver holds one grant at one vendor instead, in turn: an iTwin user
 * membership, an Atlas org membership, a Cloud Manager org membership (a lighter load per leaver).
 */
export function massLayoffScenario(
  leavers: number,
  urls: SandboxUrls,
  opts: {
    stayers?: number;
    verifyRounds?: number;
    tenantRates?: Partial<Record<'itwin' | 'atlas' | 'cloudmanager', { perSecond: number; burst: number }>>;
    maxConcurrency?: number;
    /**
     * An iTwin group "Site Engineers" shared by `leavers` more people (engineerNN@bench.example, who
     * hold nothing else) and `stayers` colleagues who stay: one member list many removals rewrite.
     */
    sharedGroup?: { leavers: number; stayers: number };
    oneGrantEach?: boolean;
  } = {},
): Scenario {
  const people = Array.from({ length: leavers }, (_, i) => massLeaver(i));
  const staying = Array.from({ length: opts.stayers ?? 20 }, (_, i) => stayer(i));
  const itwinId = guid(9, 1);
  const shared = opts.sharedGroup
    ? {
        itwinId,
        id: guid(9, 2),
        leavers: Array.from(
          { length: opts.sharedGroup.leavers },
          (_, i) => `engineer${String(i + 1).padStart(2, '0')}@bench.example`,
        ),
        stayers: Array.from({ length: opts.sharedGroup.stayers }, (_, i) => `site-stayer${i}@bench.example`),
      }
    : undefined;
  const clientId = 'bench-itwin-mass';
  /** The leavers with access at the vendor with this turn (0 iTwin, 1 Atlas, 2 Cloud Manager). */
  const at = (turn: number) => (opts.oneGrantEach ? people.filter((_, i) => i % 3 === turn) : people);
  const mongo = (prefix: '6a1b' | '5f1a', turn: number) => {
    const orgId = oid(prefix, 1, 0xffff);
    const projectId = oid(prefix, 2, 0xffff);
    const here = at(turn);
    return {
      orgId,
      projectId,
      leavers: here.length,
      seed: {
        orgs: [{ id: orgId, name: 'Mass Corp' }],
        projects: [{ id: projectId, orgId, name: 'Production' }],
        users: [...here, ...staying].map((username, i) => ({
          id: oid(prefix, 7, i),
          username,
          orgRoles: [{ orgId, roles: ['ORG_MEMBER'] }],
          projectRoles:
            opts.oneGrantEach && i < here.length ? [] : [{ groupId: projectId, roles: ['GROUP_READ_ONLY'] }],
        })),
      },
    };
  };
  const atlas = mongo('6a1b', 1);
  const cm = mongo('5f1a', 2);
  const rate = opts.tenantRates ?? {};
  const conc = opts.maxConcurrency ?? 16;
  const tenants: TenantInput[] = [
    {
      id: 'itwin-mass',
      vendor: 'itwin',
      baseUrl: urls.itwin.accessControl,
      tokenUrl: urls.itwin.token,
      secretName: 'bench/itwin-mass',
      itwinIds: [itwinId],
      maxConcurrency: conc,
      ...(rate.itwin ? { rateLimit: rate.itwin } : {}),
    },
    {
      id: 'atlas-mass',
      vendor: 'atlas',
      baseUrl: urls.atlas.base,
      auth: 'service_account',
      tokenUrl: urls.atlas.token,
      secretName: 'bench/atlas-mass',
      orgId: atlas.orgId,
      projectIds: [atlas.projectId],
      maxConcurrency: conc,
      ...(rate.atlas ? { rateLimit: rate.atlas } : {}),
    },
    {
      id: 'cloudmanager-mass',
      vendor: 'cloudmanager',
      baseUrl: urls.cloudmanager.base,
      secretName: 'bench/cloudmanager-mass',
      orgId: cm.orgId,
      projectIds: [cm.projectId],
      maxConcurrency: conc,
      ...(rate.cloudmanager ? { rateLimit: rate.cloudmanager } : {}),
    },
  ];
  return {
    seed: {
      itwin: {
        organization: 'Mass Corp',
        users: [...people, ...staying, ...(shared ? [...shared.leavers, ...shared.stayers] : [])].map(
          (email) => ({ email }),
        ),
        clients: [{ clientId, clientSecret: 'itwin-mass-secret', itwins: { [itwinId]: { owner: true } } }],
        itwins: [
          {
            id: itwinId,
            displayName: 'Mass iTwin',
            members: [...at(0), ...staying].map((email) => ({ email, roleIds: ['Read Access'] })),
            groups: shared
              ? [{ id: shared.id, name: 'Site Engineers', members: [...shared.leavers, ...shared.stayers] }]
              : [],
          },
        ],
      },
      atlas: {
        ...atlas.seed,
        serviceAccounts: [
          {
            clientId: 'mdb_sa_id_mass',
            clientSecret: 'mdb_sa_sk_mass',
            roles: [{ orgId: atlas.orgId, roleName: 'ORG_OWNER' }],
          },
        ],
      },
      cloudmanager: {
        ...cm.seed,
        apiKeys: [
          {
            publicKey: 'cmmass',
            privateKey: 'cm-mass-key',
            roles: [{ orgId: cm.orgId, roleName: 'ORG_OWNER' }],
          },
        ],
      },
    },
    config: baseConfig(tenants, opts.verifyRounds ?? 3),
    secrets: {
      [STANDARD_SOURCE.secretName]: { secret: BENCH_WEBHOOK_SECRET },
      'bench/itwin-mass': { clientId, clientSecret: 'itwin-mass-secret' },
      'bench/atlas-mass': { clientId: 'mdb_sa_id_mass', clientSecret: 'mdb_sa_sk_mass' },
      'bench/cloudmanager-mass': { publicKey: 'cmmass', privateKey: 'cm-mass-key' },
    },
    grants: opts.oneGrantEach
      ? {
          itwin: at(0).length + (shared?.leavers.length ?? 0),
          atlas: atlas.leavers,
          cloudmanager: cm.leavers,
        }
      : { itwin: leavers + (shared?.leavers.length ?? 0), atlas: 2 * leavers, cloudmanager: 2 * leavers },
    leavers: people,
    ...(shared ? { group: shared } : {}),
  };
}
