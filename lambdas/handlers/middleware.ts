/**
 * The middy stack every handler shares: Powertools logger context (cold start, request id, keys
 * reset per invocation), tracer (loaded on the first invocation: tracing.ts), and one metrics flush
 * per invocation. Handlers stay thin: they decode the event, call core and map the result.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, recorder, withInvocationLogger } from './observability.ts';
import { traceHandler } from './tracing.ts';

/** Publishes the invocation's aggregated metrics whether the handler succeeded or threw. */
export function flushMetrics(): MiddlewareObj {
  const flush = () => recorder.flush();
  return { name: 'flushMetrics', after: flush, onError: flush };
}

/** A Lambda handler as the runtime (or the local runtime) calls it. */
export type LambdaHandler<TEvent, TResult> = (event: TEvent, context: Context) => Promise<TResult>;

/**
 * Wraps a handler function with Leaver's middleware, inside a logger of the invocation's own so
 * that its Lambda context (function name, request id) is never another invocation's.
 */
export function withMiddleware<TEvent, TResult>(
  fn: (event: TEvent, context: Context) => Promise<TResult>,
): LambdaHandler<TEvent, TResult> {
  // A response can hold raw emails (offboardings, audit exports): never copy it into a trace.
  const stack = middy<TEvent, TResult, Error, Context>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceHandler())
    .use(flushMetrics());
  return (event, context) => withInvocationLogger(() => stack(event, context));
}

/**
 * A Lambda-like context for callers outside Lambda (the local runtime, tests): `remainingMs` is the
 * budget the handler gets, exactly as Lambda's remaining time.
 */
export function localContext(functionName: string, remainingMs = 60_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `local-${started.toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, remainingMs - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
