/**
 * One rate budget per vendor limit, shared by every process that calls the vendor (worker
 * instances, the API's vendor-calling function, reconciliation, the inventory sync). The budget
 * itself lives in a store every process reaches (a DynamoDB item per tenant and rate bucket, see
 * adapters/dynamo-rate-budget.ts); a process leases a few tokens at a time for the requests it has
 * waiting and spends them at once. A lone caller therefore gets the whole limit, and all callers
 * together never more than it: a fixed split would give each process a fraction whether or not
 * the others are busy.
 */
import type { BudgetAnswer, RateBudget, RateSpec } from '../../core/rate-budget.ts';
import type { Timing } from './types.ts';

export type { BudgetAnswer, RateBudget } from '../../core/rate-budget.ts';

/** Leased tokens not spent within this time are dropped, so they never add to a later burst. */
const LEASE_TTL_MS = 1_000;
/**
 * A lease covers at most this much of the rate (and never more than the requests waiting): enough
 * that the store's round trips (a lease, and a refused one when the budget is spent) never hold a
 * lone caller below the rate, little enough that a lease is spent at once.
 */
const LEASE_SECONDS = 0.5;

/**
 * Of the burst, this much of a second of the rate (and at most a tenth of the burst) is never
 * leased: requests reach the vendor a little later than they were let go, some later than others,
 * so a bucket drained to the last token would refuse the ones that arrive together. This reserve
 * absorbs that.
 */
const RESERVE_SECONDS = 0.1;

/**
 * This process's door to one shared budget: requests wait here until a leased token is theirs.
 * One lease is asked for at a time, sized to the requests waiting.
 */
export class BudgetGate {
  private tokens = 0;
  private tokensAt = 0;
  private retryAt = 0;
  private waiters = 0;
  private leasing: Promise<void> | undefined;
  /** How long a lease takes (the store's round trip), smoothed: the next lease leaves that early. */
  private roundTripMs = 0;
  /** Leases the store could not answer (the request then went on the local limit alone). */
  failures = 0;

  private readonly spec: RateSpec;

  constructor(
    private readonly budget: RateBudget,
    private readonly key: string,
    limit: RateSpec,
    private readonly timing: Timing,
  ) {
    const reserve = Math.min(Math.ceil(limit.perSecond * RESERVE_SECONDS), Math.floor(limit.burst / 10));
    this.spec = { perSecond: limit.perSecond, burst: Math.max(1, limit.burst - reserve) };
  }

  private get maxLease(): number {
    return Math.max(1, Math.min(this.spec.burst, Math.ceil(this.spec.perSecond * LEASE_SECONDS)));
  }

  /** Waits for a token; false (without one) when the wait would end after `deadline`. */
  async take(deadline: number, signal?: AbortSignal): Promise<boolean> {
    this.waiters++;
    try {
      for (;;) {
        const now = this.timing.now();
        if (this.tokens > 0 && now - this.tokensAt <= LEASE_TTL_MS) {
          this.tokens--;
          return true;
        }
        this.tokens = 0;
        if (this.retryAt > now) {
          if (this.retryAt > deadline) return false;
          await this.timing.sleep(this.retryAt - now, signal);
          continue;
        }
        this.leasing ??= this.lease().finally(() => {
          this.leasing = undefined;
        });
        await this.leasing;
      }
    } finally {
      this.waiters--;
    }
  }

  private async lease(): Promise<void> {
    // At least a quarter lease even for one waiter: a caller making one call after another (a
    // paged listing) then pays the store's round trip once every few calls, not on every call.
    // What it does not spend within the lease's life goes back to no one: a small waste.
    const want = Math.min(this.maxLease, Math.max(this.waiters, Math.ceil(this.maxLease / 4)));
    let answer: BudgetAnswer;
    const asked = this.timing.now();
    try {
      answer = await this.budget.take(this.key, want, this.spec, asked);
      this.roundTripMs = 0.7 * this.roundTripMs + 0.3 * (this.timing.now() - asked);
    } catch {
      // The shared store is out of reach: the local limit (and the vendor's 429s) still hold, and
      // a revocation must not wait for the budget's store to come back.
      this.failures++;
      answer = { granted: want };
    }
    // Wait until the tokens for everyone still waiting (up to a lease's worth) are there, not
    // just one: the same rate with fewer calls to the store.
    const batchFor = (n: number) =>
      ((Math.min(this.maxLease, Math.max(n, Math.ceil(this.maxLease / 4))) - 1) * 1000) / this.spec.perSecond;
    if (answer.waitMs === undefined && answer.granted > 0) {
      this.tokens += answer.granted;
      this.tokensAt = this.timing.now();
      // The budget is spent for now: the next lease waits for it instead of asking in vain.
      const ready = answer.readyInMs ?? 0;
      const left = this.waiters - answer.granted;
      // Leave a round trip early: the lease then reaches the store as the tokens are there, and
      // none are lost to a bucket that was full while the request was on its way.
      if (ready > 0 && left > 0) {
        this.retryAt = this.timing.now() + Math.max(1, ready + batchFor(left) - this.roundTripMs);
      }
    } else {
      this.retryAt = this.timing.now() + Math.max(1, answer.waitMs ?? 1) + batchFor(want);
    }
  }
}
