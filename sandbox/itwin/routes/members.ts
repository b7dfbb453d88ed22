/**
 * User, owner and group members (docs/vendors.md#itwin-endpoints rows 1-7 and the add/update
 * endpoints).
 *
 * Choices where the docs are silent [I]:
 * - permission checks come before existence checks (a caller without the permission gets 403 even for
 *   an unknown member id);
 * - a malformed member/group id answers 404 TeamMemberNotFound (it cannot name a member);
 * - removing an owner needs the caller to be an owner (docs/vendors.md#itwin-permissions); removing the
 *   LAST owner is allowed (nothing documents a refusal: the connector must refuse it itself);
 * - POST /members/users with an already-member internal email merges the roles.
 */
import type { SandboxResponse } from '../../core/types.ts';
import { isObject, jsonBody, type Route, type RouteCtx } from '../context.ts';
import { type ErrorDetail, forbidden, invalid, notFound } from '../errors.ts';
import { isGuid, normEmail } from '../ids.ts';
import { isPaging, page, pageLinks, parsePaging } from '../paging.ts';
import { groupMemberView, invitationView, ownerView, userMemberView } from '../views.ts';

const FAMILY = 'InvalidiTwinsMemberRequest';
const MAX_ROLE_ASSIGNMENTS = 50;

function listUsers(ctx: RouteCtx): SandboxResponse {
  const paging = parsePaging(ctx.req, FAMILY);
  if (!isPaging(paging)) return paging;
  const all = [...ctx.itwin.members];
  const members = page(all, paging).map(([id, roles]) => userMemberView(ctx.store, ctx.itwin, id, roles));
  return { status: 200, body: { members, _links: pageLinks(ctx.req, paging, all.length) } };
}

function memberIdOf(ctx: RouteCtx): string | undefined {
  const id = ctx.params['memberId']!;
  return isGuid(id) ? id.toLowerCase() : undefined;
}

function getUser(ctx: RouteCtx): SandboxResponse {
  const id = memberIdOf(ctx);
  const roles = id === undefined ? undefined : ctx.itwin.members.get(id);
  if (id === undefined || roles === undefined) return notFound('TeamMemberNotFound');
  return { status: 200, body: { member: userMemberView(ctx.store, ctx.itwin, id, roles) } };
}

function deleteUser(ctx: RouteCtx): SandboxResponse {
  if (!ctx.access.permissions.has('administration_remove_member')) return forbidden();
  const id = memberIdOf(ctx);
  if (id === undefined || !ctx.itwin.members.delete(id)) return notFound('TeamMemberNotFound');
  return { status: 204 };
}

/** Validates role id lists; returns the 404/422 answer or undefined. */
function checkRoles(ctx: RouteCtx, roleIds: unknown, target: string): SandboxResponse | undefined {
  if (!Array.isArray(roleIds) || roleIds.length === 0) {
    return invalid(FAMILY, [{ code: 'MissingRequiredProperty', message: 'roleIds is required.', target }]);
  }
  for (const [j, r] of roleIds.entries()) {
    if (typeof r !== 'string' || !isGuid(r) || !ctx.itwin.roles.has(r.toLowerCase())) {
      return notFound('RoleNotFound', `${target}[${j}]`);
    }
  }
  return undefined;
}

function addUsers(ctx: RouteCtx): SandboxResponse {
  if (!ctx.access.permissions.has('administration_invite_member')) return forbidden();
  const body = jsonBody(ctx.req);
  if (!isObject(body)) {
    return invalid(FAMILY, [{ code: 'InvalidRequestBody', message: 'A JSON request body is required.' }]);
  }
  const list = body['members'];
  if (!Array.isArray(list) || list.length === 0) {
    return invalid(FAMILY, [
      { code: 'MissingRequiredProperty', message: 'members is required.', target: 'members' },
    ]);
  }
  const details: ErrorDetail[] = [];
  let assignments = 0;
  for (const [i, m] of list.entries()) {
    if (!isObject(m) || typeof m['email'] !== 'string' || !m['email'].includes('@')) {
      details.push({ code: 'InvalidValue', message: 'email is invalid.', target: `members[${i}].email` });
      continue;
    }
    const roleErr = checkRoles(ctx, m['roleIds'], `members[${i}].roleIds`);
    if (roleErr) return roleErr;
    assignments += (m['roleIds'] as string[]).length;
  }
  if (details.length > 0) return invalid(FAMILY, details);
  if (assignments > MAX_ROLE_ASSIGNMENTS) {
    return invalid(FAMILY, [
      {
        code: 'InvalidValue',
        message: `The total number of role assignments must not exceed ${MAX_ROLE_ASSIGNMENTS}.`,
        target: 'members',
      },
    ]);
  }
  const members: unknown[] = [];
  const invitations: unknown[] = [];
  for (const m of list as { email: string; roleIds: string[] }[]) {
    const roleIds = m.roleIds.map((r) => r.toLowerCase());
    const user = ctx.store.userByEmail(m.email);
    if (user?.internal) {
      const { roleIds: merged } = ctx.store.addMember(ctx.itwin, user.email, roleIds);
      members.push(userMemberView(ctx.store, ctx.itwin, user.id, merged));
    } else {
      const inv = ctx.store.addInvitation(ctx.itwin, {
        email: normEmail(m.email),
        roleIds,
        invitedByEmail: ctx.caller.email,
      });
      invitations.push(invitationView(ctx.itwin, inv));
    }
  }
  return { status: 201, body: { members, invitations } };
}

