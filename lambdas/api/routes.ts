/**
 * The /v1 routes: each with its schemas and a thin implementation that validates what only the
 * configuration can tell (tenants, vendor id formats), calls the engine with the caller's principal
 * and maps the result to a view.
 */
import * as z from 'zod';
import { verifyDeps } from '../core/anchor.ts';
import { verifyStream } from '../core/audit-chain.ts';
import { verifyAudit } from '../core/audit-verify.ts';
import { LeaverError } from '../core/errors.ts';
import { asGrant, type GrantKind, VENDORS, type VendorId } from '../core/model.ts';
import { assertGrantIds, vendorOfKind } from '../core/vendor-ids.ts';
import { getAccess } from './access.ts';
import { CONTENT_TYPES, csvHeader, csvRow, jsonlLine, toOcsf } from './audit-export.ts';
import { AUDIT_ROUTES } from './audit-routes.ts';
import { unwrapCursor, wrapCursor } from './cursor.ts';
import * as engine from './engine.ts';
import { json, text } from './http-response.ts';
import type { AnyRoute, ApiRequest } from './request.ts';
import { route } from './router.ts';
import {
  ActionBody,
  AuditExportQuery,
  AuditRecordSchema,
  DeadLetterListSchema,
  DeadLettersQuery,
  HealthSchema,
  IdParams,
  KillSwitchBody,
  KillSwitchSchema,
  ListOffboardingsQuery,
  OcsfEventSchema,
  OffboardingAuditSchema,
  OffboardingDetailSchema,
  OffboardingListSchema,
  OffboardingSummarySchema,
  PlanSchema,
  PreviewBody,
  RedriveBody,
  RedriveResultSchema,
  RevocationBody,
  RevocationResultSchema,
  StartOffboardingBody,
  StreamAuditQuery,
} from './schemas.ts';
import { offboardingCounts, timeToRevoke } from './stats-routes.ts';
import { API_VERSION } from './version.ts';
import { auditView, detailView, summaryView } from './views.ts';

const JSON_TYPE = 'application/json';

/** A link to the same route with other query parameters (relative, keeps the stage prefix). */
function linkTo(req: ApiRequest, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const path = req.event.rawPath ?? req.path;
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

function checkWindow(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && from > to) {
    throw new LeaverError('invalid_request', 'from must not be after to', {
      details: { errors: [{ path: 'query.from', message: 'must not be after to' }] },
    });
  }
}

async function loadOffboarding(env: { deps: engine.Deps }, id: string) {
  const o = await env.deps.store.get(id);
  if (!o) throw new LeaverError('not_found', `No offboarding ${id}`);
  return o;
}

const offboardingDetail = {
  description: 'The offboarding with its actions per vendor',
  content: { [JSON_TYPE]: OffboardingDetailSchema },
};

const startOffboarding = route({
  method: 'POST',
  path: '/v1/offboardings',
  operationId: 'startOffboarding',
  summary: 'Start an offboarding now or for a date, or plan one (dry run)',
  description:
    'Creates an offboarding for `email` (and `aliases`). Without `effectiveAt` (or with one within the ' +
    'grace period) it runs now; a later `effectiveAt` schedules it. With `dryRun: true` nothing is ' +
    'created: the answer is the plan (200). An `Idempotency-Key` header makes a retried request ' +
    'answer with the offboarding the first one created, creating nothing new.',
  tag: 'offboardings',
  body: StartOffboardingBody,
  responses: {
    202: {
      description: 'Accepted: the offboarding (running soon or scheduled)',
      content: { [JSON_TYPE]: OffboardingSummarySchema },
      headers: { location: { description: 'The offboarding URL' } },
    },
    200: { description: 'Dry run: the plan; nothing was changed', content: { [JSON_TYPE]: PlanSchema } },
  },
  errors: [423, 502, 503],
  async handle({ body, principal, env, request }) {
    const r = await engine.start(env, principal, {
      email: body.email,
      aliases: body.aliases ?? [],
      effectiveAt: body.effectiveAt,
      reason: body.reason,
      dryRun: body.dryRun === true,
      idempotencyKey: request.headers['idempotency-key'],
    });
    if ('plan' in r) return json(200, r.plan);
    const o = r.offboarding;
    const self = linkTo(request, {}).replace(/\/?$/, `/${encodeURIComponent(o.id)}`);
    return json(202, summaryView(o), { location: self });
  },
});

