import type { SandboxClock } from './types.ts';

/**
 * A controllable clock: real time plus an offset. `advance(ms)` moves the offset forward, so
 * expiry (invitations, tokens, nonces) and rate-limit refill can be tested without waiting.
 */
export class ControllableClock implements SandboxClock {
  private offsetMs = 0;

  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offsetMs;
  }

  /** Moves the clock forward by `ms` (must be >= 0). Returns the new time. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite ms >= 0');
    this.offsetMs += ms;
    return this.now();
  }

  /** The total offset added so far. */
  offset(): number {
    return this.offsetMs;
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
