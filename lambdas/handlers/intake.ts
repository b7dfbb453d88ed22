/**
 * HR webhook intake (API Gateway HTTP API, payload v2): `POST /hooks/{source}` and Okta's one-time
 * `GET /hooks/{source}` verification challenge.
 *
 * Order of checks (each answer changes nothing unless it says so):
 *   unknown or disabled source         404
 *   body over 64 KiB (decoded bytes)   413, before any hashing
 *   wrong/missing/stale signature      401, the same detail whatever failed, nothing stored
 *   verified but unparsable / no email 400 naming the problem, nothing enqueued, audited `rejected`
 *                                      (stream `rejected:<source>:<id>`, no secret, no email)
 *   accepted                           202 {"offboardingId"} ({"offboardingIds"} for batched sources);
 *                                      a duplicate answers 202 with the same id (and enqueues it
 *                                      again while it is due or running, in case a crash lost it)
 * The source's secret missing, unreadable, still the first deploy's placeholder or of the wrong
 * shape: 503 with Retry-After (HR systems retry it), counted in `SourceSecretUnavailable` (alarmed).
 * Unknown errors answer a 500 problem that reveals nothing internal. Every error answer is
 * application/problem+json (RFC 9457) with Leaver's stable `code`. Every 5xx answered is counted
 * in `IntakeServerErrors` (alarmed: Lambda's Errors metric never sees a returned 500).
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type HttpResult, json, problem } from '../api/http-response.ts';
import { isLeaverError, LeaverError } from '../core/errors.ts';
import { acceptHrEvents, recordRejection } from '../core/intake.ts';
import type { HrEvent } from '../core/model.ts';
import type { RawWebhook } from '../sources/index.ts';
import { MAX_BODY_BYTES } from '../sources/limits.ts';
import { withMiddleware } from './middleware.ts';
import { coreLog, logger, recorder } from './observability.ts';
import { getDeps } from './runtime-deps.ts';
import {
  countUnconfigured,
  isSourceNotConfigured,
  sourceNotConfigured,
  sourceSecret,
} from './source-secret.ts';
import type { HandlerDeps } from './wiring.ts';

/** Largest body accepted, in decoded bytes (HR payloads are a few KiB; docs/hr-sources.md#common-rules). */
export { MAX_BODY_BYTES };

/** The custom metric (namespace Leaver, dimension `service` only) of every 5xx the intake answers. */
export const INTAKE_SERVER_ERRORS_METRIC = 'IntakeServerErrors';

const HOOK_PATH = /^\/hooks\/([^/]+)\/?$/;

