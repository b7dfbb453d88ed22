/**
 * What an HR source module is: verify the request its own way, then normalise it to HrEvents.
 * The intake handler calls `challenge` (when present) after `verify`, then `parse`.
 */
import type { HR_SOURCE_TYPES } from '../core/config.ts';
import type { HrEvent } from '../core/model.ts';

export type HrSourceType = (typeof HR_SOURCE_TYPES)[number];

/** The request as received: header names lower-cased, the body exactly as sent (verification needs it). */
export interface RawWebhook {
  method: string;
  headers: Record<string, string | undefined>;
  body: string;
  /** The `{source}` path segment (the configured source id): becomes HrEvent.source. */
  sourceId: string;
}

export interface HrSource {
  readonly type: HrSourceType;
  /**
   * True when one delivery may carry several events (Okta's event hooks, BambooHR's webhooks): the
   * intake then answers with every offboarding id (`offboardingIds`), else with the one id
   * (`offboardingId`).
   */
  readonly batched: boolean;
  /**
   * Throws LeaverError('invalid_signature', 'Invalid signature') (no detail, whatever the cause),
   * 'payload_too_large' for a body over MAX_BODY_BYTES (refused before hashing), or 'config_invalid'
   * when the secret's value does not have the source's shape.
   */
  verify(raw: RawWebhook, secretValue: unknown, now: Date): void;
  /** Normalised events (possibly none: events Leaver does not act on); throws 'invalid_request'. */
  parse(raw: RawWebhook, now: Date): HrEvent[];
  /** A one-time verification handshake to answer instead of parsing (Okta's GET); else undefined. */
  challenge?(raw: RawWebhook): { status: number; body: unknown } | undefined;
}
