/**
 * Reads and validates the configuration file the stack is synthesized from. Every failure is a
 * `ConfigInvalidError` whose message names the file and each field with its rule (no stack trace).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigInvalidError, type LeaverConfig } from '../lambdas/core/config.ts';
import { parseConfigText } from '../lambdas/handlers/config-loader.ts';

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
  // The same parse as every function's loader: one configuration edge, whose messages never quote
  // the document (a parse error's text can hold a webhook URL or a token).
  return parseConfigText({ origin: file, text });
}
