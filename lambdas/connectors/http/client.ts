/**
 * One vendor tenant's HTTP client: rate limit and concurrency cap, auth, per-request timeout,
 * the caller's deadline, retries (429, 5xx, network faults; Retry-After first, else full-jitter
 * backoff), one secret refresh after a 401, and error mapping. Connectors only describe calls.
 */
import { LeaverError } from '../../core/errors.ts';
import type { Ctx, SecretStore } from '../../core/ports.ts';
import type { AuthPlugin } from './auth.ts';
import { fullJitterDelay, parseRetryAfter, realTiming } from './backoff.ts';
import {
  badResponse,
  type CallInfo,
  deadlineError,
  faultCode,
  faultError,
  isNetworkFault,
  isRetryableStatus,
  statusError,
  vendorErrorCode,
} from './errors.ts';
import type { TenantLimiter } from './limiter.ts';
import { vendorRequestIdOf } from './request-id.ts';
import {
  DEFAULT_RETRY,
  type FetchLike,
  type FetchResponse,
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

type AttemptOutcome =
  | { kind: 'ok'; status: number; body: unknown; requestId?: string }
  | { kind: 'challenge' }
  | { kind: 'rejected'; error: LeaverError }
  | { kind: 'retry'; error: LeaverError; retryAfterMs?: number }
  | { kind: 'fail'; error: LeaverError };

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
      if (!(await this.guard(() => limiter.take(req.limitKey, ctx.deadline, ctx.signal), ctx, call, last))) {
        throw deadlineError(call, last);
      }
      const release = await this.guard(() => limiter.concurrency.acquire(ctx.signal), ctx, call, last);
      attempts += 1;
      const generation = this.credentialGeneration;
      let outcome: AttemptOutcome;
      try {
        outcome = await this.attempt(req, call, ctx, attempts);
      } finally {
        release();
      }
      delay = 0;
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

  private async attempt(
    req: HttpRequest,
    call: CallInfo,
    ctx: Ctx,
    attempt: number,
  ): Promise<AttemptOutcome> {
    const url = new URL(req.url);
    const report = (status: number | 'network' | 'timeout', durationMs: number, route = call.route) =>
      ctx.onVendorCall?.({
        vendor: call.vendor,
        tenantId: call.tenantId,
        method: route === call.route ? call.method : 'POST',
        route,
        status,
        durationMs,
        attempt,
      });
    let authorization: string | undefined;
    try {
      authorization = await this.opts.auth.header({
        method: req.method,
        url,
        deadline: ctx.deadline,
        onCall: (i) => report(i.status, i.durationMs, i.route),
      });
    } catch (e) {
      const error =
        e instanceof LeaverError
          ? e
          : new LeaverError(
              'secret_unavailable',
              `could not read the credentials of ${call.vendor} tenant ${call.tenantId}`,
              {
                details: { vendor: call.vendor, tenantId: call.tenantId },
              },
            );
      if (error.code === 'vendor_auth') return { kind: 'rejected', error };
      if (error.code === 'secret_unavailable') return { kind: 'fail', error };
      if (error.retryable) {
        const retryAfterMs =
          error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined;
        return { kind: 'retry', error, retryAfterMs };
      }
      return { kind: 'fail', error };
    }
    const headers: Record<string, string> = { ...this.opts.defaultHeaders, ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    if (authorization !== undefined) headers.authorization = authorization;

    const remaining = ctx.deadline - this.timing.now();
    const capped = remaining < this.opts.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        controller.abort(new Error('request timed out'));
      },
      Math.max(1, Math.min(this.opts.timeoutMs, remaining)),
    );
    const onAbort = () => controller.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const started = this.timing.now();
    let res: FetchResponse;
    let text: string;
    try {
      res = await this.opts.fetch(url.href, { method: req.method, headers, body, signal: controller.signal });
      text = await res.text();
    } catch (e) {
      const duration = this.timing.now() - started;
      if (timedOut) {
        this.opts.auth.done?.(authorization);
        report('timeout', duration);
        if (capped) return { kind: 'fail', error: deadlineError(call, faultError('timeout', call)) };
        return { kind: 'retry', error: faultError('timeout', call) };
      }
      this.opts.auth.done?.(authorization);
      report('network', duration);
      if (ctx.signal?.aborted) return { kind: 'fail', error: deadlineError(call) };
      const error = faultError('network', call, faultCode(e));
      return isNetworkFault(e) ? { kind: 'retry', error } : { kind: 'fail', error };
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    }
    report(res.status, this.timing.now() - started);
    const requestId = vendorRequestIdOf(res.headers);

    if (res.status === 401 && !req.acceptStatuses?.includes(401)) {
      const verdict = this.opts.auth.onUnauthorized(res, authorization);
      this.opts.auth.done?.(authorization);
      if (verdict === 'challenge') return { kind: 'challenge' };
      return {
        kind: 'rejected',
        error: statusError(401, call, { vendorRequestId: requestId, vendorCode: vendorErrorCode(text) }),
      };
    }
    this.opts.auth.done?.(authorization);
    const accepted = req.acceptStatuses?.includes(res.status) ?? false;
    if (res.status >= 400 && !accepted) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      const error = statusError(res.status, call, {
        vendorRequestId: requestId,
        retryAfterSeconds: retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : undefined,
        vendorCode: vendorErrorCode(text),
      });
      return isRetryableStatus(res.status) ? { kind: 'retry', error, retryAfterMs } : { kind: 'fail', error };
    }
    if (text.trim() === '') return { kind: 'ok', status: res.status, body: undefined, requestId };
    try {
      return { kind: 'ok', status: res.status, body: JSON.parse(text), requestId };
    } catch {
      if (accepted) return { kind: 'ok', status: res.status, body: undefined, requestId };
      return { kind: 'fail', error: badResponse(call, 'the body is not JSON', requestId) };
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
