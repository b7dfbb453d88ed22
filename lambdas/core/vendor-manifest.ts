/**
 * Every vendor and every grant kind Leaver knows, described once. The lists, the id checks, the
 * plan's phases, the audit export's resource naming and the API's enums are all derived from these
 * two tables. A new vendor or kind is an entry here; the compiler then names every switch and
 * per-vendor table that does not handle it yet (each ends in `assertNever` or is a `Record` over
 * the vendor or kind).
 */
import { LeaverError } from './errors.ts';

/** The shapes a vendor id can have. */
export const ID_FORMATS = {
  /** Bentley iTwin ids: RFC 4122 GUIDs, either case. */
  guid: {
    label: 'GUID',
    pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  },
  /** MongoDB ids (Atlas, Cloud Manager): 24 lower-case hex digits. */
  objectId: { label: '24-hex ObjectId', pattern: /^[a-f0-9]{24}$/ },
} as const satisfies Record<string, { label: string; pattern: RegExp }>;

export type IdFormat = keyof typeof ID_FORMATS;

export interface VendorSpec {
  /** How reports and docs name the vendor. */
  displayName: string;
  /** The format of the vendor's own ids (a kind may override it per key). */
  idFormat: IdFormat;
}

/** The vendors, in the order reports and metrics list them. */
export const VENDOR_MANIFEST = {
  itwin: { displayName: 'Bentley iTwin', idFormat: 'guid' },
  atlas: { displayName: 'MongoDB Atlas', idFormat: 'objectId' },
  cloudmanager: { displayName: 'MongoDB Cloud Manager', idFormat: 'objectId' },
} as const satisfies Record<string, VendorSpec>;

export type VendorId = keyof typeof VENDOR_MANIFEST;

/** Every vendor id, as a non-empty tuple (zod enums need one). */
export const VENDORS = Object.keys(VENDOR_MANIFEST) as [VendorId, ...VendorId[]];

/**
 * Invitations are revoked before memberships, so none can be accepted while the memberships go.
 */
export const GRANT_PHASES = ['invitation', 'membership'] as const;
export type GrantPhase = (typeof GRANT_PHASES)[number];

export interface GrantKindSpec {
  vendor: VendorId;
  phase: GrantPhase;
  /** The ids the kind carries, in the order they appear in its URL, each with its format. */
  ids: Readonly<Record<string, IdFormat>>;
  /** How the audit export (OCSF) names the resource access was removed from, and which id is it. */
  resource: { type: string; idKey: string };
  /** Removing it ends the account's presence in a vendor organisation (OCSF Account Change). */
  accountLevel: boolean;
}

/** Every grant kind. A kind's name starts with its vendor's id and an underscore (checked below). */
export const GRANT_KIND_MANIFEST = {
  itwin_member_invitation: {
    vendor: 'itwin',
    phase: 'invitation',
    ids: { itwinId: 'guid', invitationId: 'guid' },
    resource: { type: 'iTwin', idKey: 'itwinId' },
    accountLevel: false,
  },
  itwin_group_invitation: {
    vendor: 'itwin',
    phase: 'invitation',
    ids: { itwinId: 'guid', groupId: 'guid', invitationId: 'guid' },
    resource: { type: 'iTwin group', idKey: 'groupId' },
    accountLevel: false,
  },
  itwin_user_member: {
    vendor: 'itwin',
    phase: 'membership',
    ids: { itwinId: 'guid', memberId: 'guid' },
    resource: { type: 'iTwin', idKey: 'itwinId' },
    accountLevel: false,
  },
  itwin_owner_member: {
    vendor: 'itwin',
    phase: 'membership',
    ids: { itwinId: 'guid', memberId: 'guid' },
    resource: { type: 'iTwin', idKey: 'itwinId' },
    accountLevel: false,
  },
  /** The subject's membership of an iTwin group (removed by PATCHing the group's member list). */
  itwin_group_membership: {
    vendor: 'itwin',
    phase: 'membership',
    ids: { itwinId: 'guid', groupId: 'guid' },
    resource: { type: 'iTwin group', idKey: 'groupId' },
    accountLevel: false,
  },
  /** A group that is itself a member of an iTwin (DELETE .../members/groups/{groupId}). */
  itwin_group_member: {
    vendor: 'itwin',
    phase: 'membership',
    ids: { itwinId: 'guid', groupId: 'guid' },
    resource: { type: 'iTwin', idKey: 'itwinId' },
    accountLevel: false,
  },
  atlas_org_invitation: {
    vendor: 'atlas',
    phase: 'invitation',
    ids: { orgId: 'objectId', invitationId: 'objectId' },
    resource: { type: 'Atlas organization', idKey: 'orgId' },
    accountLevel: true,
  },
  atlas_project_invitation: {
    vendor: 'atlas',
    phase: 'invitation',
    ids: { groupId: 'objectId', invitationId: 'objectId' },
    resource: { type: 'Atlas project', idKey: 'groupId' },
    accountLevel: false,
  },
  atlas_org_user: {
    vendor: 'atlas',
    phase: 'membership',
    ids: { orgId: 'objectId', userId: 'objectId' },
    resource: { type: 'Atlas organization', idKey: 'orgId' },
    accountLevel: true,
  },
  atlas_project_user: {
    vendor: 'atlas',
    phase: 'membership',
    ids: { groupId: 'objectId', userId: 'objectId' },
    resource: { type: 'Atlas project', idKey: 'groupId' },
    accountLevel: false,
  },
  atlas_team_user: {
    vendor: 'atlas',
    phase: 'membership',
    ids: { orgId: 'objectId', teamId: 'objectId', userId: 'objectId' },
    resource: { type: 'Atlas team', idKey: 'teamId' },
    accountLevel: false,
  },
  cloudmanager_org_invitation: {
    vendor: 'cloudmanager',
    phase: 'invitation',
    ids: { orgId: 'objectId', invitationId: 'objectId' },
    resource: { type: 'Cloud Manager organization', idKey: 'orgId' },
    accountLevel: true,
  },
  cloudmanager_project_invitation: {
    vendor: 'cloudmanager',
    phase: 'invitation',
    ids: { groupId: 'objectId', invitationId: 'objectId' },
    resource: { type: 'Cloud Manager project', idKey: 'groupId' },
    accountLevel: false,
  },
  cloudmanager_org_user: {
    vendor: 'cloudmanager',
    phase: 'membership',
    ids: { orgId: 'objectId', userId: 'objectId' },
    resource: { type: 'Cloud Manager organization', idKey: 'orgId' },
    accountLevel: true,
  },
  cloudmanager_project_user: {
    vendor: 'cloudmanager',
    phase: 'membership',
    ids: { groupId: 'objectId', userId: 'objectId' },
    resource: { type: 'Cloud Manager project', idKey: 'groupId' },
    accountLevel: false,
  },
  cloudmanager_team_user: {
    vendor: 'cloudmanager',
    phase: 'membership',
    ids: { orgId: 'objectId', teamId: 'objectId', userId: 'objectId' },
    resource: { type: 'Cloud Manager team', idKey: 'teamId' },
    accountLevel: false,
  },
} as const satisfies Record<string, GrantKindSpec>;

