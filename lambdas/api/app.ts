/**
 * The management API as one function of an API Gateway HTTP API (v2) event: the route table, its
 * router, and the environment each route gets. The Lambda handler (handlers/api.ts) and the tests
 * call it; the local runtime reaches it through that handler.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EngineDeps } from '../core/deps.ts';
import type { DeadLetterQueue, SecretStore } from '../core/ports.ts';
import type { HttpResult } from './http-response.ts';
import type { AuthMode } from './request.ts';
import { decodeEvent, Router } from './router.ts';
import { ROUTES } from './routes.ts';
import { API_VERSION } from './version.ts';

export const router = new Router(ROUTES);

// What the API function's handler (handlers/api.ts) takes from here rather than importing it, so
// that all of it loads with the route table on the first request and none at the function's start.
export { LeaverError } from '../core/errors.ts';
export { problem } from './http-response.ts';
export { decodeEvent };

export interface ApiOptions {
  deps: EngineDeps;
  /** `local`: bearer token from the secret store; `aws`: the API Gateway authoriser's principal. */
  auth: AuthMode;
  secrets?: SecretStore;
  /** The work queue's dead-letter queue, for the dead-letter routes. */
  deadLetters?: DeadLetterQueue;
  /** Epoch ms by which vendor calls (preview, targeted revocations) must have ended. */
  deadline?: number;
}

export function handleApiEvent(event: APIGatewayProxyEventV2, opts: ApiOptions): Promise<HttpResult> {
  const req = decodeEvent(event);
  return router.dispatch(req, {
    deps: opts.deps,
    auth: opts.auth,
    secrets: opts.secrets,
    ...(opts.deadLetters ? { deadLetters: opts.deadLetters } : {}),
    version: API_VERSION,
    deadline: opts.deadline ?? Date.now() + 25_000,
  });
}