const preview = route({
  method: 'POST',
  path: '/v1/preview',
  operationId: 'previewOffboarding',
  summary: 'The plan for an email without creating anything',
  description:
    'Discovers every grant of the subject at every configured tenant and says what a run would do.',
  tag: 'offboardings',
  body: PreviewBody,
  responses: { 200: { description: 'The plan', content: { [JSON_TYPE]: PlanSchema } } },
  errors: [502, 503],
  async handle({ body, principal, env }) {
    return json(
      200,
      await engine.preview(env, principal, { email: body.email, aliases: body.aliases ?? [] }),
    );
  },
});

const getOffboarding = route({
  method: 'GET',
  path: '/v1/offboardings/{id}',
  operationId: 'getOffboarding',
  summary: 'Status, actions per vendor with outcomes, timings and time-to-revoke',
  tag: 'offboardings',
  params: IdParams,
  responses: { 200: offboardingDetail },
  errors: [404],
  async handle({ params, env }) {
    const o = await loadOffboarding(env, params.id);
    const actions = await env.deps.store.listActions(o.id);
    return json(200, detailView(o, actions));
  },
});

const listOffboardings = route({
  method: 'GET',
  path: '/v1/offboardings',
  operationId: 'listOffboardings',
  summary: 'Offboardings by email and/or status within a time window, paged',
  description:
    "With `email`: that person's offboardings by time received. With `status`: by effective time. " +
    'With neither: every offboarding, by effective time when `order` is given (unordered without). ' +
    '`order=desc` lists newest first. The window (`from`, `to`) applies to the same time. ' +
    'Follow `next` (or pass `cursor`) for the next page; the cursor is opaque and bound to the filters.',
  tag: 'offboardings',
  query: ListOffboardingsQuery,
  responses: { 200: { description: 'One page', content: { [JSON_TYPE]: OffboardingListSchema } } },
  errors: [],
  async handle({ query, env, request }) {
    checkWindow(query.from, query.to);
    const filters = {
      email: query.email,
      status: query.status,
      from: query.from,
      to: query.to,
      order: query.order,
    };
    const page = await env.deps.store.query({
      ...filters,
      limit: query.limit ?? 50,
      cursor: unwrapCursor('offboardings', filters, query.cursor),
    });
    const cursor = wrapCursor('offboardings', filters, page.cursor);
    const body: z.output<typeof OffboardingListSchema> = { items: page.items.map(summaryView) };
    if (cursor) {
      body.cursor = cursor;
      body.next = linkTo(request, { ...filters, limit: query.limit, cursor });
    }
    return json(200, body);
  },
});

const cancel = route({
  method: 'POST',
  path: '/v1/offboardings/{id}/cancel',
  operationId: 'cancelOffboarding',
  summary: 'Cancel a scheduled or quarantined offboarding',
  description: 'A running or finished offboarding cannot be cancelled (409, naming its status).',
  tag: 'offboardings',
  params: IdParams,
  body: ActionBody,
  bodyOptional: true,
  responses: { 200: offboardingDetail },
  errors: [404, 409],
  async handle({ params, body, principal, env }) {
    await loadOffboarding(env, params.id);
    const o = await engine.lifecycle(env, principal, 'cancel', { id: params.id, reason: body.reason });
    return json(200, detailView(o, await env.deps.store.listActions(o.id)));
  },
});

function lifecycleRoute(action: 'retry' | 'release', summary: string, description: string): AnyRoute {
  return route({
    method: 'POST',
    path: `/v1/offboardings/{id}/${action}`,
    operationId: `${action}Offboarding`,
    summary,
    description,
    tag: 'offboardings',
    params: IdParams,
    responses: { 200: offboardingDetail },
    errors: [404, 409],
    async handle({ params, principal, env }) {
      await loadOffboarding(env, params.id);
      const o = await engine.lifecycle(env, principal, action, { id: params.id });
      return json(200, detailView(o, await env.deps.store.listActions(o.id)));
    },
  });
}

