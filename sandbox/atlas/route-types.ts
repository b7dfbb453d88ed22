import type { SandboxRequest } from '../core/types.ts';
import type { Need } from '../mongodb/roles.ts';
import type { RouteDef } from '../mongodb/router.ts';
import type { Scope } from '../mongodb/scope.ts';
import type { MongoStore } from '../mongodb/store.ts';
import type { EndpointSet } from './rate-limits.ts';

export interface AtlasCtx {
  req: SandboxRequest;
  params: Record<string, string>;
  scope: Scope;
  store: MongoStore;
  /** The resource version the request resolved to. */
  version: string;
}

export type AtlasHandler = (ctx: AtlasCtx) => { status: number; body?: unknown };

export interface AtlasRoute {
  need: Need;
  set: EndpointSet;
  /** Supported versions -> handler (the handler may branch on ctx.version). */
  versions: readonly string[];
  run: AtlasHandler;
}

export const V2023 = '2023-01-01';
export const V2025 = '2025-02-19';

export function route(
  method: string,
  pattern: string,
  need: Need,
  set: EndpointSet,
  versions: readonly string[],
  run: AtlasHandler,
): RouteDef<AtlasRoute> {
  return { method, pattern, meta: { need, set, versions, run } };
}

export const ok = (body: unknown) => ({ status: 200, body });
export const noContent = () => ({ status: 204 });
