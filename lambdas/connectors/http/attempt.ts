/**
 * One attempt of a vendor call: auth header, per-request timeout (capped at the deadline), the
 * fetch, and the verdict the retry loop in client.ts acts on. Never throws.
 */
import { LeaverError } from '../../core/errors.ts';
import type { Ctx } from '../../core/ports.ts';
import type { AuthPlugin } from './auth.ts';
import { parseRetryAfter } from './backoff.ts';
import {
  type CallInfo,
  deadlineError,
  faultCode,
  faultError,
  isNetworkFault,
  isRetryableStatus,
  statusError,
  unexpectedResponse,
  vendorErrorCode,
} from './errors.ts';
import { vendorRequestIdOf } from './request-id.ts';
import type { FetchLike, FetchResponse, HttpRequest, Timing } from './types.ts';

export type AttemptOutcome = (
  | { kind: 'ok'; status: number; body: unknown; requestId?: string }
  | { kind: 'challenge' }
  | { kind: 'rejected'; error: LeaverError }
  | { kind: 'retry'; error: LeaverError; retryAfterMs?: number }
  | { kind: 'fail'; error: LeaverError }
) & {
  /** The vendor's `RateLimit-Remaining` header (Atlas sends it on every answer), when present. */
  rateLimitRemaining?: number;
};

export interface AttemptDeps {
  auth: AuthPlugin;
  fetch: FetchLike;
  timing: Timing;
  timeoutMs: number;
  defaultHeaders?: Record<string, string>;
  /** This call already answered a Digest challenge (a second one is not taken on trust). */
  challengedBefore?: boolean;
}

export async function runAttempt(
  deps: AttemptDeps,
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
    authorization = await deps.auth.header({
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
      const retryAfterMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined;
      return { kind: 'retry', error, retryAfterMs };
    }
    return { kind: 'fail', error };
  }
  const headers: Record<string, string> = { ...deps.defaultHeaders, ...req.headers };
  let body: string | undefined;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  if (authorization !== undefined) headers.authorization = authorization;

  const remaining = ctx.deadline - deps.timing.now();
  const capped = remaining < deps.timeoutMs;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      controller.abort(new Error('request timed out'));
    },
    Math.max(1, Math.min(deps.timeoutMs, remaining)),
  );
  const onAbort = () => controller.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const started = deps.timing.now();
  let res: FetchResponse;
  let text: string;
  try {
    res = await deps.fetch(url.href, { method: req.method, headers, body, signal: controller.signal });
    text = await res.text();
  } catch (e) {
    const duration = deps.timing.now() - started;
    if (timedOut) {
      deps.auth.done?.(authorization);
      report('timeout', duration);
      if (capped) return { kind: 'fail', error: deadlineError(call, faultError('timeout', call)) };
      return { kind: 'retry', error: faultError('timeout', call) };
    }
    deps.auth.done?.(authorization);
    report('network', duration);
    if (ctx.signal?.aborted) return { kind: 'fail', error: deadlineError(call) };
    const error = faultError('network', call, faultCode(e));
    return isNetworkFault(e) ? { kind: 'retry', error } : { kind: 'fail', error };
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onAbort);
  }
  report(res.status, deps.timing.now() - started);
  const requestId = vendorRequestIdOf(res.headers);
  const left = rateLimitRemaining(res.headers.get('ratelimit-remaining'));
  const outcome = verdict(deps, req, call, res, text, authorization, requestId);
  return left === undefined ? outcome : { ...outcome, rateLimitRemaining: left };
}

/** `RateLimit-Remaining: 7` (also the draft's structured form `r=7` or `7;w=60`). */
export function rateLimitRemaining(header: string | null): number | undefined {
  const m = header?.match(/^\s*(?:r=)?(\d+)/);
  return m ? Number(m[1]) : undefined;
}

function verdict(
  deps: AttemptDeps,
  req: HttpRequest,
  call: CallInfo,
  res: FetchResponse,
  text: string,
  authorization: string | undefined,
  requestId: string | undefined,
): AttemptOutcome {
  if (res.status === 401 && !req.acceptStatuses?.includes(401)) {
    const answer = deps.auth.onUnauthorized(res, authorization, {
      challengedBefore: deps.challengedBefore ?? false,
    });
    deps.auth.done?.(authorization, res.status);
    if (answer === 'challenge') return { kind: 'challenge' };
    return {
      kind: 'rejected',
      error: statusError(401, call, { vendorRequestId: requestId, vendorCode: vendorErrorCode(text) }),
    };
  }
  deps.auth.done?.(authorization, res.status);
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
    return { kind: 'fail', error: unexpectedResponse(call, 'the body is not JSON', requestId) };
  }
}
