/**
 * Request and response schemas of the management API (/v1). The OpenAPI document is generated from
 * these same schemas (openapi.ts), and the tests validate every response against them, so the
 * document cannot drift from the code.
 *
 * Requests are strict: an unknown field is a 400. Responses are strict too, so a field added to a
 * view without its schema fails the tests.
 */
import * as z from 'zod';
import { ERROR_TABLE, type ErrorCode } from '../core/errors.ts';
import { emailRule, instantRule, textRule } from '../core/input-rules/index.ts';
import {
  AUDIT_EVENTS,
  GRANT_KIND_NAMES,
  GRANT_PHASES,
  OFFBOARDING_STATUSES,
  REASON_MAX_LENGTH,
  VENDORS,
} from '../core/model.ts';
import { VerifyReportSchema } from './audit-report-schema.ts';

export { GRANT_KIND_NAMES, OFFBOARDING_STATUSES };

export const OUTCOMES = ['revoked', 'already_absent', 'skipped', 'failed'] as const;
export const SKIP_REASONS = ['dry_run', 'protected_account', 'last_owner', 'kill_switch'] as const;

/**
 * Inputs follow the rules every edge shares (core/input-rules): an ISO-8601 date or date-time
 * with an offset, checked against the calendar and normalised to a UTC ISO string; one email rule
 * (trimmed, lower-cased); single-line text without control characters.
 */
export const isoDateInput = instantRule('date or date-time');
export const emailInput = emailRule;

const email = z.string().meta({ format: 'email' });
const isoTime = z.string().meta({ format: 'date-time' });
const vendor = z.enum(VENDORS);
const status = z.enum(OFFBOARDING_STATUSES);
const reason = textRule({ max: REASON_MAX_LENGTH, min: 1, trim: true });

// ---------------------------------------------------------------- shared shapes

export const GrantSchema = z
  .strictObject({
    vendor,
    tenantId: z.string(),
    kind: z.enum(GRANT_KIND_NAMES),
    email,
    ids: z.record(z.string(), z.string()),
    scopeName: z.string().optional(),
    lastOwner: z.boolean().optional(),
    /** From an inventory listing: the grant makes its holder an owner of its scope. */
    owner: z.boolean().optional(),
    order: z.number().optional(),
  })
  .meta({ id: 'Grant', description: 'One piece of access at a vendor, with the ids needed to remove it.' });

export const CountsSchema = z.strictObject({
  planned: z.number().int(),
  revoked: z.number().int(),
  alreadyAbsent: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
});

export const ActionViewSchema = z.strictObject({
  grantKey: z.string(),
  vendor,
  tenantId: z.string(),
  kind: z.enum(GRANT_KIND_NAMES),
  email,
  ids: z.record(z.string(), z.string()),
  scopeName: z.string().optional(),
  outcome: z.enum(OUTCOMES),
  skipReason: z.enum(SKIP_REASONS).optional(),
  errorCode: z.string().optional(),
  vendorRequestId: z.string().optional(),
  attempts: z.number().int(),
  durationMs: z.number(),
  at: isoTime,
  pass: z.number().int(),
  reinvited: z.boolean().optional(),
});

export const VendorSummarySchema = z.strictObject({
  vendor,
  counts: CountsSchema,
  timeToRevokeMs: z.number().optional(),
  actions: z.array(ActionViewSchema),
});

const offboardingFields = {
  id: z.string(),
  email,
  aliases: z.array(email),
  employeeId: z.string().optional(),
  name: z.string().optional(),
  status,
  origin: z.strictObject({ type: z.enum(['hr', 'api', 'schedule']), id: z.string() }),
  sourceEventId: z.string(),
  reason: z.string().optional(),
  dryRun: z.boolean().optional(),
  effectiveAt: isoTime,
  receivedAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  lastRevokedAt: isoTime.optional(),
  timeToRevokeMs: z.number().optional(),
  timeToRevokeByVendorMs: z.partialRecord(vendor, z.number()).optional(),
  counts: CountsSchema,
  attempts: z.number().int(),
  nextRetryAt: isoTime.optional(),
  releasedAt: isoTime.optional(),
  heldAt: isoTime.optional().meta({
    description:
      'Present while the kill switch holds it: when it was held. It waits in the store (no queue message) ' +
      'and resumes when the kill switch is turned off.',
  }),
  /** Tenants the last run could not read (what they hold is unknown): retried and alerted. */
  failedTenants: z.array(z.strictObject({ vendor, tenantId: z.string(), errorCode: z.string() })).optional(),
};