function sourceIdOf(event: APIGatewayProxyEventV2): string | undefined {
  const fromParams = event.pathParameters?.source;
  if (fromParams) return fromParams;
  return HOOK_PATH.exec(event.rawPath ?? '')?.[1];
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** Decoded size of the body in bytes, without decoding it. */
export function bodyBytes(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): number {
  if (!event.body) return 0;
  return Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

const log = coreLog(logger);
const notFound = () => problem(new LeaverError('not_found', 'No such webhook source'));
// One answer for every verification failure (missing header, stale timestamp, wrong MAC): a caller
// learns nothing about which check failed.
const unauthorized = () =>
  problem(new LeaverError('invalid_signature', 'The webhook signature or credentials could not be verified'));
const methodNotAllowed = (method: string, allow: string) =>
  problem(new LeaverError('method_not_allowed', `${method} is not allowed here`), undefined, { allow });

export async function handleIntake(event: APIGatewayProxyEventV2, deps: HandlerDeps): Promise<HttpResult> {
  const method = (event.requestContext?.http?.method ?? 'POST').toUpperCase();
  const sourceId = sourceIdOf(event);
  const source = sourceId ? deps.config.sources.find((s) => s.id === sourceId) : undefined;
  if (!source?.enabled) {
    logger.info('webhook for an unknown or disabled source', { source: sourceId?.slice(0, 64) });
    return notFound();
  }
  logger.appendKeys({ source: source.id });

  const bytes = bodyBytes(event);
  if (bytes > MAX_BODY_BYTES) {
    logger.warn('webhook body too large', { bytes, limit: MAX_BODY_BYTES });
    return problem(
      new LeaverError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes`, {
        details: { limit: MAX_BODY_BYTES },
      }),
    );
  }

  // The sources (and the input rules they parse with) load with the first invocation's code.
  const { getSource } = await import('./first-use.ts');
  const module = getSource(source.type, { headerName: source.headerName });
  const raw: RawWebhook = {
    method,
    headers: lowerCaseHeaders(event.headers),
    body: event.body
      ? event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body
      : '',
    sourceId: source.id,
  };

  const allow = module.challenge ? 'GET, POST' : 'POST';
  if (method !== 'POST' && !(method === 'GET' && module.challenge)) return methodNotAllowed(method, allow);

  const now = deps.clock.now();
  try {
    module.verify(raw, await sourceSecret(deps.secrets, source), now);
  } catch (e) {
    if (isLeaverError(e) && (e.code === 'invalid_signature' || e.code === 'unauthorized')) {
      logger.warn('webhook signature rejected');
      return unauthorized();
    }
    // A secret of the wrong shape (the source's verify says config_invalid) is as unconfigured as
    // a missing one: the sender did nothing wrong and its retry succeeds once the value is fixed.
    const unconfigured = isSourceNotConfigured(e)
      ? e
      : isLeaverError(e) && e.code === 'config_invalid'
        ? sourceNotConfigured('malformed')
        : undefined;
    if (unconfigured) {
      deps.secrets.invalidate(source.secretName); // the corrected value is read on the next request
      countUnconfigured();
      logger.error('webhook refused: the source secret is not configured', {
        reason: unconfigured.details?.reason,
        secretName: source.secretName,
      });
      return problem(unconfigured);
    }
    throw e;
  }

  // A one-time handshake (Okta's GET verification) is answered instead of parsing.
  const handshake = module.challenge?.(raw);
  if (handshake) {
    logger.info('webhook verification challenge answered');
    return json(handshake.status, handshake.body);
  }
  if (method !== 'POST') return methodNotAllowed(method, allow);

  let events: HrEvent[];
  try {
    events = module.parse(raw, now);
  } catch (e) {
    const err = isLeaverError(e)
      ? e
      : new LeaverError('invalid_request', 'The body could not be read as a webhook of this source', {
          cause: e,
        });
    if (err.code !== 'invalid_request') throw err;
    logger.warn('webhook rejected', { reason: err.message });
    await recordRejection(deps, source.id, err);
    return problem(err);
  }

  const results = await acceptHrEvents(deps, events, { type: 'hr', id: source.id });
  const ids = results.map((r) => r.offboardingId).filter((id): id is string => typeof id === 'string');
  for (const r of results) {
    log.info('webhook accepted', {
      offboardingId: r.offboardingId,
      created: r.created,
      kind: r.kind,
    });
  }
  if (module.batched) return json(202, { offboardingIds: ids });
  return json(202, { offboardingId: ids[0] ?? null });
}

/** Maps anything thrown to an answer: a LeaverError by its table entry, anything else a bare 500. */
export async function intake(event: APIGatewayProxyEventV2): Promise<HttpResult> {
  let result: HttpResult;
  try {
    result = await handleIntake(event, await getDeps());
  } catch (e) {
    if (isLeaverError(e) && e.httpStatus < 500) return problem(e);
    logger.error('intake failed', { error: e as Error, code: isLeaverError(e) ? e.code : 'internal' });
    result = problem(e);
  }
  // Lambda's Errors metric never sees an answered 5xx: count them for the IntakeServerErrors alarm.
  if (result.statusCode >= 500) recorder.count(INTAKE_SERVER_ERRORS_METRIC);
  return result;
}

export const handler = withMiddleware<APIGatewayProxyEventV2, HttpResult>(
  (event: APIGatewayProxyEventV2, _context: Context) => intake(event),
);