const retry = lifecycleRoute(
  'retry',
  'Run an offboarding that ended with failures again now',
  'Only offboardings that ended with failures (or a run whose worker died) can be retried (409 otherwise).',
);
const release = lifecycleRoute(
  'release',
  'Release a quarantined offboarding so it runs',
  'The blast-radius guard quarantined it; releasing lets it through (409 when not quarantined).',
);

const offboardingAudit = route({
  method: 'GET',
  path: '/v1/offboardings/{id}/audit',
  operationId: 'getOffboardingAudit',
  summary: "One offboarding's audit records, with the verification of its hash chain",
  description:
    'The chain is verified over the whole stream on every call; `records` is one page of it. ' +
    'Follow `next` for more. The first page also carries `verification`: the chain against the signed ' +
    'digests and the offboarding against its audit (as GET /v1/audit/verify?offboardingId=...).',
  tag: 'audit',
  params: IdParams,
  query: StreamAuditQuery,
  responses: {
    200: { description: 'Records and the chain verdict', content: { [JSON_TYPE]: OffboardingAuditSchema } },
  },
  errors: [404],
  async handle({ params, query, env, request }) {
    // Targeted revocations have their own stream (`revocation-...`); anything else is an offboarding.
    if (!params.id.startsWith('revocation-')) await loadOffboarding(env, params.id);
    const filters = { id: params.id };
    const page = await env.deps.audit.stream(params.id, {
      limit: query.limit ?? 500,
      cursor: unwrapCursor('stream', filters, query.cursor),
    });
    const verdict = await verifyStream(env.deps.audit, params.id);
    if (verdict.records.length === 0) throw new LeaverError('not_found', `No audit records for ${params.id}`);
    const body: z.output<typeof OffboardingAuditSchema> = {
      offboardingId: params.id,
      records: page.items.map(auditView),
      chain: verdict.ok
        ? { valid: true, records: verdict.count }
        : {
            valid: false,
            records: verdict.records.length,
            brokenAt: verdict.brokenAt,
            reason: verdict.reason,
          },
    };
    if (query.cursor === undefined && env.deps.anchor) {
      body.verification = await verifyAudit(await verifyDeps(env.deps), {
        kind: 'offboarding',
        id: params.id,
      });
    }
    const cursor = wrapCursor('stream', filters, page.cursor);
    if (cursor) {
      body.cursor = cursor;
      body.next = linkTo(request, { limit: query.limit, cursor });
    }
    return json(200, body);
  },
});

const auditExport = route({
  method: 'GET',
  path: '/v1/audit',
  operationId: 'exportAudit',
  summary: 'Export the audit trail as JSON Lines, CSV or OCSF, one page at a time',
  description:
    'Filters: `email` (every record of that person), or a time window (`from` is required without ' +
    '`email`). Each answer is one page of at most `limit` records (default 1000); when more remain, ' +
    'the `Link: <...>; rel="next"` header (and `X-Next-Cursor`) gives the next page. CSV has its ' +
    'header row on the first page only, so pages concatenate. `ocsf` gives one OCSF event per line ' +
    'for each finished action (lifecycle records are not access changes and are left out).',
  tag: 'audit',
  query: AuditExportQuery,
  responses: {
    200: {
      description: 'One page of the export',
      content: {
        'application/x-ndjson': z.union([AuditRecordSchema, OcsfEventSchema]).meta({
          description: 'format=jsonl: one AuditRecord a line; format=ocsf: one OcsfEvent a line',
        }),
        'text/csv': z.string().meta({ description: 'format=csv' }),
      },
      headers: {
        link: { description: 'rel="next": the next page, when there is one' },
        'x-next-cursor': { description: 'The cursor of the next page, when there is one' },
      },
    },
  },
  errors: [],
  async handle({ query, env, request }) {
    checkWindow(query.from, query.to);
    if (query.email === undefined && query.from === undefined) {
      throw new LeaverError('invalid_request', 'Give email or from (a time window needs its start)', {
        details: { errors: [{ path: 'query.from', message: 'required when email is not given' }] },
      });
    }
    const format = query.format ?? 'jsonl';
    const filters = { email: query.email, from: query.from, to: query.to };
    const page = await env.deps.audit.query({
      ...filters,
      limit: query.limit ?? 1000,
      cursor: unwrapCursor('audit', filters, query.cursor),
    });
    let out = '';
    if (format === 'csv') {
      if (query.cursor === undefined) out += csvHeader();
      for (const r of page.items) out += csvRow(r);
    } else if (format === 'ocsf') {
      for (const r of page.items) {
        const e = toOcsf(r);
        if (e) out += jsonlLine(e);
      }
    } else {
      for (const r of page.items) out += jsonlLine(auditView(r));
    }
    const headers: Record<string, string> = { 'x-record-count': String(page.items.length) };
    const cursor = wrapCursor('audit', filters, page.cursor);
    if (cursor) {
      headers.link = `<${linkTo(request, { ...filters, format: query.format, limit: query.limit, cursor })}>; rel="next"`;
      headers['x-next-cursor'] = cursor;
    }
    if (format === 'csv') headers['content-disposition'] = 'attachment; filename="leaver-audit.csv"';
    return text(200, out, CONTENT_TYPES[format], headers);
  },
});

