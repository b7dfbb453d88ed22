/**
 * The configuration error, apart from the schema (config.ts) so that code which only reports it
 * (a handler's error path) does not load zod and the schemas at start.
 */
export class ConfigInvalidError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigInvalidError';
  }
}

/** The message to print when start-up stops on a bad configuration: no stack trace. */
export function describeConfigError(e: unknown): string | undefined {
  return e instanceof ConfigInvalidError ? e.message : undefined;
}
