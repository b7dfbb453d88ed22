/**
 * HiBob (Bob) webhooks v2.
 *
 * Verification: `Bob-Signature` = Base64 of HMAC-SHA512 of the raw body with the webhook secret.
 * Bob signs no timestamp, so there is no freshness window (replays are absorbed by event-id dedupe).
 * Secret value: `{ "secret": "..." }`.
 *
 * Payload: `{ companyId, type, triggeredBy, triggeredAt (date-time), version, data }`. Leaver acts
 * on `employee.left`, `employee.inactivated` (terminate; effective `data.effectiveDate` /
 * `data.terminationDate`, a date YYYY-MM-DD meaning 00:00 UTC, when given, else now) and `employee.access.revoked.immediately`
 * (terminate, effective now whatever the payload says). Other types are ignored. `data` must carry
 * an email (`data.email` or `data.workEmail`; Bob's own payload has only the employee id, so the
 * customer's automation adds it): 400 if none. Employee id: `data.employeeId` or `data.id`.
 * Event id: top-level `id` when present, else `<type>:<employee id>:<triggeredAt>`.
 * Unknown fields are ignored.
 */
import { createHmac } from 'node:crypto';
import { LeaverError } from '../core/errors.ts';
import type { HrEvent } from '../core/model.ts';
import { hashEmail } from '../core/redact.ts';
import {
  assertBodySize,
  header,
  invalidRequest,
  invalidSignature,
  isObject,
  optionalInstant,
  optionalText,
  parseJsonObject,
  requireEmail,
  requireEventId,
  safeEqual,
} from './common.ts';
import type { HrSource, RawWebhook } from './types.ts';

export const HIBOB_EVENT_TYPES = [
  'employee.left',
  'employee.inactivated',
  'employee.access.revoked.immediately',
];

function secretOf(value: unknown): string {
  if (isObject(value) && typeof value.secret === 'string' && value.secret.length > 0) return value.secret;
  throw new LeaverError('config_invalid', 'The hibob source secret must be { "secret": "..." }');
}

export const hibobSource: HrSource = {
  type: 'hibob',
  batched: false,

  verify(raw: RawWebhook, secretValue: unknown, _now: Date): void {
    const secret = secretOf(secretValue);
    assertBodySize(raw);
    const signature = header(raw, 'bob-signature');
    if (!signature || !/^[A-Za-z0-9+/]{86}==$/.test(signature.trim())) throw invalidSignature();
    const expected = createHmac('sha512', secret).update(raw.body, 'utf8').digest();
    if (!safeEqual(Buffer.from(signature.trim(), 'base64'), expected)) throw invalidSignature();
  },

  parse(raw: RawWebhook, now: Date): HrEvent[] {
    const body = parseJsonObject(raw.body);
    const type = body.type;
    if (typeof type !== 'string' || type.length === 0) throw invalidRequest('type is required', 'type');
    if (!HIBOB_EVENT_TYPES.includes(type)) return [];
    if (!isObject(body.data)) throw invalidRequest('data is required and must be an object', 'data');
    const data = body.data;
    const email = requireEmail(data.email ?? data.workEmail, 'data.email');
    const employeeId = optionalText(data.employeeId ?? data.id, 'data.employeeId', 100);
    const triggeredAt = optionalInstant(body.triggeredAt, 'triggeredAt', 'date-time');
    const immediate = type === 'employee.access.revoked.immediately';
    const effectiveAt = immediate
      ? now.toISOString()
      : data.effectiveDate !== undefined && data.effectiveDate !== null
        ? optionalInstant(data.effectiveDate, 'data.effectiveDate', 'date')
        : optionalInstant(data.terminationDate, 'data.terminationDate', 'date');
    const sourceEventId =
      body.id !== undefined
        ? requireEventId(body.id, 'id')
        : `${type}:${employeeId ?? hashEmail(email)}:${triggeredAt ?? '-'}`;
    return [
      {
        kind: 'terminate',
        source: raw.sourceId,
        sourceEventId,
        subject: { email, aliases: [], employeeId },
        effectiveAt,
        occurredAt: triggeredAt ?? now.toISOString(),
      },
    ];
  },
};
