/**
 * Reads and validates the configuration file the stack is synthesized from. Every failure is a
 * `ConfigInvalidError` whose message names the file and each field with its rule (no stack trace).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigInvalidError, type LeaverConfig, parseConfig } from '../lambdas/core/config.ts';

export const DEFAULT_INFRA_CONFIG = 'infra/example-config.json';

export function loadInfraConfig(path: string): LeaverConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigInvalidError([
      `${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`} (set LEAVER_CONFIG)`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigInvalidError([`${file}: not valid JSON (${(e as Error).message})`]);
  }
  try {
    return parseConfig(value);
  } catch (e) {
    if (e instanceof ConfigInvalidError) throw new ConfigInvalidError(e.problems.map((p) => `${file}: ${p}`));
    throw e;
  }
}