export const OffboardingSummarySchema = z
  .strictObject(offboardingFields)
  .meta({ id: 'OffboardingSummary', description: 'An offboarding without its actions.' });

export const OffboardingDetailSchema = z
  .strictObject({
    ...offboardingFields,
    vendors: z.array(VendorSummarySchema),
  })
  .meta({
    id: 'Offboarding',
    description: 'An offboarding with its actions grouped by vendor, timings and time-to-revoke.',
  });

export const PlanItemSchema = z.strictObject({
  grantKey: z.string(),
  vendor,
  tenantId: z.string(),
  kind: z.enum(GRANT_KIND_NAMES),
  phase: z.enum(GRANT_PHASES),
  email,
  ids: z.record(z.string(), z.string()),
  scopeName: z.string().optional(),
  /** What a run would do: revoke it, or skip it (protected account, last owner). */
  action: z.enum(['revoke', 'skip']),
  skipReason: z.enum(SKIP_REASONS).optional(),
});

export const PlanSchema = z
  .strictObject({
    email,
    emails: z.array(email),
    items: z.array(PlanItemSchema),
    counts: z.strictObject({ revoke: z.number().int(), skip: z.number().int() }),
    /** Tenants that could not be searched: the plan is incomplete for them. */
    failures: z.array(z.strictObject({ vendor, tenantId: z.string(), errorCode: z.string() })),
  })
  .meta({ id: 'Plan', description: 'Every grant a run would revoke or skip. Nothing was changed.' });

export const AuditRecordSchema = z
  .strictObject({
    streamId: z.string(),
    seq: z.number().int(),
    event: z.enum(AUDIT_EVENTS),
    at: isoTime,
    email: email.optional(),
    actor: z.string(),
    vendor: vendor.optional(),
    tenantId: z.string().optional(),
    grantKey: z.string().optional(),
    grant: GrantSchema.optional(),
    outcome: z.enum(OUTCOMES).optional(),
    skipReason: z.enum(SKIP_REASONS).optional(),
    errorCode: z.string().optional(),
    vendorRequestId: z.string().optional(),
    durationMs: z.number().optional(),
    attempt: z.number().int().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord', description: 'One immutable audit record, hash-chained to its predecessor.' });

export const ChainResultSchema = z.strictObject({
  valid: z.boolean(),
  records: z.number().int(),
  /** The first record (seq) where the chain breaks. */
  brokenAt: z.number().int().optional(),
  reason: z.string().optional(),
});

const ERROR_CODES = Object.keys(ERROR_TABLE) as [ErrorCode, ...ErrorCode[]];

export const ProblemSchema = z
  .strictObject({
    type: z.string().meta({ description: 'A URI per error code: https://leaver.dev/problems/<code>.' }),
    title: z.string().meta({ description: 'The HTTP status in words.' }),
    status: z.number().int().meta({ description: 'The HTTP status of the answer.' }),
    detail: z.string().meta({
      description:
        'What went wrong, naming the field and its rule for bad input; never a value, a secret or an ' +
        'email address. A 500 says only that an internal error occurred.',
    }),
    code: z.enum(ERROR_CODES).meta({ description: "Leaver's stable error code (the error taxonomy)." }),
    instance: z.string().optional().meta({ description: 'The request path.' }),
    errors: z
      .array(
        z.strictObject({
          path: z
            .string()
            .meta({ description: 'The field, dotted (`aliases.0`, `query.from`); "" is the body.' }),
          message: z.string().meta({ description: 'The rule it broke.' }),
        }),
      )
      .optional()
      .meta({ description: 'Bad input (400): every field that failed, with its rule.' }),
  })
  .meta({
    id: 'Problem',
    description:
      'RFC 9457 problem details (application/problem+json) with a stable error code: the shape of every ' +
      'error answer, of the API and of the webhooks alike.',
  });

// ---------------------------------------------------------------- requests

export const IdParams = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be an offboarding id'),
});

export const StartOffboardingBody = z.strictObject({
  email: emailInput,
  aliases: z.array(emailInput).max(20).optional(),
  effectiveAt: isoDateInput.optional(),
  reason,
  dryRun: z.boolean().optional(),
});

export const PreviewBody = z.strictObject({
  email: emailInput,
  aliases: z.array(emailInput).max(20).optional(),
});

