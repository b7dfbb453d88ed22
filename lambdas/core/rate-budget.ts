/**
 * The port of one rate budget per vendor limit, shared by every process that calls the vendor. The
 * connectors' HTTP layer spends it (connectors/http/budget.ts); an adapter keeps it where every
 * process reaches it (adapters/dynamo-rate-budget.ts).
 */

/** A vendor limit: requests per second and the burst the vendor allows at once. */
export interface RateSpec {
  perSecond: number;
  burst: number;
}

export type BudgetAnswer =
  /** `readyInMs`: when the next token will be there (0 or absent: there are more now). */
  { granted: number; waitMs?: undefined; readyInMs?: number } | { granted: 0; waitMs: number };

export interface RateBudget {
  /**
   * Takes up to `want` tokens (at least one, at most the burst) of the budget `key`, whose rate and
   * burst are `spec`; `now` is the caller's clock (epoch ms). Answers how many it got, or, when none
   * are left, how long to wait before asking again.
   */
  take(key: string, want: number, spec: RateSpec, now: number): Promise<BudgetAnswer>;
}
