/**
 * A programmable fake Connector: grants per tenant, failures per tenant or grant, a simulated
 * "invitation accepted during the run" race, people-seen reports, hooks, and call counting.
 */
import type { TenantConfig } from '../../lambdas/core/config.ts';
import type { LeaverError } from '../../lambdas/core/errors.ts';
import {
  type Grant,
  type GrantFields,
  type GrantKind,
  grantKey,
  normaliseEmail,
  type Subject,
  type VendorId,
} from '../../lambdas/core/model.ts';
import type { Connector, ConnectorRegistry, Ctx, RevokeResult } from '../../lambdas/core/ports.ts';

export interface DiscoverCall {
  tenantId: string;
  emails: string[];
}
export interface RevokeCall {
  key: string;
  kind: GrantKind;
  tenantId: string;
  email: string;
}

export class FakeConnector implements Connector {
  /** tenant id -> grants present at the vendor. */
  readonly grants = new Map<string, Grant[]>();
  readonly discoverCalls: DiscoverCall[] = [];
  readonly revokeCalls: RevokeCall[] = [];
  /** Tenant id -> error every discover() of it throws. */
  readonly failDiscover = new Map<string, LeaverError>();
  /** Returns an error to throw for this grant's revoke (checked on each call). */
  failRevoke?: (grant: Grant) => LeaverError | undefined;
  /** Tenant id -> people count reported through ctx.onPeopleSeen. */
  readonly peopleSeen = new Map<string, number>();
  /** Runs (and is awaited) before each revoke (e.g. to advance the clock). */
  beforeRevoke?: (grant: Grant) => unknown;
  /** Invitation key -> membership that replaces it right after the next discover (accepted meanwhile). */
  readonly acceptAfterDiscover = new Map<string, Grant>();
  private requestN = 0;

  constructor(readonly vendor: VendorId) {}

  add(...grants: Grant[]): this {
    for (const g of grants) this.grants.set(g.tenantId, [...(this.grants.get(g.tenantId) ?? []), g]);
    return this;
  }

  has(grant: Grant): boolean {
    const key = grantKey(grant);
    return (this.grants.get(grant.tenantId) ?? []).some((g) => grantKey(g) === key);
  }

  remaining(): Grant[] {
    return [...this.grants.values()].flat();
  }

  revokeCount(grant: Grant): number {
    const key = grantKey(grant);
    return this.revokeCalls.filter((c) => c.key === key).length;
  }

  async discover(subjects: readonly Subject[], tenant: TenantConfig, ctx: Ctx): Promise<Grant[]> {
    const emails = new Set(subjects.flatMap((s) => [s.email, ...s.aliases]).map(normaliseEmail));
    this.discoverCalls.push({ tenantId: tenant.id, emails: [...emails].sort() });
    const err = this.failDiscover.get(tenant.id);
    if (err) throw err;
    const people = this.peopleSeen.get(tenant.id);
    if (people !== undefined) ctx.onPeopleSeen?.({ vendor: this.vendor, tenantId: tenant.id, people });
    const found = (this.grants.get(tenant.id) ?? []).filter((g) => emails.has(normaliseEmail(g.email)));
    for (const [invKey, membership] of [...this.acceptAfterDiscover]) {
      const list = this.grants.get(membership.tenantId) ?? [];
      const i = list.findIndex((g) => grantKey(g) === invKey);
      if (i < 0) continue;
      list.splice(i, 1, membership);
      this.acceptAfterDiscover.delete(invKey);
    }
    return structuredClone(found);
  }

  async revoke(grant: Grant, tenant: TenantConfig, _ctx: Ctx): Promise<RevokeResult> {
    const key = grantKey(grant);
    this.revokeCalls.push({ key, kind: grant.kind, tenantId: tenant.id, email: grant.email });
    await this.beforeRevoke?.(grant);
    const err = this.failRevoke?.(grant);
    if (err) throw err;
    const list = this.grants.get(tenant.id) ?? [];
    const i = list.findIndex((g) => grantKey(g) === key);
    const vendorRequestId = `req-${this.vendor}-${++this.requestN}`;
    if (i < 0) return { outcome: 'already_absent', vendorRequestId, attempts: 1 };
    list.splice(i, 1);
    return { outcome: 'revoked', vendorRequestId, attempts: 1 };
  }
}

export function fakeRegistry(): ConnectorRegistry & Record<VendorId, FakeConnector> {
  return {
    itwin: new FakeConnector('itwin'),
    atlas: new FakeConnector('atlas'),
    cloudmanager: new FakeConnector('cloudmanager'),
  };
}

let counter = 0;
const hex24 = (n: number) => n.toString(16).padStart(24, '0');
const guid = (n: number) => `7c0f0a3e-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export const ITWIN_ID = '7c0f0a3e-0000-4000-8000-000000000001';
export const ATLAS_ORG = '6a1b0000000000000000a001';
export const CM_ORG = '5f1a0000000000000000c001';

/** Grant builders with valid ids (fresh ids on each call). */
export const grants = {
  itwinInvitation: (email: string): Grant => ({
    vendor: 'itwin',
    tenantId: 'itwin-main',
    kind: 'itwin_member_invitation',
    email,
    ids: { itwinId: ITWIN_ID, invitationId: guid(1000 + ++counter) },
  }),
  itwinMember: (email: string, extra: Partial<GrantFields> = {}): Grant => ({
    vendor: 'itwin',
    tenantId: 'itwin-main',
    kind: 'itwin_user_member',
    email,
    ids: { itwinId: ITWIN_ID, memberId: guid(2000 + ++counter) },
    ...extra,
  }),
  itwinOwner: (email: string, extra: Partial<GrantFields> = {}): Grant => ({
    vendor: 'itwin',
    tenantId: 'itwin-main',
    kind: 'itwin_owner_member',
    email,
    ids: { itwinId: ITWIN_ID, memberId: guid(3000 + ++counter) },
    ...extra,
  }),
  atlasInvitation: (email: string): Grant => ({
    vendor: 'atlas',
    tenantId: 'atlas-main',
    kind: 'atlas_org_invitation',
    email,
    ids: { orgId: ATLAS_ORG, invitationId: hex24(0xa000 + ++counter) },
  }),
  atlasTeamUser: (email: string): Grant => ({
    vendor: 'atlas',
    tenantId: 'atlas-main',
    kind: 'atlas_team_user',
    email,
    ids: { orgId: ATLAS_ORG, teamId: hex24(0xb000 + ++counter), userId: hex24(0xc000 + counter) },
    order: 1,
  }),
  atlasOrgUser: (email: string): Grant => ({
    vendor: 'atlas',
    tenantId: 'atlas-main',
    kind: 'atlas_org_user',
    email,
    ids: { orgId: ATLAS_ORG, userId: hex24(0xd000 + ++counter) },
    order: 9,
  }),
  cmInvitation: (email: string): Grant => ({
    vendor: 'cloudmanager',
    tenantId: 'cm-main',
    kind: 'cloudmanager_org_invitation',
    email,
    ids: { orgId: CM_ORG, invitationId: hex24(0xe000 + ++counter) },
  }),
  cmOrgUser: (email: string): Grant => ({
    vendor: 'cloudmanager',
    tenantId: 'cm-main',
    kind: 'cloudmanager_org_user',
    email,
    ids: { orgId: CM_ORG, userId: hex24(0xf000 + ++counter) },
  }),
};