export const ActionBody = z.strictObject({ reason: reason.optional() });

export const ListOffboardingsQuery = z.strictObject({
  email: emailInput.optional(),
  status: status.optional(),
  from: isoDateInput.optional(),
  to: isoDateInput.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).max(4096).optional(),
  /** `desc`: newest first. Without email and status, an order lists every status by effective time. */
  order: z.enum(['asc', 'desc']).optional(),
});

export const AUDIT_FORMATS = ['jsonl', 'csv', 'ocsf'] as const;

export const AuditExportQuery = z.strictObject({
  email: emailInput.optional(),
  from: isoDateInput.optional(),
  to: isoDateInput.optional(),
  format: z.enum(AUDIT_FORMATS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

export const StreamAuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

export const RevocationBody = z.strictObject({
  vendor: z.string().min(1).max(64),
  tenantId: z.string().min(1).max(64),
  kind: z.enum(GRANT_KIND_NAMES),
  ids: z.record(z.string(), z.string()),
  email: emailInput.optional(),
  reason,
});

export const KillSwitchBody = z.strictObject({
  enabled: z.boolean(),
  reason,
});

// ---------------------------------------------------------------- responses

export const OffboardingListSchema = z.strictObject({
  items: z.array(OffboardingSummarySchema),
  /** Opaque; pass as `cursor` for the next page. Absent on the last page. */
  cursor: z.string().optional(),
  next: z.string().optional(),
});

export const OffboardingAuditSchema = z.strictObject({
  offboardingId: z.string(),
  records: z.array(AuditRecordSchema),
  chain: ChainResultSchema,
  /** On the first page, where digests are configured: the chain against them and the offboarding against its audit. */
  verification: VerifyReportSchema.optional(),
  cursor: z.string().optional(),
  next: z.string().optional(),
});

export const RevocationResultSchema = z.strictObject({
  /** The audit stream of this revocation (GET /v1/offboardings/{id}/audit accepts it). */
  revocationId: z.string(),
  grantKey: z.string(),
  grant: GrantSchema,
  outcome: z.enum(OUTCOMES),
  skipReason: z.enum(SKIP_REASONS).optional(),
  errorCode: z.string().optional(),
  vendorRequestId: z.string().optional(),
});

export const KillSwitchSchema = z.strictObject({
  /** Whether revocations are stopped now (the configuration's switch or the flag). */
  enabled: z.boolean(),
  /** The configuration file's switch: while on, the flag cannot turn revocations back on. */
  configured: z.boolean(),
  /** The flag set through the API, with who set it, when and why. */
  flag: z
    .strictObject({
      enabled: z.boolean(),
      reason: z.string().optional(),
      by: z.string().optional(),
      at: isoTime.optional(),
    })
    .optional(),
  /** Turning it off: how many held offboardings went back on the queue (and how many the queue refused). */
  resumed: z
    .strictObject({ resumed: z.number().int(), notEnqueued: z.number().int() })
    .optional()
    .meta({
      description:
        'Only when this request turned the kill switch off: the held offboardings put back on the queue, ' +
        'and those the queue refused (the due sweep enqueues them).',
    }),
});

/**
 * Largest page of GET /v1/dead-letters, and of one POST /v1/dead-letters/redrive (50 SQS batches; a
 * redrive also stops before the request's time limit, so a slow queue moves fewer per call).
 */
export const DEAD_LETTER_PEEK_MAX = 100;
export const DEAD_LETTER_REDRIVE_MAX = 500;

export const DeadLettersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(DEAD_LETTER_PEEK_MAX).optional(),
});

export const RedriveBody = z.strictObject({
  limit: z.number().int().min(1).max(DEAD_LETTER_REDRIVE_MAX).optional(),
});

export const DeadLetterSchema = z
  .strictObject({
    messageId: z.string(),
    offboardingId: z
      .string()
      .optional()
      .meta({ description: 'Absent when the message names no offboarding' }),
    status: status
      .optional()
      .meta({ description: "The offboarding's status now (absent when it does not exist)" }),
    heldAt: isoTime.optional(),
    receiveCount: z.number().int().optional(),
    sentAt: isoTime.optional(),
  })
  .meta({ id: 'DeadLetter', description: 'One message of the dead-letter queue (left in the queue).' });

export const DeadLetterListSchema = z.strictObject({
  items: z.array(DeadLetterSchema),
  /** More messages may wait than were shown. */
  more: z.boolean(),
});

export const RedriveResultSchema = z.strictObject({
  /** Messages moved back to the work queue. */
  moved: z.number().int(),
  /** Messages the work queue refused: still in the dead-letter queue. */
  failed: z.number().int(),
});

export const HealthSchema = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  time: isoTime,
  killSwitch: z.boolean(),
  checks: z.record(z.string(), z.enum(['ok', 'error'])),
});