type KindManifest = typeof GRANT_KIND_MANIFEST;
export type GrantKind = keyof KindManifest;

/** Every grant kind, as a non-empty tuple (zod enums need one). */
export const GRANT_KIND_NAMES = Object.keys(GRANT_KIND_MANIFEST) as [GrantKind, ...GrantKind[]];

/** The vendor a kind belongs to, as a type: `VendorOfKind<'atlas_team_user'>` is `'atlas'`. */
export type VendorOfKind<K extends GrantKind> = KindManifest[K]['vendor'];

/** The kinds of one vendor: `KindOfVendor<'itwin'>` is the union of the six iTwin kinds. */
export type KindOfVendor<V extends VendorId> = {
  [K in GrantKind]: KindManifest[K]['vendor'] extends V ? K : never;
}[GrantKind];

/** The ids a kind carries: `GrantIdsOf<'atlas_team_user'>` is `{ orgId; teamId; userId }`. */
export type GrantIdsOf<K extends GrantKind> = K extends GrantKind
  ? { -readonly [Key in keyof KindManifest[K]['ids']]: string }
  : never;

/** The phase a kind runs in, as a type. */
export type PhaseOfKind<K extends GrantKind> = KindManifest[K]['phase'];

// Checks the compiler makes on the tables above: each resolves to `true` or fails to compile.
type KindsWithoutPrefix = {
  [K in GrantKind]: K extends `${VendorOfKind<K>}_${string}` ? never : K;
}[GrantKind];
type ResourceKeysNotIds = {
  [K in GrantKind]: KindManifest[K]['resource']['idKey'] extends keyof KindManifest[K]['ids'] ? never : K;
}[GrantKind];
type VendorsWithoutKinds = Exclude<VendorId, VendorOfKind<GrantKind>>;
/** `true` when `T` is empty; names the offending members in the error otherwise. */
type None<T> = [T] extends [never] ? true : { offending: T };
export const MANIFEST_CHECKS: {
  kindNamesStartWithTheirVendor: None<KindsWithoutPrefix>;
  resourceIdIsOneOfTheKindsIds: None<ResourceKeysNotIds>;
  everyVendorHasAKind: None<VendorsWithoutKinds>;
} = { kindNamesStartWithTheirVendor: true, resourceIdIsOneOfTheKindsIds: true, everyVendorHasAKind: true };

/** Ends an exhaustive switch: a member added to the union makes the call fail to compile. */
export function assertNever(value: never, what: string): never {
  // Only a string is named: an object (a grant) may carry an email address.
  const name = typeof value === 'string' ? `: ${(value as string).slice(0, 64)}` : '';
  throw new LeaverError('internal', `unhandled ${what}${name}`);
}