function updateUser(ctx: RouteCtx): SandboxResponse {
  if (!ctx.access.permissions.has('administration_invite_member')) return forbidden();
  const id = memberIdOf(ctx);
  if (id === undefined || !ctx.itwin.members.has(id)) return notFound('TeamMemberNotFound');
  const body = jsonBody(ctx.req);
  if (!isObject(body)) {
    return invalid(FAMILY, [{ code: 'InvalidRequestBody', message: 'A JSON request body is required.' }]);
  }
  const roleErr = checkRoles(ctx, body['roleIds'], 'roleIds');
  if (roleErr) return roleErr;
  const roleIds = [...new Set((body['roleIds'] as string[]).map((r) => r.toLowerCase()))];
  ctx.itwin.members.set(id, roleIds);
  return { status: 200, body: { member: userMemberView(ctx.store, ctx.itwin, id, roleIds) } };
}

function listOwners(ctx: RouteCtx): SandboxResponse {
  const paging = parsePaging(ctx.req, FAMILY);
  if (!isPaging(paging)) return paging;
  const all = [...ctx.itwin.owners];
  const members = page(all, paging).map((id) => ownerView(ctx.store, id));
  return { status: 200, body: { members, _links: pageLinks(ctx.req, paging, all.length) } };
}

function addOwner(ctx: RouteCtx): SandboxResponse {
  if (!ctx.access.owner) return forbidden();
  const body = jsonBody(ctx.req);
  const email = isObject(body) ? body['email'] : undefined;
  if (typeof email !== 'string' || !email.includes('@')) {
    return invalid(FAMILY, [
      { code: 'MissingRequiredProperty', message: 'email is required.', target: 'email' },
    ]);
  }
  const user = ctx.store.userByEmail(email);
  if (user && ctx.itwin.owners.has(user.id)) {
    return {
      status: 409,
      body: {
        error: {
          code: 'OwnerAlreadyExists',
          message: 'Requested user is already an iTwin Owner.',
          target: 'email',
        },
      },
    };
  }
  if (user?.internal) {
    ctx.itwin.owners.add(user.id);
    return { status: 201, body: { member: ownerView(ctx.store, user.id), invitation: null } };
  }
  const inv = ctx.store.addInvitation(ctx.itwin, {
    email: normEmail(email),
    roleIds: [],
    invitedByEmail: ctx.caller.email,
    owner: true,
  });
  return { status: 201, body: { member: null, invitation: invitationView(ctx.itwin, inv) } };
}

function deleteOwner(ctx: RouteCtx): SandboxResponse {
  if (!ctx.access.owner) return forbidden();
  const id = memberIdOf(ctx);
  if (id === undefined || !ctx.itwin.owners.delete(id)) return notFound('TeamMemberNotFound');
  return { status: 204 };
}

function memberGroups(ctx: RouteCtx) {
  return [...ctx.itwin.groups.values()].filter((g) => g.memberRoleIds !== null);
}

function listGroupMembers(ctx: RouteCtx): SandboxResponse {
  const paging = parsePaging(ctx.req, FAMILY);
  if (!isPaging(paging)) return paging;
  const all = memberGroups(ctx);
  const members = page(all, paging).map((g) => groupMemberView(ctx.itwin, g));
  return { status: 200, body: { members, _links: pageLinks(ctx.req, paging, all.length) } };
}

function groupMemberOf(ctx: RouteCtx) {
  const id = ctx.params['memberId']!;
  const g = isGuid(id) ? ctx.itwin.groups.get(id.toLowerCase()) : undefined;
  return g && g.memberRoleIds !== null ? g : undefined;
}

function getGroupMember(ctx: RouteCtx): SandboxResponse {
  const g = groupMemberOf(ctx);
  if (!g) return notFound('TeamMemberNotFound');
  return { status: 200, body: { member: groupMemberView(ctx.itwin, g) } };
}

function deleteGroupMember(ctx: RouteCtx): SandboxResponse {
  if (!ctx.access.permissions.has('administration_remove_member')) return forbidden();
  const g = groupMemberOf(ctx);
  if (!g) return notFound('TeamMemberNotFound');
  g.memberRoleIds = null;
  return { status: 204 };
}

export const memberRoutes: Route[] = [
  { method: 'GET', pattern: ['members', 'users'], handle: listUsers },
  { method: 'POST', pattern: ['members', 'users'], handle: addUsers },
  { method: 'GET', pattern: ['members', 'users', ':memberId'], handle: getUser },
  { method: 'PATCH', pattern: ['members', 'users', ':memberId'], handle: updateUser },
  { method: 'DELETE', pattern: ['members', 'users', ':memberId'], handle: deleteUser },
  { method: 'GET', pattern: ['members', 'owners'], handle: listOwners },
  { method: 'POST', pattern: ['members', 'owners'], handle: addOwner },
  { method: 'DELETE', pattern: ['members', 'owners', ':memberId'], handle: deleteOwner },
  { method: 'GET', pattern: ['members', 'groups'], handle: listGroupMembers },
  { method: 'GET', pattern: ['members', 'groups', ':memberId'], handle: getGroupMember },
  { method: 'DELETE', pattern: ['members', 'groups', ':memberId'], handle: deleteGroupMember },
];
