/**
 * Standard Webhooks (github.com/standard-webhooks): Leaver's own canonical format.
 *
 * Verification (the `standardwebhooks` reference library signs; the comparison and the clock are
 * ours so `now` is injectable): headers `webhook-id`, `webhook-timestamp` (Unix seconds, within
 * 300 s of now either way) and `webhook-signature` (space-separated `v1,<base64>` entries; any
 * matching v1 entry passes, other versions are skipped). Signed content
 * `{id}.{timestamp}.{raw body}`, HMAC-SHA256 keyed with the base64 secret after `whsec_`.
 * Secret value: `{ "secret": "whsec_..." }`, or `{ "secrets": ["whsec_new", "whsec_old"] }` while
 * rotating on the receiving side.
 *
 * Payload (unknown fields are ignored, so senders may add their own):
 *   { "type": "employee.terminated" | "employee.termination_cancelled" | "employee.rehired",
 *     "timestamp"?: ISO-8601 date-time,
 *     "data": { "email", "aliases"?: [email], "employeeId"?, "name"?,
 *               "effectiveAt"?: ISO-8601 date or date-time } }
 * An unknown `type` is refused (400): in Leaver's own format a typo must not drop a termination.
 * The event id (dedupe key) is the `webhook-id` header.
 */
import { Webhook } from 'standardwebhooks';
import { LeaverError } from '../core/errors.ts';
import type { HrEvent } from '../core/model.ts';
import {
  assertBodySize,
  assertFresh,
  header,
  invalidRequest,
  invalidSignature,
  isObject,
  optionalEmails,
  optionalInstant,
  optionalText,
  parseJsonObject,
  requireEmail,
  requireEventId,
  safeEqual,
  unixSeconds,
} from './common.ts';
import type { HrSource, RawWebhook } from './types.ts';

export const STANDARD_EVENT_TYPES = {
  'employee.terminated': 'terminate',
  'employee.termination_cancelled': 'cancel',
  'employee.rehired': 'rehire',
} as const satisfies Record<string, HrEvent['kind']>;

function secretsOf(value: unknown): string[] {
  if (isObject(value)) {
    if (typeof value.secret === 'string' && value.secret.length > 0) return [value.secret];
    if (Array.isArray(value.secrets) && value.secrets.length > 0) {
      if (value.secrets.every((s) => typeof s === 'string' && s.length > 0)) return value.secrets as string[];
    }
  }
  throw new LeaverError(
    'config_invalid',
    'The standard source secret must be { "secret": "whsec_..." } or { "secrets": [...] }',
  );
}

function webhooks(secrets: string[]): Webhook[] {
  try {
    return secrets.map((s) => new Webhook(s));
  } catch (e) {
    throw new LeaverError('config_invalid', 'The standard source secret is not a valid whsec_ secret', {
      cause: e,
    });
  }
}

export const standardSource: HrSource = {
  type: 'standard',
  batched: false,

  verify(raw: RawWebhook, secretValue: unknown, now: Date): void {
    const hooks = webhooks(secretsOf(secretValue));
    assertBodySize(raw);
    const id = header(raw, 'webhook-id');
    const signature = header(raw, 'webhook-signature');
    const timestampHeader = header(raw, 'webhook-timestamp');
    if (!id || !signature || !timestampHeader) throw invalidSignature();
    const seconds = assertFresh(unixSeconds(timestampHeader), now, 300);
    const expected = hooks.map((h) =>
      Buffer.from(h.sign(id, new Date(seconds * 1000), raw.body).slice('v1,'.length), 'utf8'),
    );
    for (const entry of signature.split(' ')) {
      const comma = entry.indexOf(',');
      if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
      const given = Buffer.from(entry.slice(comma + 1), 'utf8');
      // Every expected value is compared (no early exit on which secret matched).
      let ok = false;
      for (const e of expected) ok = safeEqual(given, e) || ok;
      if (ok) return;
    }
    throw invalidSignature();
  },

  parse(raw: RawWebhook, now: Date): HrEvent[] {
    const body = parseJsonObject(raw.body);
    const sourceEventId = requireEventId(header(raw, 'webhook-id'), 'webhook-id header');
    const type = body.type;
    if (typeof type !== 'string' || type.length === 0) throw invalidRequest('type is required', 'type');
    const kind = STANDARD_EVENT_TYPES[type as keyof typeof STANDARD_EVENT_TYPES];
    if (!kind) {
      throw invalidRequest(`type must be one of ${Object.keys(STANDARD_EVENT_TYPES).join(', ')}`, 'type');
    }
    if (!isObject(body.data)) throw invalidRequest('data is required and must be an object', 'data');
    const data = body.data;
    const email = requireEmail(data.email, 'data.email');
    const seconds = unixSeconds(header(raw, 'webhook-timestamp'));
    const occurredAt =
      optionalInstant(body.timestamp, 'timestamp', 'date-time') ??
      (seconds !== undefined ? new Date(seconds * 1000).toISOString() : now.toISOString());
    return [
      {
        kind,
        source: raw.sourceId,
        sourceEventId,
        subject: {
          email,
          aliases: optionalEmails(data.aliases, 'data.aliases').filter((a) => a !== email),
          employeeId: optionalText(data.employeeId, 'data.employeeId'),
          name: optionalText(data.name, 'data.name'),
        },
        effectiveAt: optionalInstant(data.effectiveAt, 'data.effectiveAt', 'date or date-time'),
        occurredAt,
      },
    ];
  },
};
