/**
 * The Powertools tracer and its handler middleware, loaded only where tracing can be on (a Lambda
 * function; tracing.ts decides). Importing the X-Ray SDK registers async hooks that track every
 * promise of the process, whether tracing is on or not: in the local runtime and the benchmarks that
 * cost about a tenth of the worker's CPU for nothing.
 */
export { Tracer } from '@aws-lambda-powertools/tracer';
export { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
