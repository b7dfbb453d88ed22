/**
 * The vendor manifest: every vendor and grant kind described once, with valid formats, and what is
 * derived from it. The `@ts-expect-error` lines are checked by `tsc --noEmit` (test/ is in its
 * include): each must stay a compile error, or the type check fails.
 */
import { describe, expect, it } from 'vitest';
import { type Grant, type GrantOf, grantOf, grantPhase } from '../../../lambdas/core/model.ts';
import { assertGrantIds, GRANT_ID_KEYS, idFormatOf, vendorOfKind } from '../../../lambdas/core/vendor-ids.ts';
import {
  assertNever,
  GRANT_KIND_MANIFEST,
  GRANT_KIND_NAMES,
  type GrantIdsOf,
  type GrantKind,
  type GrantKindSpec,
  ID_FORMATS,
  VENDOR_MANIFEST,
  VENDORS,
  type VendorId,
  type VendorSpec,
} from '../../../lambdas/core/vendor-manifest.ts';
import { getSource } from '../../../lambdas/sources/index.ts';

const SAMPLE: Record<keyof typeof ID_FORMATS, string> = {
  guid: '7c0f0a3e-0000-4000-8000-000000000001',
  objectId: '5f1a0000000000000000c001',
};

describe('vendor manifest', () => {
  it('lists three vendors, each with a name and a known id format', () => {
    expect(VENDORS).toEqual(['itwin', 'atlas', 'cloudmanager']);
    for (const v of VENDORS) {
      expect(VENDOR_MANIFEST[v].displayName, v).not.toBe('');
      expect(Object.keys(ID_FORMATS), v).toContain(VENDOR_MANIFEST[v].idFormat);
    }
    expect(idFormatOf('itwin')).toBe('guid');
    expect(idFormatOf('atlas')).toBe('objectId');
    expect(idFormatOf('cloudmanager')).toBe('objectId');
  });

  it('describes every kind: a known vendor it is prefixed with, a phase, ids with known formats, a resource id among them', () => {
    expect(GRANT_KIND_NAMES).toHaveLength(16);
    for (const kind of GRANT_KIND_NAMES) {
      const spec: GrantKindSpec = GRANT_KIND_MANIFEST[kind];
      expect(VENDORS, kind).toContain(spec.vendor);
      expect(kind.startsWith(`${spec.vendor}_`), kind).toBe(true);
      expect(['invitation', 'membership'], kind).toContain(spec.phase);
      expect(Object.keys(spec.ids).length, kind).toBeGreaterThan(0);
      for (const format of Object.values(spec.ids)) expect(Object.keys(ID_FORMATS), kind).toContain(format);
      expect(Object.keys(spec.ids), kind).toContain(spec.resource.idKey);
      expect(spec.resource.type, kind).not.toBe('');
      // Invitation kinds are named so; the plan runs them first.
      expect(spec.phase === 'invitation', kind).toBe(kind.endsWith('_invitation'));
    }
    // Every vendor has at least one kind of each phase.
    for (const v of VENDORS) {
      const phases = new Set(
        GRANT_KIND_NAMES.filter((k) => vendorOfKind(k) === v).map((k) => grantPhase({ kind: k })),
      );
      expect([...phases].sort(), v).toEqual(['invitation', 'membership']);
    }
  });

  it('marks only organisation users and invitations as account level', () => {
    expect(GRANT_KIND_NAMES.filter((k) => GRANT_KIND_MANIFEST[k].accountLevel).sort()).toEqual([
      'atlas_org_invitation',
      'atlas_org_user',
      'cloudmanager_org_invitation',
      'cloudmanager_org_user',
    ]);
  });

  it('derives the id keys in URL order', () => {
    expect(GRANT_ID_KEYS.itwin_group_invitation).toEqual(['itwinId', 'groupId', 'invitationId']);
    expect(GRANT_ID_KEYS.atlas_team_user).toEqual(['orgId', 'teamId', 'userId']);
    expect(GRANT_ID_KEYS.cloudmanager_project_user).toEqual(['groupId', 'userId']);
    expect(Object.keys(GRANT_ID_KEYS).sort()).toEqual([...GRANT_KIND_NAMES].sort());
  });

  it('accepts ids in each kind format and refuses the other format, a missing and an extra key', () => {
    for (const kind of GRANT_KIND_NAMES) {
      const spec = GRANT_KIND_MANIFEST[kind];
      const good = Object.fromEntries(Object.entries(spec.ids).map(([k, f]) => [k, SAMPLE[f]]));
      expect(() => assertGrantIds(kind, good), kind).not.toThrow();
      const [first, format] = Object.entries(spec.ids)[0]!;
      const other = format === 'guid' ? SAMPLE.objectId : SAMPLE.guid;
      expect(() => assertGrantIds(kind, { ...good, [first]: other }), kind).toThrow(
        expect.objectContaining({ code: 'invalid_vendor_id', details: { field: first, format } }),
      );
      const { [first]: _dropped, ...missing } = good;
      expect(() => assertGrantIds(kind, missing), kind).toThrow(
        expect.objectContaining({ code: 'invalid_vendor_id' }),
      );
      expect(() => assertGrantIds(kind, { ...good, extra: other }), kind).toThrow(
        expect.objectContaining({ code: 'invalid_vendor_id', details: { field: 'extra' } }),
      );
    }
  });

  it('vendorOfKind names the vendor of every kind and throws for an unknown kind (never falls through)', () => {
    expect(vendorOfKind('itwin_owner_member')).toBe('itwin');
    expect(vendorOfKind('atlas_team_user')).toBe('atlas');
    expect(vendorOfKind('cloudmanager_org_user')).toBe('cloudmanager');
    for (const unknown of ['github_org_user', 'cloudmanager_', '', 'toString', '__proto__']) {
      expect(() => vendorOfKind(unknown as GrantKind), unknown).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
  });

  it('grantOf takes the vendor from the kind', () => {
    const g = grantOf('atlas_team_user', {
      tenantId: 'atlas-main',
      email: 'dana@example.com',
      ids: { orgId: SAMPLE.objectId, teamId: SAMPLE.objectId, userId: SAMPLE.objectId },
    });
    expect(g).toMatchObject({ vendor: 'atlas', kind: 'atlas_team_user' });
  });

  it('assertNever throws an internal error naming a string member, never an object', () => {
    expect(() => assertNever('new_kind' as never, 'grant kind')).toThrow('unhandled grant kind: new_kind');
    const err = (() => {
      try {
        assertNever({ email: 'dana@example.com' } as never, 'grant kind');
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(err?.code).toBe('internal');
    expect(err?.message).not.toContain('dana');
  });

  it('HR sources say whether one delivery carries several events', () => {
    expect(getSource('okta').batched).toBe(true);
    expect(getSource('bamboohr').batched).toBe(true);
    expect(getSource('standard').batched).toBe(false);
    expect(getSource('hibob').batched).toBe(false);
  });
});

// ------------------------------------------------------------------ type-level (checked by tsc)

/** Ids typed by kind. */
const teamIds: GrantIdsOf<'atlas_team_user'> = { orgId: 'o', teamId: 't', userId: 'u' };
// @ts-expect-error a team user without its teamId
const noTeam: GrantIdsOf<'atlas_team_user'> = { orgId: 'o', userId: 'u' };
// @ts-expect-error an iTwin kind carries no orgId
const wrongKey: GrantIdsOf<'itwin_user_member'> = { itwinId: 'i', orgId: 'o' };
const wrongVendor: GrantOf<'atlas_org_user'> = {
  // @ts-expect-error a grant's vendor follows from its kind
  vendor: 'itwin',
  kind: 'atlas_org_user',
  tenantId: 't',
  email: 'e',
  ids: { orgId: 'o', userId: 'u' },
};

/** A switch over the kinds narrows the ids: no non-null assertion needed. */
function teamOf(g: Grant): string | undefined {
  switch (g.kind) {
    case 'atlas_team_user':
    case 'cloudmanager_team_user':
      return g.ids.teamId;
    default:
      // @ts-expect-error other kinds carry no teamId
      return g.ids.teamId;
  }
}

/** A table over the kinds or vendors missing an entry does not compile. */
// @ts-expect-error cloudmanager is missing
const partialVendors: Record<VendorId, VendorSpec> = {
  itwin: VENDOR_MANIFEST.itwin,
  atlas: VENDOR_MANIFEST.atlas,
};
const { itwin_group_member: _left, ...fifteen } = GRANT_KIND_MANIFEST;
// @ts-expect-error itwin_group_member is missing
const partialKinds: Record<GrantKind, GrantKindSpec> = fifteen;

/** An exhaustive switch with a missing member does not compile. */
function vendorName(v: VendorId): string {
  switch (v) {
    case 'itwin':
      return 'iTwin';
    case 'atlas':
      return 'Atlas';
    default:
      // @ts-expect-error cloudmanager is not handled
      return assertNever(v, 'vendor');
  }
}

const TYPE_CHECKS = [
  teamIds,
  noTeam,
  wrongKey,
  wrongVendor,
  teamOf,
  partialVendors,
  partialKinds,
  vendorName,
];

describe('type-level checks', () => {
  it('are compiled by tsc (the @ts-expect-error lines above must stay errors)', () => {
    expect(TYPE_CHECKS).toHaveLength(8);
  });
});
