/**
 * The contract between the sandbox's HTTP framework (server, control plane, faults, rate limits,
 * request log, clock) and each vendor emulator. Emulators are plain request -> response functions
 * over in-memory state; the framework owns sockets, fault injection and logging.
 *
 * The sandbox shares no code with lambdas/connectors (an emulator that imports the client proves
 * nothing).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type VendorName = 'itwin' | 'atlas' | 'cloudmanager';

export interface SandboxRequest {
  method: string;
  /** Path below the vendor's root, e.g. `/accesscontrol/itwins/{id}/members/users` for iTwin. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Absolute URL prefix of this vendor's root as the client reached it (for `_links`/`links` hrefs). */
  rootUrl: string;
  /**
   * The request-target exactly as the client sent it (full path incl. the vendor root and query),
   * e.g. for HTTP Digest `uri=` checks. Set by the framework; optional so hand-built requests work.
   */
  originalUrl?: string;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value (serialised by the framework), a string, or nothing (e.g. 204). */
  body?: unknown;
  /**
   * Who the request authenticated as (e.g. `apiKey:cmdemopub`, `client:service-leaver-demo`), for the
   * request log. Never a secret or token. The framework strips it from the wire response.
   */
  identity?: string;
}

/** A token-bucket setting the control plane can push into an emulator (`null` disables limiting). */
export interface RateLimitSetting {
  capacity: number;
  refillPerSecond: number;
  /**
   * Which of the vendor's buckets to change, when it has several (Atlas: `users`, `invites`,
   * `teams`, `token`). Leave it out to change all of the vendor's API buckets.
   */
  scope?: string;
}

/** The test-controlled clock every emulator reads (expiry, token lifetimes, rate-limit refill). */
export interface SandboxClock {
  now(): number;
}

export interface EmulatorEnv {
  clock: SandboxClock;
}

export interface VendorEmulator<Seed = unknown, State = unknown> {
  readonly name: VendorName;
  handle(req: SandboxRequest): SandboxResponse | Promise<SandboxResponse>;
  /** Replaces all state with the seed (and its credentials). */
  seed(seed: Seed): void;
  /** Clears all state and restores default settings (rate limits, lifetimes). */
  reset(): void;
  /** A JSON-serialisable copy of the state, for assertions. */
  state(): State;
  /**
   * Vendor-specific control actions: e.g. `accept-invitation` (simulate a user accepting),
   * `add-invitation`, `add-member`. Unknown actions throw.
   */
  control(action: string, payload: unknown): unknown;
  /**
   * Optional: change (or with `null` disable) the emulator's rate limits. The framework's
   * `control.setRateLimit(vendor, ...)` calls it; without it the framework forwards
   * `control('set-rate-limit', setting)`.
   */
  setRateLimit?(setting: RateLimitSetting | null): void;
  /**
   * Optional: the response an injected fault should send (a 5xx or a 429 in the vendor's error body
   * shape, with the headers the vendor's own answer would carry). `req` is the faulted request
   * (method, path below the vendor root), for emulators whose answer depends on the endpoint.
   * Without it the framework sends a generic JSON body.
   */
  faultResponse?(
    status: number,
    retryAfterSeconds?: number,
    req?: { method: string; path: string },
  ): SandboxResponse;
}
