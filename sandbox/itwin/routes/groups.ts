/**
 * Groups and group-member invitations (docs/vendors.md#itwin-endpoints rows 12-16,
 * docs/vendors.md#itwin-groups).
 *
 * - Reading groups needs Org Admin per the docs; the emulator also lets owners and holders of
 *   administration_manage_groups read them [I] (they may PATCH, so they must be able to read).
 * - GET /groups: without $top/$skip every group comes back, `members`/`imsGroups` capped at 50 each
 *   and no `_links`; with $top or $skip the groups are paged, `_links` present and the lists full.
 *   GET /groups/{id} and the PATCH answer always cap the lists at 50 (as documented).
 * - PATCH `members` is the full replacement set of emails (max `groupPatchMaxMembers`, default 50,
 *   each of members/imsGroups; more -> 422 InvalidiTwinsGroupRequest InvalidValue). Each email:
 *   already in the group -> kept; an internal IMS user -> added; an external IMS user -> a pending
 *   group-member invitation (docs/vendors.md#itwin-groups, [I]); an email IMS does not know -> 404
 *   TeamMemberNotFound with target `members[i]` (docs/vendors.md#itwin-errors). Adding needs
 *   administration_invite_member, removing needs administration_remove_member, on top of
 *   administration_manage_groups (docs/vendors.md#itwin-permissions).
 * - Every change of a group's members is recorded (control action `group-changes`); the control
 *   action `set-group-patch-fault` makes PATCHes not take effect (`ignore`) or be undone at once
 *   (`readd`), for testing that a client verifies its writes.
 * - Group-member invitations: visibility as member invitations (owner/Org Admin: all; others: the
 *   ones they sent); unknown group -> 404 GroupNotFound; unknown invitation -> 404 InvitationNotFound.
 */
import type { SandboxResponse } from '../../core/types.ts';
import { type Access, seesAllInvitations } from '../access.ts';
import { isObject, jsonBody, type Route, type RouteCtx } from '../context.ts';
import { type ErrorDetail, forbidden, invalid, notFound } from '../errors.ts';
import { isGuid, normEmail } from '../ids.ts';
import type { Group } from '../model.ts';
import { isPaging, page, pageLinks, parsePaging } from '../paging.ts';
import { groupInvitationView, groupView } from '../views.ts';

const FAMILY = 'InvalidiTwinsGroupRequest';

const canRead = (a: Access) => a.orgAdmin || a.owner || a.permissions.has('administration_manage_groups');

function groupOf(ctx: RouteCtx): Group | undefined {
  const id = ctx.params['groupId']!;
  return isGuid(id) ? ctx.itwin.groups.get(id.toLowerCase()) : undefined;
}

function list(ctx: RouteCtx): SandboxResponse {
  if (!canRead(ctx.access)) return forbidden();
  const paging = parsePaging(ctx.req, FAMILY);
  if (!isPaging(paging)) return paging;
  const all = [...ctx.itwin.groups.values()];
  if (!paging.explicit)
    return { status: 200, body: { groups: all.map((g) => groupView(ctx.store, g, true)) } };
  const groups = page(all, paging).map((g) => groupView(ctx.store, g, false));
  return { status: 200, body: { groups, _links: pageLinks(ctx.req, paging, all.length) } };
}

function get(ctx: RouteCtx): SandboxResponse {
  if (!canRead(ctx.access)) return forbidden();
  const g = groupOf(ctx);
  if (!g) return notFound('GroupNotFound');
  return { status: 200, body: { group: groupView(ctx.store, g, true) } };
}

function stringList(v: unknown, target: string, max: number, details: ErrorDetail[]): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    details.push({ code: 'InvalidValue', message: `${target} must be a list of strings.`, target });
    return undefined;
  }
  if (v.length > max) {
    details.push({
      code: 'InvalidValue',
      message: `${target} must not have more than ${max} entries.`,
      target,
    });
    return undefined;
  }
  return v as string[];
}

