import { MongoApiError } from './api-error.ts';

/**
 * Parses a JSON object body. MongoDB's Public API principles: unknown fields are rejected, not
 * ignored -> 400 `INVALID_ATTRIBUTE`; malformed JSON -> 400 `INVALID_JSON`; a missing required
 * field -> 400 `MISSING_ATTRIBUTE`.
 */
export function parseBody(body: Buffer, allowed: readonly string[], required: readonly string[] = []) {
  let value: unknown;
  try {
    value = JSON.parse(body.length ? body.toString('utf8') : '');
  } catch {
    throw new MongoApiError(400, 'INVALID_JSON', 'Received JSON is malformed.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MongoApiError(400, 'INVALID_JSON', 'Received JSON is malformed.');
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      throw new MongoApiError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${k} specified.`, [k]);
  }
  for (const k of required) {
    if (obj[k] === undefined || obj[k] === null) {
      throw new MongoApiError(400, 'MISSING_ATTRIBUTE', `The required attribute ${k} was not specified.`, [
        k,
      ]);
    }
  }
  return obj;
}

export function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    throw new MongoApiError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${key} specified.`, [key]);
  }
  return v;
}

export function stringArray(obj: Record<string, unknown>, key: string): string[] | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new MongoApiError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${key} specified.`, [key]);
  }
  return v as string[];
}
