/**
 * Types of the shared vendor HTTP layer (connectors/http). Connectors describe a call; the layer
 * does auth, rate limiting, timeouts, retries and error mapping.
 */
import type { VendorId } from '../../core/model.ts';

/** The part of a fetch Response the layer reads (undici's and the global fetch both satisfy it). */
export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A fetch: Node's global fetch by default (keep-alive pool per origin); tests and callers may pass their own. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute URL. */
  url: string;
  /** Route template for metrics and logs (ids replaced), e.g. `/orgs/{id}/invites/{id}`. */
  route: string;
  headers?: Record<string, string>;
  /** A JSON body (serialised here). */
  json?: unknown;
  /** Statuses answered as a result instead of a thrown error (e.g. 404 on DELETE). */
  acceptStatuses?: readonly number[];
  /** Rate-limit bucket inside the tenant (Atlas limits per endpoint set); default: the tenant's one bucket. */
  limitKey?: string;
}

export interface HttpResult<T = unknown> {
  status: number;
  /** Parsed JSON body; undefined for an empty body. */
  body: T | undefined;
  vendorRequestId?: string;
  /** Attempts this call took (1 = first try succeeded). */
  attempts: number;
}

export interface RetryPolicy {
  /** Attempts at most for 5xx and network faults (first try included). */
  maxAttempts: number;
  /** Attempts at most while the vendor answers 429 (bounded by the deadline too). */
  maxRateLimitedAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; a longer one ends the call (retryable) instead of sleeping. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  maxRateLimitedAttempts: 20,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 120_000,
};

/** Time and randomness, injectable for tests. */
export interface Timing {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export interface VendorTarget {
  vendor: VendorId;
  tenantId: string;
}