function patch(ctx: RouteCtx): SandboxResponse {
  const perms = ctx.access.permissions;
  if (!perms.has('administration_manage_groups')) return forbidden();
  const g = groupOf(ctx);
  if (!g) return notFound('GroupNotFound');
  const body = jsonBody(ctx.req);
  if (!isObject(body)) {
    return invalid(FAMILY, [{ code: 'InvalidRequestBody', message: 'A JSON request body is required.' }]);
  }
  const details: ErrorDetail[] = [];
  const { name, description } = body;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 256)) {
    details.push({ code: 'InvalidValue', message: 'name is invalid.', target: 'name' });
  }
  if (description !== undefined && typeof description !== 'string') {
    details.push({ code: 'InvalidValue', message: 'description is invalid.', target: 'description' });
  }
  const max = ctx.store.groupPatchMaxMembers;
  const emails = stringList(body['members'], 'members', max, details);
  const imsGroups = stringList(body['imsGroups'], 'imsGroups', max, details);
  if (emails?.some((e) => !e.includes('@'))) {
    details.push({ code: 'InvalidValue', message: 'members must be email addresses.', target: 'members' });
  }
  if (details.length > 0) return invalid(FAMILY, details);

  let nextIds = g.memberIds;
  const invite: string[] = [];
  let adds = false;
  let removes = false;
  if (emails) {
    const current = new Set(g.memberIds);
    const wanted = new Set<string>();
    const added: string[] = [];
    for (const [i, raw] of emails.entries()) {
      const user = ctx.store.userByEmail(raw);
      if (!user) return notFound('TeamMemberNotFound', `members[${i}]`);
      if (current.has(user.id)) wanted.add(user.id);
      else if (user.internal) {
        if (!wanted.has(user.id)) added.push(user.id);
        wanted.add(user.id);
      } else invite.push(user.email);
    }
    nextIds = [...g.memberIds.filter((id) => wanted.has(id)), ...added];
    adds = added.length > 0 || invite.length > 0;
    removes = nextIds.length - added.length < g.memberIds.length;
  }
  if (imsGroups) {
    const before = new Set(g.imsGroups);
    const after = new Set(imsGroups);
    if ([...after].some((x) => !before.has(x))) adds = true;
    if ([...before].some((x) => !after.has(x))) removes = true;
  }
  if (adds && !perms.has('administration_invite_member')) return forbidden();
  if (removes && !perms.has('administration_remove_member')) return forbidden();

  const fault = emails ? ctx.store.takeGroupPatchFault(g.id) : undefined;
  // Accepted, not applied: the answer shows the group as it is.
  if (fault === 'ignore') return { status: 200, body: { group: groupView(ctx.store, g, true) } };
  const beforeIds = g.memberIds;
  g.memberIds = nextIds;
  const by =
    ctx.caller.clientId === undefined ? `user:${ctx.caller.userId}` : `client:${ctx.caller.clientId}`;
  ctx.store.recordGroupChange(ctx.itwin, g, beforeIds, 'patch', by);
  if (imsGroups) g.imsGroups = [...new Set(imsGroups)];
  if (typeof name === 'string') g.name = name;
  if (typeof description === 'string') g.description = description;
  const pending = new Set(
    [...ctx.itwin.groupInvitations.values()].filter((i) => i.groupId === g.id).map((i) => i.email),
  );
  for (const email of new Set(invite)) {
    if (pending.has(email)) continue;
    ctx.store.addGroupInvitation(ctx.itwin, {
      groupId: g.id,
      email: normEmail(email),
      invitedByEmail: ctx.caller.email,
    });
  }
  const answer: SandboxResponse = { status: 200, body: { group: groupView(ctx.store, g, true) } };
  if (fault === 'readd') {
    // Someone puts the removed members straight back, after the PATCH and before anyone reads.
    const afterPatch = g.memberIds;
    const back = beforeIds.filter((id) => !afterPatch.includes(id));
    g.memberIds = [...afterPatch, ...back];
    ctx.store.recordGroupChange(ctx.itwin, g, afterPatch, 'control');
  }
  return answer;
}

function listInvitations(ctx: RouteCtx): SandboxResponse {
  const g = groupOf(ctx);
  if (!g) return notFound('GroupNotFound');
  const paging = parsePaging(ctx.req, 'InvalidiTwinsMemberInvitationsRequest');
  if (!isPaging(paging)) return paging;
  const all = [...ctx.itwin.groupInvitations.values()].filter(
    (i) => i.groupId === g.id && (seesAllInvitations(ctx.access) || i.invitedByEmail === ctx.caller.email),
  );
  const invitations = page(all, paging).map((i) => groupInvitationView(ctx.itwin, i));
  return { status: 200, body: { invitations, _links: pageLinks(ctx.req, paging, all.length) } };
}

function deleteInvitation(ctx: RouteCtx): SandboxResponse {
  const p = ctx.access.permissions;
  if (
    !p.has('administration_manage_groups') &&
    !p.has('administration_invite_member') &&
    !p.has('administration_remove_member')
  ) {
    return forbidden();
  }
  const g = groupOf(ctx);
  if (!g) return notFound('GroupNotFound');
  const id = ctx.params['invitationId']!;
  const inv = isGuid(id) ? ctx.itwin.groupInvitations.get(id.toLowerCase()) : undefined;
  if (!inv || inv.groupId !== g.id) return notFound('InvitationNotFound');
  if (!seesAllInvitations(ctx.access) && inv.invitedByEmail !== ctx.caller.email)
    return notFound('InvitationNotFound');
  ctx.itwin.groupInvitations.delete(inv.id);
  return { status: 204 };
}

export const groupRoutes: Route[] = [
  { method: 'GET', pattern: ['groups'], handle: list },
  { method: 'GET', pattern: ['groups', ':groupId'], handle: get },
  { method: 'PATCH', pattern: ['groups', ':groupId'], handle: patch },
  { method: 'GET', pattern: ['groups', ':groupId', 'invitations'], handle: listInvitations },
  {
    method: 'DELETE',
    pattern: ['groups', ':groupId', 'invitations', ':invitationId'],
    handle: deleteInvitation,
  },
];
