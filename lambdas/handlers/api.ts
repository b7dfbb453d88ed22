/**
 * The management API function (API Gateway HTTP API, `ANY /v1/{proxy+}`). Thin: it gets the
 * process's dependencies and the runtime mode from the wiring and hands the event to the API's
 * router (lambdas/api/), which authenticates, validates, calls core and answers JSON or
 * application/problem+json.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handleApiEvent } from '../api/app.ts';
import { type HttpResult, problem } from './http-response.ts';
import { withMiddleware } from './middleware.ts';
import { deadlineFrom } from './observability.ts';
import { getDeps, runtimeMode } from './wiring.ts';

export async function apiHandler(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  let deps: Awaited<ReturnType<typeof getDeps>>;
  try {
    deps = await getDeps();
  } catch (e) {
    // A broken deployment (configuration, environment) is a 500 that reveals nothing.
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
