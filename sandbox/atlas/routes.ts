import type { RouteDef } from '../mongodb/router.ts';
import type { AtlasRoute } from './route-types.ts';
import { INVITE_ROUTES } from './routes-invites.ts';
import { ROLE_ROUTES } from './routes-roles.ts';
import { TEAM_ROUTES } from './routes-teams.ts';
import { USER_ROUTES } from './routes-users.ts';

/**
 * Every Atlas Admin API v2 route the emulator serves, relative to `/api/atlas/v2`. The literal-colon
 * routes (`:removeUser`, `:removeRole`) come before the plain `{userId}` ones, whose parameter would
 * otherwise swallow the `:verb` suffix.
 */
export const ATLAS_ROUTES: RouteDef<AtlasRoute>[] = [
  ...ROLE_ROUTES,
  ...TEAM_ROUTES,
  ...INVITE_ROUTES,
  ...USER_ROUTES,
];
