/**
 * Loads Leaver's configuration document once per process.
 *
 * - In Lambda: `LEAVER_CONFIG_JSON` holds the document itself.
 * - Locally: `LEAVER_CONFIG` names a JSON file (default `local/demo-config.json`, relative to the
 *   working directory).
 *
 * The document is validated by `parseConfig` (core/config.ts). Every failure is a
 * `ConfigInvalidError` whose message names the file and each field with its rule, so start-up can
 * print it and stop without a stack trace.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigInvalidError, type LeaverConfig, parseConfig } from '../core/config.ts';

export const DEFAULT_CONFIG_PATH = 'local/demo-config.json';

export interface ConfigSource {
  /** Where the document came from, for messages: `LEAVER_CONFIG_JSON` or the file path. */
  origin: string;
  text: string;
}

/** Reads the raw document named by the environment (no validation). */
export function readConfigSource(env: NodeJS.ProcessEnv = process.env): ConfigSource {
  const inline = env.LEAVER_CONFIG_JSON;
  if (inline !== undefined && inline.trim() !== '') return { origin: 'LEAVER_CONFIG_JSON', text: inline };
  const path = resolve(env.LEAVER_CONFIG?.trim() || DEFAULT_CONFIG_PATH);
  try {
    return { origin: path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`;
    throw new ConfigInvalidError([`${path}: ${why} (set LEAVER_CONFIG to a configuration file)`]);
  }
}

/** Parses and validates a configuration document; problems name their origin. */
export function parseConfigText(source: ConfigSource): LeaverConfig {
  let value: unknown;
  try {
    value = JSON.parse(source.text);
  } catch (e) {
    // JSON.parse's message may quote the text around the error (a webhook URL, say): keep only
    // the position it names.
    const at = /at position (\d+)/.exec((e as Error).message)?.[1];
    throw new ConfigInvalidError([`${source.origin}: not valid JSON${at ? ` (at position ${at})` : ''}`]);
  }
  try {
    return parseConfig(value);
  } catch (e) {
    if (e instanceof ConfigInvalidError) {
      throw new ConfigInvalidError(e.problems.map((p) => `${source.origin}: ${p}`));
    }
    throw e;
  }
}

/** Reads and validates the configuration named by the environment (no caching). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LeaverConfig {
  return parseConfigText(readConfigSource(env));
}

let cached: LeaverConfig | undefined;

/** The process's configuration, loaded on first use (a Lambda cold start) and then reused. */
export function getConfig(): LeaverConfig {
  cached ??= loadConfig();
  return cached;
}

/** Forgets the cached configuration (tests). */
export function resetConfigCache(): void {
  cached = undefined;
}

export { describeConfigError } from '../core/config-error.ts';
