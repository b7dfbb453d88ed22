/**
 * X-Ray tracing through the Powertools tracer, loaded on the first invocation (tracer-module.ts)
 * instead of at module load, and only where tracing can be on (tracingWanted).
 *
 * The tracer brings the X-Ray SDK, the largest single part of a function's start after zod. Every
 * function still traces exactly as before: the handler middleware builds the tracer before the
 * first invocation's handler runs (so its HTTP patching precedes every call) and the wiring wraps
 * the AWS SDK clients with it. What changes is only when the module is evaluated: in the first
 * invocation, not in the Lambda init phase.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj, Request } from '@middy/core';
import { SERVICE_NAME } from './observability.ts';

let loading: Promise<Tracer> | undefined;

/**
 * Whether tracing can be on, by the rule Powertools' tracer applies: not when
 * POWERTOOLS_TRACE_ENABLED is `false`, and only in a Lambda execution environment (not the SAM CLI
 * or the Amplify mock). Elsewhere (the local runtime, tests, benchmarks) the tracer is not loaded
 * at all: its X-Ray SDK would hook every promise of the process.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() === 'false') return false;
  const execution = env.AWS_EXECUTION_ENV ?? '';
  return execution !== '' && execution !== 'AWS_Lambda_amplify-mock' && !env.AWS_SAM_LOCAL;
}

/** The process's tracer, built once; undefined where tracing cannot be on (tracingWanted). */
export function getTracer(): Promise<Tracer | undefined> {
  if (!tracingWanted()) return Promise.resolve(undefined);
  loading ??= import('./tracer-module.ts')
    .then(({ Tracer }) => new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME }))
    .catch((e: unknown) => {
      loading = undefined;
      throw e;
    });
  return loading;
}

/**
 * Powertools' `captureLambdaHandler` (a subsegment per invocation, the ColdStart and Service
 * annotations), built on the first invocation. The response is never copied into a trace: it can
 * hold raw emails (offboardings, audit exports).
 */
export function traceHandler(): MiddlewareObj {
  let inner: Promise<MiddlewareObj> | undefined;
  const middleware = (): Promise<MiddlewareObj> => {
    if (!tracingWanted()) return Promise.resolve({});
    inner ??= Promise.all([getTracer(), import('./tracer-module.ts')])
      .then(([tracer, { captureLambdaHandler }]) =>
        tracer ? captureLambdaHandler(tracer, { captureResponse: false }) : {},
      )
      .catch((e: unknown) => {
        inner = undefined;
        throw e;
      });
    return inner;
  };
  return {
    before: async (request: Request) => (await middleware()).before?.(request),
    after: async (request: Request) => (await middleware()).after?.(request),
    onError: async (request: Request) => (await middleware()).onError?.(request),
  };
}
