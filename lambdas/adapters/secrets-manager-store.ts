/**
 * SecretStore on AWS Secrets Manager. Values are JSON documents (SecretString), cached for at most
 * `maxAgeMs`; concurrent gets of one secret share one request; `invalidate(name)` (after a vendor
 * 401) makes the next get read the current, possibly rotated, value. Errors name the secret, never
 * its value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LeaverError } from '../core/errors.ts';
import type { Clock, SecretStore } from '../core/ports.ts';
import { awsErrorName } from './aws-errors.ts';
import { SecretCache } from './secret-cache.ts';
import { systemClock } from './system-clock.ts';

export interface SecretsManagerStoreOptions {
  client: SecretsManagerClient;
  /** Longest a value is served from memory. */
  maxAgeMs?: number;
  clock?: Clock;
}

const NOT_FOUND = new Set(['ResourceNotFoundException', 'DecryptionFailure', 'AccessDeniedException']);

export class SecretsManagerStore implements SecretStore {
  private readonly client: SecretsManagerClient;
  private readonly cache: SecretCache;

  constructor(opts: SecretsManagerStoreOptions) {
    this.client = opts.client;
    this.cache = new SecretCache(opts.maxAgeMs ?? 300_000, opts.clock ?? systemClock);
  }

  async get<T = Record<string, unknown>>(name: string): Promise<T> {
    if (!name) throw new LeaverError('secret_unavailable', 'No secret name given');
    return (await this.cache.get(name, () => this.fetch(name))) as T;
  }

  invalidate(name: string): void {
    this.cache.invalidate(name);
  }

  private async fetch(name: string): Promise<unknown> {
    let secretString: string | undefined;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      secretString = out.SecretString;
    } catch (e) {
      const code = awsErrorName(e) ?? 'Error';
      // The cause is kept only for known-safe AWS errors; it never holds the value (the call failed).
      if (NOT_FOUND.has(code)) {
        throw new LeaverError('secret_unavailable', `Secret ${name} is not available (${code})`, {
          retryable: code !== 'ResourceNotFoundException',
          details: { secretName: name },
        });
      }
      throw new LeaverError('secret_unavailable', `Reading secret ${name} failed (${code})`, {
        retryable: true,
        details: { secretName: name },
      });
    }
    return parseSecretValue(name, secretString);
  }
}

/** A secret's JSON object value; errors name the secret only, never echo its content. */
export function parseSecretValue(name: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) {
    throw new LeaverError('secret_unavailable', `Secret ${name} has no string value`, {
      details: { secretName: name },
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LeaverError('secret_unavailable', `Secret ${name} is not valid JSON`, {
      details: { secretName: name },
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LeaverError('secret_unavailable', `Secret ${name} must be a JSON object`, {
      details: { secretName: name },
    });
  }
  return value as Record<string, unknown>;
}
