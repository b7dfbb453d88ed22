import type { SandboxRequest, SandboxResponse } from '../core/types.ts';
import type { Access } from './access.ts';
import type { Caller, Itwin } from './model.ts';
import type { ItwinStore } from './store.ts';

/** Everything a route handler needs; the router has already authenticated and found the iTwin. */
export interface RouteCtx {
  req: SandboxRequest;
  store: ItwinStore;
  caller: Caller;
  itwin: Itwin;
  access: Access;
  /** Path parameters after the iTwin id (e.g. memberId, groupId, invitationId). */
  params: Record<string, string>;
}

export interface Route {
  method: string;
  /** Segments after `/accesscontrol/itwins/{id}`; `:name` captures a parameter. */
  pattern: string[];
  /** Accept is the only route a caller who is not yet an iTwin member may use. */
  allowNonMember?: boolean;
  handle(ctx: RouteCtx): SandboxResponse;
}

/** Parses a JSON request body; undefined when it is empty or not JSON. */
export function jsonBody(req: SandboxRequest): unknown {
  if (req.body.length === 0) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
