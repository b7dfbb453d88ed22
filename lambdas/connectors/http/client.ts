/**
 * One vendor tenant's HTTP client: rate limit and concurrency cap, auth, per-request timeout,
 * the caller's deadline, retries (429, 5xx, network faults; Retry-After first, else full-jitter
 * backoff), one secret refresh after a 401, and error mapping. Connectors only describe calls.
 */
import { LeaverError } from '../../core/errors.ts';
import type { Ctx, SecretStore } from '../../core/ports.ts';
import { type AttemptOutcome, runAttempt } from './attempt.ts';
import type { AuthPlugin } from './auth.ts';
import { fullJitterDelay, realTiming } from './backoff.ts';
import { type CallInfo, deadlineError } from './errors.ts';
import type { TenantLimiter } from './limiter.ts';
import {
  DEFAULT_RETRY,
  type FetchLike,
  type HttpRequest,
  type HttpResult,
  type RetryPolicy,
  type Timing,
  type VendorTarget,
} from './types.ts';

export interface VendorHttpOptions {
  target: VendorTarget;
  timeoutMs: number;
  secretName: string;
  secrets: SecretStore;
  auth: AuthPlugin;
  limiter: TenantLimiter;
  fetch: FetchLike;
  timing?: Timing;
  retry?: Partial<RetryPolicy>;
  /** Sent with every request unless the request sets the same header. */
  defaultHeaders?: Record<string, string>;
}

/** Digest challenges answered within one call before giving up (a server that never accepts). */
const MAX_CHALLENGES = 3;

export class VendorHttp {
  private readonly timing: Timing;
  private readonly retry: RetryPolicy;
  /** Bumped at each secret refresh: concurrent calls refused with the same credentials refresh once. */
  private credentialGeneration = 0;

  constructor(private readonly opts: VendorHttpOptions) {
    this.timing = opts.timing ?? realTiming;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  get target(): VendorTarget {
    return this.opts.target;
  }

  async request<T = unknown>(req: HttpRequest, ctx: Ctx): Promise<HttpResult<T>> {
    const { limiter, secrets, secretName, auth } = this.opts;
    const call: CallInfo = { ...this.opts.target, method: req.method, route: req.route };
    const bucket = limiter.bucket(req.limitKey);
    let attempts = 0;
    let failures = 0;
    let rateLimited = 0;
    let challenges = 0;
    let refreshed = false;
    let last: LeaverError | undefined;
    let delay = 0;
    for (;;) {
      if (delay > 0) {
        if (this.timing.now() + delay > ctx.deadline) throw deadlineError(call, last);
        await this.pause(delay, ctx, call, last);
      }
      if (this.timing.now() >= ctx.deadline) throw deadlineError(call, last);
      const take = () => limiter.take(req.limitKey, ctx.deadline, ctx.signal, ctx.rateShare);
      if (!(await this.guard(take, ctx, call, last))) {
        throw deadlineError(call, last);
      }
      bucket.sent();
      let release: () => void;
      try {
        release = await this.guard(() => limiter.concurrency.acquire(ctx.signal), ctx, call, last);
      } catch (e) {
        bucket.answered();
        throw e;
      }
      attempts += 1;
      const generation = this.credentialGeneration;
      let outcome: AttemptOutcome;
      try {
        outcome = await runAttempt(
          {
            auth,
            fetch: this.opts.fetch,
            timing: this.timing,
            timeoutMs: this.opts.timeoutMs,
            defaultHeaders: this.opts.defaultHeaders,
            challengedBefore: challenges > 0,
          },
          req,
          call,
          ctx,
          attempts,
        );
      } finally {
        bucket.answered();
        release();
      }
      delay = 0;
      if (outcome.rateLimitRemaining !== undefined) bucket.onRemaining(outcome.rateLimitRemaining);
      switch (outcome.kind) {
        case 'ok':
          bucket.onSuccess();
          return {
            status: outcome.status,
            body: outcome.body as T | undefined,
            vendorRequestId: outcome.requestId,
            attempts,
          };
        case 'challenge':
          challenges += 1;
          if (challenges <= MAX_CHALLENGES) continue;
          throw new LeaverError(
            'vendor_auth',
            `${call.vendor} kept challenging ${call.method} ${call.route}`,
            {
              vendorStatus: 401,
              details: { vendor: call.vendor, tenantId: call.tenantId, route: call.route },
            },
          );
        case 'rejected':
          if (refreshed) throw outcome.error;
          // Rotation: re-read the secret once and drop cached tokens.
          refreshed = true;
          if (generation !== this.credentialGeneration) continue; // another call refreshed already
          this.credentialGeneration += 1;
          secrets.invalidate(secretName);
          auth.reset();
          ctx.log.warn('vendor refused credentials; refreshing the secret once', {
            vendor: call.vendor,
            tenantId: call.tenantId,
            route: call.route,
          });
          continue;
        case 'fail':
          throw outcome.error;
        case 'retry': {
          last = outcome.error;
          const is429 = outcome.error.code === 'vendor_rate_limited';
          if (is429) {
            rateLimited += 1;
            bucket.onRateLimited(outcome.retryAfterMs);
            if (rateLimited >= this.retry.maxRateLimitedAttempts) throw outcome.error;
          } else {
            failures += 1;
            if (failures >= this.retry.maxAttempts) throw outcome.error;
          }
          if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > this.retry.maxRetryAfterMs) {
            throw outcome.error;
          }
          delay =
            outcome.retryAfterMs ??
            fullJitterDelay(is429 ? rateLimited : failures, this.retry, this.timing.random);
          ctx.log.debug('vendor call will be retried', {
            vendor: call.vendor,
            tenantId: call.tenantId,
            route: call.route,
            code: outcome.error.code,
            attempt: attempts,
            delayMs: delay,
          });
          continue;
        }
      }
    }
  }

  private async pause(ms: number, ctx: Ctx, call: CallInfo, last?: LeaverError): Promise<void> {
    await this.guard(() => this.timing.sleep(ms, ctx.signal), ctx, call, last);
  }

  /** Runs a wait; the caller's abort signal turns into deadline_exceeded. */
  private async guard<T>(fn: () => Promise<T>, ctx: Ctx, call: CallInfo, last?: LeaverError): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (ctx.signal?.aborted) throw deadlineError(call, last);
      throw e;
    }
  }
}
