/**
 * X-Ray tracing through the Powertools tracer, loaded on the first invocation (first-use.ts) instead
 * of at module load.
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

/** The process's tracer, built once (tracing on or off as Powertools decides from the environment). */
export function getTracer(): Promise<Tracer> {
  loading ??= import('./first-use.ts')
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
  const middleware = () => {
    inner ??= Promise.all([getTracer(), import('./first-use.ts')])
      .then(([tracer, { captureLambdaHandler }]) => captureLambdaHandler(tracer, { captureResponse: false }))
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
