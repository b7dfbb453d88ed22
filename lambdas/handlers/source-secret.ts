/**
 * The intake's view of an HR source's secret: its value, or a LeaverError that answers 503 with
 * Retry-After when the source is not configured yet. A secret that is missing, unreadable, still
 * the placeholder a first deploy creates, or of the wrong shape for its source is an operator's
 * job to fix, not the sender's fault: HR systems retry a 503 (they give up on a 500 or a 401), so
 * the termination arrives once the secret is put. Every such answer counts in the
 * `SourceSecretUnavailable` metric, which alarms.
 */
import type { SourceConfig } from '../core/config.ts';
import { isLeaverError, LeaverError } from '../core/errors.ts';
import type { SecretStore } from '../core/ports.ts';
import { type MetricsRecorder, recorder } from './observability.ts';

/** Seconds an HR system is asked to wait before retrying a webhook whose source is not configured. */
export const UNCONFIGURED_RETRY_AFTER_SECONDS = 60;

/** The custom metric (namespace Leaver, dimension `service` only) the alarm reads. */
export const SOURCE_SECRET_UNAVAILABLE_METRIC = 'SourceSecretUnavailable';

export type UnconfiguredReason = 'unreadable' | 'placeholder' | 'malformed';

/**
 * The value a first deploy generates for every secret: `{"placeholder":true,"unset":"..."}`. No
 * source accepts it; recognising it lets the log say exactly what is left to do.
 */
export function isPlaceholderSecret(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as { placeholder?: unknown }).placeholder === true
  );
}

/** The 503 answer's error: the same for every reason, so a caller learns nothing about our secrets. */
export function sourceNotConfigured(reason: UnconfiguredReason): LeaverError {
  return new LeaverError('secret_unavailable', 'This webhook source is not configured yet; retry later', {
    retryable: true,
    retryAfterSeconds: UNCONFIGURED_RETRY_AFTER_SECONDS,
    details: { reason },
  });
}

export function countUnconfigured(rec: MetricsRecorder = recorder): void {
  rec.count(SOURCE_SECRET_UNAVAILABLE_METRIC);
}

/** The source's secret value; throws `sourceNotConfigured` when it is missing, unreadable or the placeholder. */
export async function sourceSecret(
  secrets: SecretStore,
  source: Pick<SourceConfig, 'secretName'>,
): Promise<unknown> {
  let value: unknown;
  try {
    value = await secrets.get(source.secretName);
  } catch (e) {
    if (isLeaverError(e) && e.code === 'secret_unavailable') throw sourceNotConfigured('unreadable');
    throw e;
  }
  if (isPlaceholderSecret(value)) {
    // Not kept in the cache: the first request after the operator puts the value must see it.
    secrets.invalidate(source.secretName);
    throw sourceNotConfigured('placeholder');
  }
  return value;
}

/** True for the error `sourceSecret`/`sourceNotConfigured` throws. */
export function isSourceNotConfigured(e: unknown): e is LeaverError {
  return isLeaverError(e) && e.code === 'secret_unavailable' && typeof e.details?.reason === 'string';
}
