/**
 * The management API function (API Gateway HTTP API, `ANY /v1/{proxy+}`). Thin: it gets the
 * process's dependencies and the runtime mode from the wiring and hands the event to the API's
 * router (lambdas/api/), which authenticates, validates, calls core and answers JSON or
 * application/problem+json.
 *
 * The API itself (its route table and zod schemas) loads on the first request, not at module load,
 * and so do the helpers this handler uses from it (decodeEvent, problem): each module this file
 * shared with the API would otherwise be one more small file read at every start.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResult } from '../api/http-response.ts';
import { describeConfigError } from '../core/config-error.ts';
import { withMiddleware } from './middleware.ts';
import { deadlineFrom, logger } from './observability.ts';
import { getDeps, runtimeMode } from './runtime-deps.ts';
import { callsVendors } from './vendor-routes.ts';

type ApiApp = typeof import('../api/app.ts');
let app: Promise<ApiApp> | undefined;

/** The API's router and dispatcher, loaded once. */
export function loadApi(): Promise<ApiApp> {
  app ??= import('../api/app.ts').catch((e: unknown) => {
    app = undefined;
    throw e;
  });
  return app;
}

/**
 * In AWS the routes that call vendors have their own function with a concurrency cap that the
 * vendor rate-limit share counts (vendor-routes.ts). This one, the general API function, runs with
 * LEAVER_API_VENDOR_CALLS=off and no tenant credentials: it refuses those routes, e.g.
 * `POST /v1/preview/` (trailing slash), which API Gateway sends to `/v1/{proxy+}` but the router
 * would match to the preview. Unset (the local runtime), every route is served.
 */
export async function refusedVendorRoute(
  event: APIGatewayProxyEventV2,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HttpResult | undefined> {
  if (env.LEAVER_API_VENDOR_CALLS?.trim() !== 'off') return undefined;
  const { router, decodeEvent, problem, LeaverError } = await loadApi();
  const req = decodeEvent(event);
  let matched: { method: string; path: string };
  try {
    matched = router.match(req.method, req.path).route;
  } catch {
    return undefined; // 404/405: the router answers it
  }
  if (!callsVendors(matched)) return undefined;
  return problem(
    new LeaverError('not_found', `No route ${req.method} ${req.path}: use ${matched.method} ${matched.path}`),
    event.rawPath,
  );
}

export async function apiHandler(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const { handleApiEvent, problem } = await loadApi();
  const refused = await refusedVendorRoute(event);
  if (refused) return refused;
  let deps: Awaited<ReturnType<typeof getDeps>>;
  try {
    deps = await getDeps();
  } catch (e) {
    // A broken deployment (configuration, environment) is a 500 that reveals nothing to the caller;
    // the log names the kind of failure only (a parse error's message may quote the document).
    logger.error('api dependencies unavailable', {
      error: e instanceof Error ? e.name : typeof e,
      configInvalid: describeConfigError(e) !== undefined,
    });
    return problem(e, event.rawPath);
  }
  return handleApiEvent(event, {
    deps,
    auth: runtimeMode(),
    secrets: deps.secrets,
    ...(deps.deadLetters ? { deadLetters: deps.deadLetters } : {}),
    deadline: deadlineFrom(context.getRemainingTimeInMillis()),
  });
}

export const handler = withMiddleware(apiHandler);
