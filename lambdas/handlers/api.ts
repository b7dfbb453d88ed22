/**
 * The management API function (API Gateway HTTP API, `ANY /v1/{proxy+}`). Thin: it gets the
 * process's dependencies and the runtime mode from the wiring and hands the event to the API's
 * router (lambdas/api/), which authenticates, validates, calls core and answers JSON or
 * application/problem+json.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handleApiEvent } from '../api/app.ts';
import { describeConfigError } from './config-loader.ts';
import { type HttpResult, problem } from './http-response.ts';
import { withMiddleware } from './middleware.ts';
import { deadlineFrom, logger } from './observability.ts';
import { getDeps, runtimeMode } from './wiring.ts';

export async function apiHandler(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
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
    deadline: deadlineFrom(context.getRemainingTimeInMillis()),
  });
}

export const handler = withMiddleware(apiHandler);
