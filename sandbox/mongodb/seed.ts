/** Seed document shared by the Atlas and Cloud Manager emulators (times are ISO-8601 strings). */
export interface RoleAssignment {
  orgId?: string;
  groupId?: string;
  roleName: string;
}

export interface MongoSeedUser {
  id?: string;
  username: string;
  firstName?: string;
  lastName?: string;
  country?: string;
  mobileNumber?: string;
  createdAt?: string;
  lastAuth?: string;
  orgRoles?: { orgId: string; roles: string[] }[];
  projectRoles?: { groupId: string; roles: string[] }[];
  teamIds?: string[];
}

export interface MongoSeedOrgInvitation {
  id?: string;
  orgId: string;
  username: string;
  inviterUsername?: string;
  /** Org roles (default `['ORG_MEMBER']`). */
  roles?: string[];
  teamIds?: string[];
  groupRoleAssignments?: { groupId: string; groupRole: string }[];
  createdAt?: string;
  /** Default createdAt + 30 days. */
  expiresAt?: string;
}

export interface MongoSeedGroupInvitation {
  id?: string;
  groupId: string;
  username: string;
  inviterUsername?: string;
  /** Project roles (default `['GROUP_READ_ONLY']`). */
  roles?: string[];
  createdAt?: string;
  expiresAt?: string;
}

export interface MongoSeed {
  orgs?: { id: string; name: string }[];
  projects?: { id: string; orgId: string; name: string }[];
  teams?: {
    id: string;
    orgId: string;
    name: string;
    projectRoles?: { groupId: string; roles: string[] }[];
  }[];
  users?: MongoSeedUser[];
  orgInvitations?: MongoSeedOrgInvitation[];
  groupInvitations?: MongoSeedGroupInvitation[];
  /** Programmatic API keys (HTTP Digest: publicKey = username, privateKey = password). */
  apiKeys?: { publicKey: string; privateKey: string; roles: RoleAssignment[] }[];
  /** Service accounts (OAuth2 client credentials; Atlas only). */
  serviceAccounts?: { clientId: string; clientSecret: string; roles: RoleAssignment[] }[];
}