const revocations = route({
  method: 'POST',
  path: '/v1/revocations',
  operationId: 'revokeGrant',
  summary: 'A targeted, audited revocation of one named grant',
  description:
    'Removes one grant by its vendor ids: an invitation by id; an iTwin user, owner or group member ' +
    '(or a group from an iTwin); an Atlas or Cloud Manager user from an organisation, project or team. ' +
    'The vendor and tenant must be configured and every id must be in the vendor format ' +
    '(`invalid_vendor_id` otherwise) before anything is sent to the vendor.',
  tag: 'revocations',
  body: RevocationBody,
  responses: { 200: { description: 'The outcome', content: { [JSON_TYPE]: RevocationResultSchema } } },
  errors: [423, 502, 503, 504],
  async handle({ body, principal, env }) {
    if (!(VENDORS as readonly string[]).includes(body.vendor)) {
      throw new LeaverError('invalid_request', `Unknown vendor "${body.vendor}"`, {
        details: { errors: [{ path: 'vendor', message: `must be one of ${VENDORS.join(', ')}` }] },
      });
    }
    const vendor = body.vendor as VendorId;
    const tenant = env.deps.config.tenants.find((t) => t.id === body.tenantId);
    if (!tenant || tenant.vendor !== vendor) {
      throw new LeaverError('invalid_request', `Unknown ${vendor} tenant "${body.tenantId}"`, {
        details: { errors: [{ path: 'tenantId', message: 'not a configured tenant of this vendor' }] },
      });
    }
    const kind = body.kind as GrantKind;
    if (vendorOfKind(kind) !== vendor) {
      throw new LeaverError('invalid_request', `${kind} is not a ${vendor} grant kind`, {
        details: { errors: [{ path: 'kind', message: `not a ${vendor} grant kind` }] },
      });
    }
    assertGrantIds(kind, body.ids);
    const grant = asGrant({
      vendor,
      tenantId: tenant.id,
      kind,
      email: body.email ?? '',
      ids: body.ids,
    });
    return json(200, await engine.revoke(env, principal, { grant, reason: body.reason }));
  },
});

const killSwitch = route({
  method: 'PUT',
  path: '/v1/kill-switch',
  operationId: 'setKillSwitch',
  summary: 'Turn the kill switch on or off (audited)',
  description:
    'While on, no revocation runs anywhere: offboardings that come due are held in the store (`heldAt`) ' +
    'and their queue messages deleted. Turning it off puts every held offboarding back on the queue ' +
    '(`resumed` counts them); the due sweep picks up any that could not be enqueued.',
  tag: 'revocations',
  body: KillSwitchBody,
  responses: { 200: { description: 'The kill switch now', content: { [JSON_TYPE]: KillSwitchSchema } } },
  errors: [],
  async handle({ body, principal, env }) {
    return json(200, await engine.killSwitch(env, principal, body));
  },
});

