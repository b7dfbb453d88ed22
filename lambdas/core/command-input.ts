/** Validation of management command input: each failure names the field (LeaverError invalid_request). */
import type { EngineDeps } from './deps.ts';
import { LeaverError } from './errors.ts';
import { normaliseEmail } from './model.ts';
import type { Ctx } from './ports.ts';

const EMAIL =
  /^[^\s@<>()[\],;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

export const bad = (message: string, field: string) =>
  new LeaverError('invalid_request', message, { details: { field } });

export function email(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value.trim())) {
    throw bad(`${field} must be an email address`, field);
  }
  return normaliseEmail(value);
}

export function aliases(value: unknown, primary: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 20)
    throw bad('aliases must be an array of at most 20 emails', 'aliases');
  return [...new Set(value.map((v, i) => email(v, `aliases[${i}]`)))].filter((a) => a !== primary);
}

export function instant(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw bad(`${field} must be an ISO-8601 date or date-time with an offset`, field);
  }
  // Date.parse rolls impossible calendar dates over (2026-02-30 -> March 2): refuse them instead.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    throw bad(`${field} is not a calendar date`, field);
  }
  return new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString();
}

export function reasonOf(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw bad('reason is required', 'reason');
  if (value.length > 500) throw bad('reason is longer than 500 characters', 'reason');
  return value.trim();
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
