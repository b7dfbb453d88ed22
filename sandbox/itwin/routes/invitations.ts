/**
 * Member invitations (docs/vendors.md#itwin-endpoints rows 8-11, #itwin-invitations).
 *
 * - Listing/getting: owners and Org Admins see every invitation, others only those they sent; an
 *   invitation the caller may not see answers 404 InvitationNotFound like an absent one [I].
 * - Expired (7 days after creation) and consumed invitations are gone: GET/DELETE -> 404.
 * - DELETE needs administration_invite_member or administration_remove_member [I] (docs: "must be a
 *   member"; a read-only member gets 403).
 * - Accept: only the invited user (a user token from the control action `issue-user-token`); a service
 *   app accepting someone else's invitation -> 403 InsufficientPermissions. Caller already a user
 *   member -> 204 even for a random GUID (Bentley's access-control-client tests). A malformed (non-GUID) invitation id -> 404
 *   InvitationNotFound before anything else [I].
 */
import type { SandboxResponse } from '../../core/types.ts';
import { seesAllInvitations } from '../access.ts';
import type { Route, RouteCtx } from '../context.ts';
import { forbidden, notFound } from '../errors.ts';
import { isGuid } from '../ids.ts';
import type { Invitation } from '../model.ts';
import { isPaging, page, pageLinks, parsePaging } from '../paging.ts';
import { invitationView } from '../views.ts';

const FAMILY = 'InvalidiTwinsMemberInvitationsRequest';

function visible(ctx: RouteCtx): Invitation[] {
  const all = [...ctx.itwin.invitations.values()];
  return seesAllInvitations(ctx.access) ? all : all.filter((i) => i.invitedByEmail === ctx.caller.email);
}

function findVisible(ctx: RouteCtx): Invitation | undefined {
  const id = ctx.params['invitationId']!;
  const inv = isGuid(id) ? ctx.itwin.invitations.get(id.toLowerCase()) : undefined;
  if (!inv) return undefined;
  return seesAllInvitations(ctx.access) || inv.invitedByEmail === ctx.caller.email ? inv : undefined;
}

function list(ctx: RouteCtx): SandboxResponse {
  const paging = parsePaging(ctx.req, FAMILY);
  if (!isPaging(paging)) return paging;
  const all = visible(ctx);
  const invitations = page(all, paging).map((i) => invitationView(ctx.itwin, i));
  return { status: 200, body: { invitations, _links: pageLinks(ctx.req, paging, all.length) } };
}

function get(ctx: RouteCtx): SandboxResponse {
  const inv = findVisible(ctx);
  if (!inv) return notFound('InvitationNotFound');
  return { status: 200, body: { invitation: invitationView(ctx.itwin, inv) } };
}

function remove(ctx: RouteCtx): SandboxResponse {
  const p = ctx.access.permissions;
  if (!p.has('administration_invite_member') && !p.has('administration_remove_member')) return forbidden();
  const inv = findVisible(ctx);
  if (!inv) return notFound('InvitationNotFound');
  ctx.itwin.invitations.delete(inv.id);
  return { status: 204 };
}

function accept(ctx: RouteCtx): SandboxResponse {
  const id = ctx.params['invitationId']!;
  if (!isGuid(id)) return notFound('InvitationNotFound');
  const user = ctx.store.users.get(ctx.caller.userId)!;
  const r = ctx.store.accept(ctx.itwin, user, id);
  if (r.ok) return { status: 204 };
  return r.reason === 'not-found' ? notFound('InvitationNotFound') : forbidden();
}

export const invitationRoutes: Route[] = [
  { method: 'GET', pattern: ['members', 'invitations'], handle: list },
  { method: 'GET', pattern: ['members', 'invitations', ':invitationId'], handle: get },
  { method: 'DELETE', pattern: ['members', 'invitations', ':invitationId'], handle: remove },
  {
    method: 'POST',
    pattern: ['members', 'invitations', ':invitationId', 'accept'],
    allowNonMember: true,
    handle: accept,
  },
];
