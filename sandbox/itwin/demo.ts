/**
 * iTwin demo data (ids and credentials shared with local/demo-config.json and local/secrets.json). The demo leaver
 * dana.leaver@example.com holds every iTwin grant kind:
 *
 * iTwin 1 "Bridge Retrofit": user member (Contributor + Read Access); owner together with the
 *   service app; in group "Site Engineers" (51 users incl. sam.stays, an iTwin member group; dana is
 *   the 51st user, so only GET /groups with $top/$skip shows her) and in group "Design Reviewers"
 *   (small);
 *   one pending member invitation.
 * iTwin 2 "Tunnel Survey": the ONLY owner (a connector must skip her as last owner); one pending
 *   member invitation and one pending group-member invitation (group "Survey Team").
 *   The service app is not an owner here: it is an Organization Administrator (sees every
 *   invitation, all permissions) and a user member with the Administrator role.
 *
 * breakglass-admin@example.com is an Administrator member of both iTwins.
 */
import type { ItwinSeed } from './types.ts';

export const DEMO_ITWIN_1 = '7c0f0a3e-0000-4000-8000-000000000001';
export const DEMO_ITWIN_2 = '7c0f0a3e-0000-4000-8000-000000000002';
export const DEMO_GROUP_ENGINEERS = '7c0f0a3e-0000-4000-8000-000000000101';
export const DEMO_GROUP_REVIEWERS = '7c0f0a3e-0000-4000-8000-000000000102';
export const DEMO_GROUP_SURVEY = '7c0f0a3e-0000-4000-8000-000000000201';
export const DEMO_INVITATION_DANA_1 = '7c0f0a3e-0000-4000-8000-000000001001';
export const DEMO_INVITATION_CONTRACTOR_1 = '7c0f0a3e-0000-4000-8000-000000001002';
export const DEMO_INVITATION_DANA_2 = '7c0f0a3e-0000-4000-8000-000000002001';
export const DEMO_GROUP_INVITATION_DANA_2 = '7c0f0a3e-0000-4000-8000-000000002101';
export const DEMO_CLIENT_ID = 'service-leaver-demo';
export const DEMO_CLIENT_SECRET = 'itwin-demo-secret-0001';
export const DEMO_CLIENT_EMAIL = 'service-leaver-demo@apps.imsoidc.bentley.com';

const DANA = 'dana.leaver@example.com';
const SAM = 'sam.stays@example.com';
const BREAKGLASS = 'breakglass-admin@example.com';
// 51 members: dana is the 51st, beyond the 50 a plain group listing returns, and the PATCH that
// removes her carries exactly the 50 emails the vendor accepts.
const engineers = Array.from(
  { length: 49 },
  (_, i) => `engineer${String(i + 1).padStart(2, '0')}@example.com`,
);

export const itwinDemoSeed: ItwinSeed = {
  organization: 'Example Corp',
  users: [
    { email: DANA, givenName: 'Dana', surname: 'Leaver' },
    { email: SAM, givenName: 'Sam', surname: 'Stays' },
    { email: BREAKGLASS, givenName: 'Breakglass', surname: 'Admin' },
    { email: 'contractor@partner.example', givenName: 'Casey', surname: 'Contractor', internal: false },
  ],
  clients: [
    {
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      email: DEMO_CLIENT_EMAIL,
      orgAdmin: true,
      itwins: {
        [DEMO_ITWIN_1]: { owner: true },
        [DEMO_ITWIN_2]: { roleIds: ['Administrator'] },
      },
    },
  ],
  itwins: [
    {
      id: DEMO_ITWIN_1,
      displayName: 'Bridge Retrofit',
      number: 'BR-001',
      owners: [DANA],
      members: [
        { email: DANA, roleIds: ['Contributor', 'Read Access'] },
        { email: SAM, roleIds: ['Read Access'] },
        { email: BREAKGLASS, roleIds: ['Administrator'] },
      ],
      groups: [
        {
          id: DEMO_GROUP_ENGINEERS,
          name: 'Site Engineers',
          description: 'Everyone on site',
          members: [SAM, ...engineers, DANA],
          memberRoleIds: ['Contributor'],
        },
        {
          id: DEMO_GROUP_REVIEWERS,
          name: 'Design Reviewers',
          description: 'Review board',
          members: [DANA, SAM],
          memberRoleIds: ['Read Access'],
        },
      ],
      invitations: [
        { id: DEMO_INVITATION_DANA_1, email: DANA, roleIds: ['Administrator'], invitedByEmail: BREAKGLASS },
        {
          id: DEMO_INVITATION_CONTRACTOR_1,
          email: 'contractor@partner.example',
          roleIds: ['Read Access'],
          invitedByEmail: BREAKGLASS,
        },
      ],
    },
    {
      id: DEMO_ITWIN_2,
      displayName: 'Tunnel Survey',
      number: 'TS-002',
      owners: [DANA],
      members: [
        { email: SAM, roleIds: ['Contributor'] },
        { email: BREAKGLASS, roleIds: ['Administrator'] },
      ],
      groups: [{ id: DEMO_GROUP_SURVEY, name: 'Survey Team', description: 'Surveyors', members: [SAM] }],
      invitations: [
        { id: DEMO_INVITATION_DANA_2, email: DANA, roleIds: ['Contributor'], invitedByEmail: SAM },
      ],
      groupInvitations: [
        { id: DEMO_GROUP_INVITATION_DANA_2, groupId: DEMO_GROUP_SURVEY, email: DANA, invitedByEmail: SAM },
      ],
    },
  ],
};
