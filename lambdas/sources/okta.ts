/**
 * Okta Event Hooks. Okta signs nothing: it sends a static secret in a header you configure
 * (source config `headerName`, default `authorization`), compared here in constant time.
 * Secret value: `{ "token": "<the exact header value>" }`.
 *
 * The one-time verification is a GET with `X-Okta-Verification-Challenge` (it carries the secret
 * header too: verify, then `challenge`), answered 200 `{"verification": "<value>"}`.
 *
 * Deliveries are batched: `{ data: { events: [ { uuid, eventType, published,
 * target: [ { type: "User", alternateId: <login/email>, id, displayName } ] } ] } }`.
 * `user.lifecycle.deactivate` and `user.lifecycle.suspend` -> terminate (effective now),
 * `user.lifecycle.activate` and `user.lifecycle.reactivate` -> rehire; other event types are ignored
 * (an event hook may subscribe to more). Events are deduplicated on `uuid` (within a batch here,
 * across deliveries by intake). An acted-on event whose user target has no email `alternateId` is
 * refused (400) rather than silently dropped. Unknown fields are ignored.
 */
import { LeaverError } from '../core/errors.ts';
import type { HrEvent } from '../core/model.ts';
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

export const OKTA_EVENT_TYPES = {
  'user.lifecycle.deactivate': 'terminate',
  'user.lifecycle.suspend': 'terminate',
  'user.lifecycle.activate': 'rehire',
  'user.lifecycle.reactivate': 'rehire',
} as const satisfies Record<string, HrEvent['kind']>;

export const OKTA_CHALLENGE_HEADER = 'x-okta-verification-challenge';

function tokenOf(value: unknown): string {
  if (isObject(value) && typeof value.token === 'string' && value.token.length > 0) return value.token;
  throw new LeaverError('config_invalid', 'The okta source secret must be { "token": "..." }');
}

export function oktaSource(options: { headerName?: string } = {}): HrSource {
  const headerName = (options.headerName ?? 'authorization').toLowerCase();
  return {
    type: 'okta',
    batched: true,

    verify(raw: RawWebhook, secretValue: unknown, _now: Date): void {
      const expected = Buffer.from(tokenOf(secretValue), 'utf8');
      assertBodySize(raw);
      const given = header(raw, headerName);
      if (!given || !safeEqual(Buffer.from(given, 'utf8'), expected)) throw invalidSignature();
    },

    challenge(raw: RawWebhook) {
      if (raw.method.toUpperCase() !== 'GET') return undefined;
      const value = header(raw, OKTA_CHALLENGE_HEADER);
      if (!value) throw invalidRequest(`${OKTA_CHALLENGE_HEADER} header is required`, OKTA_CHALLENGE_HEADER);
      if (value.length > 512) throw invalidRequest(`${OKTA_CHALLENGE_HEADER} header is too long`);
      return { status: 200, body: { verification: value } };
    },

    parse(raw: RawWebhook, now: Date): HrEvent[] {
      const body = parseJsonObject(raw.body);
      if (!isObject(body.data) || !Array.isArray(body.data.events)) {
        throw invalidRequest('data.events is required and must be an array', 'data.events');
      }
      const out: HrEvent[] = [];
      const seen = new Set<string>();
      body.data.events.forEach((event: unknown, i: number) => {
        const at = `data.events[${i}]`;
        if (!isObject(event)) throw invalidRequest(`${at} must be an object`, at);
        const kind = OKTA_EVENT_TYPES[event.eventType as keyof typeof OKTA_EVENT_TYPES];
        if (!kind) return;
        const uuid = requireEventId(event.uuid, `${at}.uuid`);
        if (seen.has(uuid)) return;
        seen.add(uuid);
        const targets = Array.isArray(event.target) ? event.target.filter(isObject) : [];
        const user =
          targets.find((t) => t.type === 'User') ?? targets.find((t) => t.alternateId !== undefined);
        if (!user) throw invalidRequest(`${at}.target has no User`, `${at}.target`);
        const email = requireEmail(user.alternateId, `${at}.target[].alternateId`);
        out.push({
          kind,
          source: raw.sourceId,
          sourceEventId: uuid,
          subject: {
            email,
            aliases: [],
            employeeId: optionalText(user.id, `${at}.target[].id`),
            name: optionalText(user.displayName, `${at}.target[].displayName`),
          },
          occurredAt: optionalInstant(event.published, `${at}.published`, 'date-time') ?? now.toISOString(),
        });
      });
      return out;
    },
  };
}