/** OCSF event (one line of `format=ocsf`); the fields Leaver fills. */
export const OcsfEventSchema = z
  .object({
    class_uid: z.union([z.literal(3001), z.literal(3005)]),
    class_name: z.string(),
    category_uid: z.literal(3),
    category_name: z.string(),
    activity_id: z.number().int(),
    activity_name: z.string(),
    type_uid: z.number().int(),
    type_name: z.string(),
    time: z.number().int(),
    severity_id: z.number().int(),
    severity: z.string(),
    status_id: z.number().int(),
    status: z.string(),
    status_code: z.string().optional(),
    status_detail: z.string().optional(),
    message: z.string(),
    actor: z.object({ user: z.object({ uid: z.string(), name: z.string(), type: z.string() }) }),
    user: z.object({
      email_addr: z.string().optional(),
      name: z.string().optional(),
      uid: z.string().optional(),
    }),
    metadata: z.object({
      version: z.string(),
      uid: z.string(),
      correlation_uid: z.string(),
      original_time: z.string(),
      product: z.object({ name: z.string(), vendor_name: z.string() }),
    }),
    privileges: z.array(z.string()).optional(),
    resource: z.object({ uid: z.string(), name: z.string().optional(), type: z.string() }).optional(),
    unmapped: z.record(z.string(), z.unknown()),
  })
  .meta({
    id: 'OcsfEvent',
    description: 'An OCSF 1.3 Account Change (3001) or User Access Management (3005) event.',
  });

export type OffboardingDetail = z.output<typeof OffboardingDetailSchema>;
export type OffboardingSummary = z.output<typeof OffboardingSummarySchema>;
export type ActionView = z.output<typeof ActionViewSchema>;
export type PlanView = z.output<typeof PlanSchema>;
export type OcsfEvent = z.output<typeof OcsfEventSchema>;

// ---------------------------------------------------------------- stats

export const StatsWindowQuery = z.strictObject({
  from: isoDateInput.optional(),
  to: isoDateInput.optional(),
});

export const TimeToRevokeQuery = z.strictObject({
  from: isoDateInput.optional(),
  to: isoDateInput.optional(),
  /** How many of the slowest offboardings to list (default 10). */
  slowest: z.coerce.number().int().min(0).max(50).optional(),
});

export const OffboardingCountsSchema = z
  .strictObject({
    /** The window on effective time the counts cover (absent: unbounded). */
    from: isoTime.optional(),
    to: isoTime.optional(),
    counts: z.strictObject(
      Object.fromEntries(OFFBOARDING_STATUSES.map((s) => [s, z.number().int()])) as Record<
        (typeof OFFBOARDING_STATUSES)[number],
        z.ZodNumber
      >,
    ),
    total: z.number().int(),
  })
  .meta({ id: 'OffboardingCounts', description: 'How many offboardings each status holds.' });

export const DayStatSchema = z.strictObject({
  day: z.string().meta({ format: 'date' }),
  vendor: z.enum(['all', ...VENDORS]),
  count: z.number().int(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  maxMs: z.number(),
  overTarget: z.number().int(),
});

export const TimeToRevokeStatsSchema = z
  .strictObject({
    from: isoTime,
    to: isoTime,
    /** The configured target (reporting.timeToRevokeTargetMinutes) in milliseconds. */
    targetMs: z.number(),
    /** Finished offboardings effective in the window. */
    offboardings: z.number().int(),
    /** Those that revoked something (have a time-to-revoke). */
    measured: z.number().int(),
    withinTarget: z.number().int(),
    /** p50/p95 per UTC day of the effective time: `all` (overall) and per vendor. */
    days: z.array(DayStatSchema),
    slowest: z.array(OffboardingSummarySchema),
    /** More finished offboardings than the route reads (the newest were read): narrow the window. */
    truncated: z.boolean(),
  })
  .meta({
    id: 'TimeToRevokeStats',
    description: 'Time-to-revoke p50 and p95 by day, overall and per vendor, against the target.',
  });