const getKillSwitch = route({
  method: 'GET',
  path: '/v1/kill-switch',
  operationId: 'getKillSwitch',
  summary: 'Whether the kill switch is on, since when and why',
  tag: 'revocations',
  responses: { 200: { description: 'The kill switch', content: { [JSON_TYPE]: KillSwitchSchema } } },
  errors: [],
  async handle({ env }) {
    return json(200, await engine.killSwitchNow(env));
  },
});

const listDeadLetters = route({
  method: 'GET',
  path: '/v1/dead-letters',
  operationId: 'listDeadLetters',
  summary: "Peek at the work queue's dead-letter queue",
  description:
    "Messages whose offboarding failed every delivery, each with that offboarding's status now. They stay " +
    'in the queue (in AWS each is received and made visible again at once). At most `limit` (default 20) ' +
    'are shown; `more` says others may wait.',
  tag: 'operations',
  query: DeadLettersQuery,
  responses: { 200: { description: 'Dead letters', content: { [JSON_TYPE]: DeadLetterListSchema } } },
  errors: [404, 503],
  async handle({ query, env }) {
    return json(200, await engine.deadLetters(env, query.limit ?? 20));
  },
});

const redriveDeadLetters = route({
  method: 'POST',
  path: '/v1/dead-letters/redrive',
  operationId: 'redriveDeadLetters',
  summary: 'Move dead letters back to the work queue (audited)',
  description:
    'Moves up to `limit` (default 100) messages from the dead-letter queue back to the work queue, where ' +
    'the worker runs their offboardings again (finished ones are skipped). Each offboarding moved is ' +
    'audited `retry_scheduled` with the caller as actor. Messages the work queue refuses stay in the ' +
    'dead-letter queue (`failed`). A call that nears its time limit stops early (fewer `moved` than ' +
    'asked): call again until GET /v1/dead-letters is empty.',
  tag: 'operations',
  body: RedriveBody,
  bodyOptional: true,
  responses: { 200: { description: 'What was moved', content: { [JSON_TYPE]: RedriveResultSchema } } },
  errors: [404, 503],
  async handle({ body, principal, env }) {
    return json(200, await engine.redriveDeadLetters(env, principal, body.limit ?? 100));
  },
});

const health = route({
  method: 'GET',
  path: '/v1/health',
  operationId: 'health',
  summary: 'Liveness and the state of the store',
  tag: 'meta',
  public: true,
  responses: {
    200: { description: 'Healthy', content: { [JSON_TYPE]: HealthSchema } },
    503: { description: 'The store does not answer', content: { [JSON_TYPE]: HealthSchema } },
  },
  errors: [],
  async handle({ env }) {
    const checks: Record<string, 'ok' | 'error'> = { config: 'ok' };
    let killSwitch = env.deps.config.safety.killSwitch;
    try {
      killSwitch = (await engine.killSwitchNow(env)).enabled;
      checks.store = 'ok';
    } catch {
      checks.store = 'error';
    }
    const ok = Object.values(checks).every((c) => c === 'ok');
    return json(ok ? 200 : 503, {
      status: ok ? 'ok' : 'degraded',
      version: API_VERSION,
      time: env.deps.clock.now().toISOString(),
      killSwitch,
      checks,
    });
  },
});

const openapi = route({
  method: 'GET',
  path: '/v1/openapi.json',
  operationId: 'openapi',
  summary: 'This API as an OpenAPI 3.1 document',
  tag: 'meta',
  public: true,
  responses: {
    200: { description: 'The document', content: { [JSON_TYPE]: z.record(z.string(), z.unknown()) } },
  },
  errors: [],
  async handle({ env }) {
    // Generating the document is rare (a client fetching it once): its code loads on that request.
    const { buildOpenApi } = await import('./openapi.ts');
    return json(200, buildOpenApi(env.routes, { version: API_VERSION }));
  },
});

export const ROUTES: readonly AnyRoute[] = [
  startOffboarding,
  listOffboardings,
  getOffboarding,
  cancel,
  retry,
  release,
  offboardingAudit,
  preview,
  auditExport,
  getAccess,
  revocations,
  killSwitch,
  getKillSwitch,
  listDeadLetters,
  redriveDeadLetters,
  offboardingCounts,
  timeToRevoke,
  health,
  openapi,
  ...AUDIT_ROUTES,
];
