/**
 * BambooHR field-change webhooks.
 *
 * Verification: `X-BambooHR-Signature` = hex HMAC-SHA256 of (raw body + `X-BambooHR-Timestamp`)
 * keyed with the webhook's private key; the timestamp (Unix seconds) must be within 300 s of now.
 * Secret value: `{ "privateKey": "..." }`.
 *
 * Payload: `{ "employees": [ { "id", "changedFields": [...], "fields": { ... } } ] }`. Field names
 * are matched case-insensitively ignoring spaces, dashes and underscores, so both the display names
 * and the API names work (a field value may be a string or `{ "value": ... }`):
 *   email:  `Work Email` / `workEmail`, else `Email` / `email`
 *   status: `Status` / `status` (Active / Inactive), `Employment Status` / `employmentStatus`
 *   date:   `Termination Date` / `terminationDate` (the effective time: a date YYYY-MM-DD, 00:00 UTC;
 *           empty or 0000-00-00 when not set, which means now)
 * An employee whose Status, Employment Status or Termination Date changed and who is now Inactive
 * or Terminated -> terminate. One whose Status or Employment Status changed back to active ->
 * cancel (cancels a scheduled offboarding; harmless for a new hire). Other changes are ignored.
 * BambooHR sends no event id, so one is derived from what identifies the change: the employee entry
 * itself (`id`, `changedFields`, `fields`, and the entry's own `timestamp`/`action` when BambooHR
 * sends them). `<employee id>:<kind>:<digest>`, the digest a SHA-256 of that entry in canonical JSON
 * (keys sorted, changed field names normalised and sorted). A retried delivery carries the same body
 * (only the `X-BambooHR-Timestamp` header of the attempt changes, and it is not part of the id), so
 * it is the same event; a separate change (a new termination date, another change's timestamp or
 * values) is a new event. Unknown fields are ignored.
 */
import { createHash, createHmac } from 'node:crypto';
import { LeaverError } from '../core/errors.ts';
import type { HrEvent } from '../core/model.ts';
import {
  assertBodySize,
  assertFresh,
  header,
  invalidRequest,
  invalidSignature,
  isObject,
  type Json,
  optionalInstant,
  optionalText,
  parseJsonObject,
  requireEmail,
  safeEqual,
  unixSeconds,
} from './common.ts';
import type { HrSource, RawWebhook } from './types.ts';

function keyOf(value: unknown): string {
  if (isObject(value) && typeof value.privateKey === 'string' && value.privateKey.length > 0) {
    return value.privateKey;
  }
  throw new LeaverError('config_invalid', 'The bamboohr source secret must be { "privateKey": "..." }');
}

const norm = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');

function fieldValue(fields: Json, ...names: string[]): unknown {
  const wanted = names.map(norm);
  for (const name of wanted) {
    for (const [k, v] of Object.entries(fields)) {
      if (norm(k) === name) return isObject(v) && 'value' in v ? v.value : v;
    }
  }
  return undefined;
}

/** JSON with object keys sorted at every level, so equal entries always serialise alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What identifies one employee change: the whole entry, its changed field names normalised and sorted. */
function changeDigest(emp: Json, changed: ReadonlySet<string>): string {
  const entry = { ...emp, changedFields: [...changed].sort() };
  return createHash('sha256').update(canonical(entry), 'utf8').digest('hex').slice(0, 32);
}

/**
 * BambooHR posts a field's current value, and writes a date that is not set as an empty value or
 * `0000-00-00`: the change to Inactive is then effective now. Any other value must be a real date.
 */
const unsetAsAbsent = (v: unknown) => (v === '' || v === '0000-00-00' ? undefined : v);

const lower = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : undefined);

export const bamboohrSource: HrSource = {
  type: 'bamboohr',
  batched: true,

  verify(raw: RawWebhook, secretValue: unknown, now: Date): void {
    const key = keyOf(secretValue);
    assertBodySize(raw);
    const timestamp = header(raw, 'x-bamboohr-timestamp');
    const signature = header(raw, 'x-bamboohr-signature');
    if (!timestamp || !signature || !/^[0-9a-fA-F]{64}$/.test(signature)) throw invalidSignature();
    assertFresh(unixSeconds(timestamp), now, 300);
    const expected = createHmac('sha256', key)
      .update(raw.body + timestamp, 'utf8')
      .digest();
    if (!safeEqual(Buffer.from(signature, 'hex'), expected)) throw invalidSignature();
  },

  parse(raw: RawWebhook, now: Date): HrEvent[] {
    const body = parseJsonObject(raw.body);
    if (!Array.isArray(body.employees)) {
      throw invalidRequest('employees is required and must be an array', 'employees');
    }
    const seconds = unixSeconds(header(raw, 'x-bamboohr-timestamp'));
    const occurredAt = seconds !== undefined ? new Date(seconds * 1000).toISOString() : now.toISOString();
    const out: HrEvent[] = [];
    body.employees.forEach((emp: unknown, i: number) => {
      const at = `employees[${i}]`;
      if (!isObject(emp)) throw invalidRequest(`${at} must be an object`, at);
      const fields = isObject(emp.fields) ? emp.fields : {};
      const changed = new Set(
        (Array.isArray(emp.changedFields) ? emp.changedFields : [])
          .filter((f): f is string => typeof f === 'string')
          .map(norm),
      );
      const status = lower(fieldValue(fields, 'status'));
      const employment = lower(fieldValue(fields, 'employmentStatus'));
      const statusChanged = changed.has('status') || changed.has('employmentstatus');
      const terminated = status === 'inactive' || employment === 'terminated';
      let kind: HrEvent['kind'] | undefined;
      if (terminated && (statusChanged || changed.has('terminationdate'))) kind = 'terminate';
      else if (statusChanged && !terminated && (status === 'active' || (status === undefined && employment)))
        kind = 'cancel';
      if (!kind) return;
      const id = optionalText(emp.id, `${at}.id`, 64);
      if (!id) throw invalidRequest(`${at}.id is required`, `${at}.id`);
      const emailValue = fieldValue(fields, 'workEmail') ?? fieldValue(fields, 'email');
      const email = requireEmail(emailValue, `${at}.fields["Work Email"]`);
      const effectiveAt =
        kind === 'terminate'
          ? optionalInstant(
              unsetAsAbsent(fieldValue(fields, 'terminationDate')),
              `${at}.fields["Termination Date"]`,
              'date',
            )
          : undefined;
      const sourceEventId = `${id}:${kind}:${changeDigest(emp, changed)}`;
      out.push({
        kind,
        source: raw.sourceId,
        sourceEventId,
        subject: { email, aliases: [], employeeId: id },
        effectiveAt,
        occurredAt,
      });
    });
    return out;
  },
};
