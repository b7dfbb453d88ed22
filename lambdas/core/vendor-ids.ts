/**
 * Vendor id formats and the ids each grant kind needs. Every id that goes into a vendor URL is
 * checked here first (connectors, the targeted-revocation API and the sandbox-free unit tests all
 * use this one table).
 */
import { LeaverError } from './errors.ts';
import type { GrantKind, VendorId } from './model.ts';

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const OBJECT_ID_PATTERN = /^[a-f0-9]{24}$/;

export const isGuid = (value: unknown): value is string =>
  typeof value === 'string' && GUID_PATTERN.test(value);
export const isObjectId = (value: unknown): value is string =>
  typeof value === 'string' && OBJECT_ID_PATTERN.test(value);

export function idFormatOf(vendor: VendorId): 'guid' | 'objectId' {
  return vendor === 'itwin' ? 'guid' : 'objectId';
}

/** The vendor ids each grant kind carries, in the order they appear in its URL. */
export const GRANT_ID_KEYS: Record<GrantKind, readonly string[]> = {
  itwin_member_invitation: ['itwinId', 'invitationId'],
  itwin_group_invitation: ['itwinId', 'groupId', 'invitationId'],
  itwin_user_member: ['itwinId', 'memberId'],
  itwin_owner_member: ['itwinId', 'memberId'],
  /** The subject's membership of an iTwin group (removed by PATCHing the group's member list). */
  itwin_group_membership: ['itwinId', 'groupId'],
  /** A group that is itself a member of an iTwin (DELETE .../members/groups/{groupId}). */
  itwin_group_member: ['itwinId', 'groupId'],
  atlas_org_invitation: ['orgId', 'invitationId'],
  atlas_project_invitation: ['groupId', 'invitationId'],
  atlas_org_user: ['orgId', 'userId'],
  atlas_project_user: ['groupId', 'userId'],
  atlas_team_user: ['orgId', 'teamId', 'userId'],
  cloudmanager_org_invitation: ['orgId', 'invitationId'],
  cloudmanager_project_invitation: ['groupId', 'invitationId'],
  cloudmanager_org_user: ['orgId', 'userId'],
  cloudmanager_project_user: ['groupId', 'userId'],
  cloudmanager_team_user: ['orgId', 'teamId', 'userId'],
};

export function vendorOfKind(kind: GrantKind): VendorId {
  if (kind.startsWith('itwin_')) return 'itwin';
  if (kind.startsWith('atlas_')) return 'atlas';
  return 'cloudmanager';
}

/**
 * Throws `invalid_vendor_id` naming the first id that is missing or not in the vendor's format.
 * Extra keys are refused too, so a typo cannot pass unnoticed.
 */
export function assertGrantIds(
  kind: GrantKind,
  ids: Record<string, unknown>,
): asserts ids is Record<string, string> {
  const keys = GRANT_ID_KEYS[kind];
  const format = idFormatOf(vendorOfKind(kind));
  const valid = format === 'guid' ? isGuid : isObjectId;
  for (const key of keys) {
    if (!valid(ids[key])) {
      throw new LeaverError(
        'invalid_vendor_id',
        `${key} must be a ${format === 'guid' ? 'GUID' : '24-hex ObjectId'} for ${kind}`,
        { details: { field: key, format } },
      );
    }
  }
  for (const key of Object.keys(ids)) {
    if (!keys.includes(key)) {
      throw new LeaverError('invalid_vendor_id', `${key} is not an id of ${kind}`, {
        details: { field: key },
      });
    }
  }
}
