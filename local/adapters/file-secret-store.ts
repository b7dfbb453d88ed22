/**
 * SecretStore for the local runtime: one JSON file `{ "<secret name>": <JSON object value> }`.
 * The file is read at most every `maxAgeMs` and again after `invalidate()`, so a rotated local
 * secret is picked up. Errors name the file and the secret, never a value.
 */
import { readFile } from 'node:fs/promises';
import { SecretCache } from '../../lambdas/adapters/secret-cache.ts';
import { systemClock } from '../../lambdas/adapters/system-clock.ts';
import { LeaverError } from '../../lambdas/core/errors.ts';
import type { Clock, SecretStore } from '../../lambdas/core/ports.ts';

export interface FileSecretStoreOptions {
  path: string;
  /** Longest the file's content is served from memory. */
  maxAgeMs?: number;
  clock?: Clock;
}

const FILE = '\u0000file';

export class FileSecretStore implements SecretStore {
  private readonly path: string;
  private readonly cache: SecretCache;

  constructor(opts: FileSecretStoreOptions) {
    if (!opts.path) throw new LeaverError('config_invalid', 'FileSecretStore needs a path');
    this.path = opts.path;
    this.cache = new SecretCache(opts.maxAgeMs ?? 30_000, opts.clock ?? systemClock);
  }

  async get<T = Record<string, unknown>>(name: string): Promise<T> {
    const all = (await this.cache.get(FILE, () => this.readAll())) as Record<string, unknown>;
    if (!name || !Object.hasOwn(all, name)) {
      throw new LeaverError('secret_unavailable', `Secret ${name} is not in the secrets file ${this.path}`, {
        retryable: false,
        details: { secretName: name, path: this.path },
      });
    }
    const value = all[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new LeaverError('secret_unavailable', `Secret ${name} in ${this.path} must be a JSON object`, {
        retryable: false,
        details: { secretName: name, path: this.path },
      });
    }
    return value as T;
  }

  /** The next get() reads the file again. */
  invalidate(_name: string): void {
    this.cache.invalidate(FILE);
  }

  private async readAll(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      throw new LeaverError(
        'secret_unavailable',
        code === 'ENOENT'
          ? `Secrets file ${this.path} not found (set LEAVER_SECRETS_FILE or create it)`
          : `Secrets file ${this.path} cannot be read (${code})`,
        { retryable: false, details: { path: this.path } },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's message quotes the text around the error: never pass it on.
      throw new LeaverError('secret_unavailable', `Secrets file ${this.path} is not valid JSON`, {
        retryable: false,
        details: { path: this.path },
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new LeaverError('secret_unavailable', `Secrets file ${this.path} must hold a JSON object`, {
        retryable: false,
        details: { path: this.path },
      });
    }
    return parsed as Record<string, unknown>;
  }
}
