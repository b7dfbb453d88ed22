/**
 * Roles and permissions (docs/vendors.md#itwin-endpoints rows 17-18). `GET /itwins/permissions` (every permission)
 * is served by the router before the iTwin id is parsed. A malformed role id -> 404 RoleNotFound.
 */
import type { SandboxResponse } from '../../core/types.ts';
import type { Route, RouteCtx } from '../context.ts';
import { notFound } from '../errors.ts';
import { isGuid } from '../ids.ts';
import type { Role } from '../model.ts';

const roleView = (r: Role) => ({
  id: r.id,
  displayName: r.displayName,
  description: r.description,
  permissions: [...r.permissions],
  type: r.type,
});

function list(ctx: RouteCtx): SandboxResponse {
  return { status: 200, body: { roles: [...ctx.itwin.roles.values()].map(roleView) } };
}

function get(ctx: RouteCtx): SandboxResponse {
  const id = ctx.params['roleId']!;
  const r = isGuid(id) ? ctx.itwin.roles.get(id.toLowerCase()) : undefined;
  if (!r) return notFound('RoleNotFound');
  return { status: 200, body: { role: roleView(r) } };
}

function permissions(ctx: RouteCtx): SandboxResponse {
  return { status: 200, body: { permissions: [...ctx.access.permissions].sort() } };
}

export const roleRoutes: Route[] = [
  { method: 'GET', pattern: ['roles'], handle: list },
  { method: 'GET', pattern: ['roles', ':roleId'], handle: get },
  { method: 'GET', pattern: ['permissions'], handle: permissions },
];
