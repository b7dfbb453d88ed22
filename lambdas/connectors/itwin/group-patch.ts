/**
 * Removing one address from an iTwin group: the vendor has no per-member DELETE, only
 * `PATCH /groups/{id}` with the full `members` email list (vendors.md 1.3).
 */
import type { ITwinTenant } from '../../core/config.ts';
import { LeaverError } from '../../core/errors.ts';
import { type Grant, normaliseEmail } from '../../core/model.ts';
import type { Ctx, RevokeResult } from '../../core/ports.ts';
import { enc, join } from '../common/grants.ts';
import type { VendorHttp } from '../http/client.ts';
import { itwinPages } from '../http/paging.ts';
import { routeTemplate } from '../http/route.ts';
import { ITWIN_LISTINGS } from './schemas.ts';
import type { Group } from './types.ts';

/** The vendor caps a group PATCH `members` list at 50 emails. */
export const ITWIN_GROUP_PATCH_LIMIT = 50;

/**
 * PATCH the group's `members` with everyone but the leaver's address. The group is read fresh
 * right before, through the paged group list (GET /groups/{id} caps `members` at 50; the list
 * with $top/$skip does not), so members added meanwhile are kept. Members without an email
 * (users deleted from IMS, which the vendor purges weekly) cannot be named and drop out.
 * The vendor caps the PATCH list at 50: if more than 50 others would remain, nobody is dropped:
 * the action fails (vendor_bad_request, details.reason "group_patch_limit") and needs a person.
 */
export async function removeFromGroup(
  http: VendorHttp,
  tenant: ITwinTenant,
  grant: Grant,
  ctx: Ctx,
): Promise<RevokeResult> {
  const { itwinId, groupId } = grant.ids as { itwinId: string; groupId: string };
  const groupsPath = `/itwins/${enc(itwinId)}/groups`;
  const path = `${groupsPath}/${enc(groupId)}`;
  let groups: Group[];
  try {
    groups = await itwinPages(
      http,
      { url: join(tenant.baseUrl, groupsPath), route: routeTemplate(groupsPath) },
      ITWIN_LISTINGS.groups,
      ctx,
    );
  } catch (e) {
    if (isGone(e)) return { outcome: 'already_absent', attempts: 1 };
    throw e;
  }
  const group = groups.find((g) => g.id?.toLowerCase() === groupId.toLowerCase());
  if (!group) return { outcome: 'already_absent', attempts: 1 };
  const leaver = normaliseEmail(grant.email);
  const emails = (group.members ?? [])
    .map((m) => m.email)
    .filter((e): e is string => typeof e === 'string' && e !== '');
  const remaining = emails.filter((e) => normaliseEmail(e) !== leaver);
  if (remaining.length === emails.length) return { outcome: 'already_absent', attempts: 1 };
  if (remaining.length > ITWIN_GROUP_PATCH_LIMIT) {
    throw new LeaverError(
      'vendor_bad_request',
      `iTwin group has ${remaining.length} other members; a group PATCH takes at most ${ITWIN_GROUP_PATCH_LIMIT}, so the member cannot be removed without dropping others`,
      {
        details: {
          reason: 'group_patch_limit',
          limit: ITWIN_GROUP_PATCH_LIMIT,
          remaining: remaining.length,
          vendor: 'itwin',
          tenantId: tenant.id,
          route: routeTemplate(path),
        },
      },
    );
  }
  try {
    const res = await http.request(
      {
        method: 'PATCH',
        url: join(tenant.baseUrl, path),
        route: routeTemplate(path),
        json: { members: remaining },
      },
      ctx,
    );
    return { outcome: 'revoked', vendorRequestId: res.vendorRequestId, attempts: res.attempts };
  } catch (e) {
    if (isGone(e)) return { outcome: 'already_absent', attempts: 1 };
    throw e;
  }
}

/** A 404 for the iTwin or the group itself (not, say, TeamMemberNotFound for another member's email). */
function isGone(e: unknown): boolean {
  if (!(e instanceof LeaverError) || e.code !== 'vendor_not_found') return false;
  const code = e.details?.vendorCode;
  return code === 'GroupNotFound' || code === 'ItwinNotFound';
}
