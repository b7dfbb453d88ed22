/**
 * Validation of management command input, with the rules every edge shares (input-rules): each
 * failure names the field (LeaverError invalid_request). The API parses the same fields with the
 * same rules first; these checks hold for every other caller of the commands.
 */
import type { EngineDeps } from './deps.ts';
import { LeaverError } from './errors.ts';
import { emailRule, instantRule, invalidField, parseField, textRule } from './input-rules/index.ts';
import { REASON_MAX_LENGTH } from './model.ts';
import type { Ctx } from './ports.ts';

/** `invalid_request` naming the field; `message` starts with the field's name. */
export const bad = (message: string, field: string) =>
  invalidField(field, message.startsWith(`${field} `) ? message.slice(field.length + 1) : message);

const instantInput = instantRule('date or date-time');
const reasonInput = textRule({ max: REASON_MAX_LENGTH, min: 1, trim: true });

export function email(value: unknown, field: string): string {
  return parseField(emailRule, value, field);
}

export function aliases(value: unknown, primary: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 20)
    throw bad('aliases must be an array of at most 20 emails', 'aliases');
  return [...new Set(value.map((v, i) => email(v, `aliases[${i}]`)))].filter((a) => a !== primary);
}

/** An effective time: absent is undefined (now); anything given must be a real instant. */
export function instant(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  return parseField(instantInput, value, field);
}

export function reasonOf(value: unknown): string {
  return parseField(reasonInput, value, 'reason');
}

/** An optional reason (cancel): absent is undefined, anything given follows the reason rule. */
export function optionalReason(value: unknown): string | undefined {
  return value === undefined ? undefined : reasonOf(value);
}

export function principalOf(principal: string): string {
  if (typeof principal !== 'string' || principal.length === 0) {
    throw new LeaverError('unauthorized', 'No caller principal');
  }
  return principal;
}

/** A caller that gives no context gets 25 s, within an API Gateway request's 29 s. */
export const defaultCtx = (deps: EngineDeps, ctx?: Ctx): Ctx =>
  ctx ?? { deadline: deps.clock.now().getTime() + 25_000, log: deps.log };
