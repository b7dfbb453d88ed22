/**
 * The process's dependencies, for every handler: injected (the local runtime, tests) or built from
 * the environment on first use (a Lambda function's first invocation) and kept for the life of the
 * container.
 *
 * The code that builds them (wiring.ts: the adapters, the configuration's schema, the tracer) loads
 * with them, in the first invocation. The AWS SDK clients they use are imported here, so they still
 * load at init: they are the bulk of a start, the same whatever Leaver does, and Lambda may run
 * init before the first request arrives (a proactive start), where the first invocation cannot hide.
 */
import '@aws-sdk/client-dynamodb';
import '@aws-sdk/lib-dynamodb';
import '@aws-sdk/client-secrets-manager';
import type { HandlerDeps } from './handler-deps.ts';

/**
 * Where the process runs: `aws` (API Gateway authorises the management API with IAM/JWT) or `local`
 * (the local runtime: the API checks a bearer token from the secret store).
 */
export type RuntimeMode = 'aws' | 'local';

let injected: HandlerDeps | undefined;
let mode: RuntimeMode = 'aws';
let built: Promise<HandlerDeps> | undefined;

export function runtimeMode(): RuntimeMode {
  return mode;
}

/**
 * The process's dependencies: the injected ones (local runtime, tests) or, on first use, the AWS
 * ones built from the environment and cached for the life of the container.
 */
export function getDeps(): Promise<HandlerDeps> {
  if (injected) return Promise.resolve(injected);
  if (!built) {
    built = import('./first-use.ts')
      .then(({ buildAwsDeps }) => buildAwsDeps())
      .catch((e: unknown) => {
        built = undefined; // the next invocation tries again (e.g. after a config fix and redeploy)
        throw e;
      });
  }
  return built;
}

/**
 * Injects dependencies for every handler in this process (the local runtime passes `local`, tests
 * usually too). `undefined` goes back to building them from the environment.
 */
export function setDeps(deps: HandlerDeps | undefined, runtime: RuntimeMode = deps ? 'local' : 'aws'): void {
  injected = deps;
  mode = runtime;
  built = undefined;
}
