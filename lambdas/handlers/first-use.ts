/**
 * What a Lambda function loads on its first invocation instead of at init, gathered in one module
 * so that the bundle puts it in one chunk: every file a start reads costs a few milliseconds of its
 * own (resolving, reading, compiling, its source map), and each separate `import()` target would
 * split the code shared with the handler into further small files read at init.
 *
 * - the AWS dependencies and the configuration's schema (zod): wiring.ts, config-loader.ts
 * - Powertools Metrics, first needed by the first flush (observability.ts)
 * - the HR sources and their input rules (zod), which only the intake uses: in every function's
 *   chunk (a few KiB), because as an `import()` of their own they would split the code the intake
 *   shares with them into three more small files read at its start
 *
 * The connectors (first vendor call) and the API's route table (api.ts) load apart: several
 * functions never need them. So does the tracer (tracer-module.ts): only where tracing can be on.
 */
export { Metrics } from '@aws-lambda-powertools/metrics';
export { getSource } from '../sources/index.ts';
export { buildAwsDeps } from './wiring.ts';
