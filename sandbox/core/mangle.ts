/**
 * Mangled answers: a vendor that changed its API, or a proxy that answers for it. The emulator
 * answers as usual; a `mangle` fault then rewrites its successful (2xx) answer:
 * - `rename-field`: every property named `field`, at any depth, is renamed (to `to`, default
 *   `<field>Renamed`): a vendor that renamed a field.
 * - `drop-array`: the listing's array is gone: the property `field` of the top-level object, or
 *   without `field` every top-level array property but `links` (`members`, `results`, ...); a
 *   bare array body becomes `{}`.
 * - `wrong-type`: every property named `field` gets a value of another type (string -> number,
 *   number/boolean -> string, array -> object, object/null -> number); without `field` the
 *   listing's array itself (the same arrays as `drop-array`, or a bare array body) becomes a string.
 * - `html`: a 200 with an HTML page (Content-Type text/html), as a sign-in or maintenance page.
 * - `extra-fields`: every object at any depth gains unknown properties (a vendor that added
 *   fields, which clients must accept).
 * Answers without a JSON body (204, errors) are left as they are.
 */
import type { SandboxResponse } from './types.ts';

export type MangleShape = 'rename-field' | 'drop-array' | 'wrong-type' | 'html' | 'extra-fields';

export const MANGLE_SHAPES: readonly MangleShape[] = [
  'rename-field',
  'drop-array',
  'wrong-type',
  'html',
  'extra-fields',
];

export interface MangleSpec {
  shape: MangleShape;
  /** The property to rename, drop or retype (required for `rename-field`). */
  field?: string;
  /** `rename-field`: the new name. */
  to?: string;
}

export const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in</h1>' +
  '<form method="post" action="/login"><input name="user"><input name="password" type="password"></form>' +
  '</body></html>\n';

/** The answer as the mangle rule rewrites it (or unchanged when it has nothing to rewrite). */
export function mangleResponse(r: SandboxResponse, spec: MangleSpec): SandboxResponse {
  if (r.status < 200 || r.status > 299 || r.status === 204) return r;
  if (spec.shape === 'html') {
    const headers = { ...withoutContentType(r.headers), 'Content-Type': 'text/html; charset=utf-8' };
    return { ...r, headers, body: HTML_PAGE };
  }
  if (r.body === null || typeof r.body !== 'object' || Buffer.isBuffer(r.body)) return r;
  const body = mangleBody(structuredClone(r.body) as unknown, spec);
  if (typeof body !== 'string') return { ...r, body };
  // A JSON string body goes out as JSON, not as plain text (the framework sends strings as they are).
  const type = Object.entries(r.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  const headers = { ...withoutContentType(r.headers), 'Content-Type': type ?? 'application/json' };
  return { ...r, headers, body: JSON.stringify(body) };
}

export function mangleBody(body: unknown, spec: MangleSpec): unknown {
  switch (spec.shape) {
    case 'rename-field':
      return renameEverywhere(body, spec.field!, spec.to ?? `${spec.field}Renamed`);
    case 'drop-array':
      if (Array.isArray(body)) return {};
      for (const key of topLevelArrays(body, spec.field)) delete (body as Record<string, unknown>)[key];
      return body;
    case 'wrong-type':
      if (spec.field !== undefined) return retypeEverywhere(body, spec.field);
      if (Array.isArray(body)) return `${body.length} items`;
      for (const key of topLevelArrays(body)) {
        const o = body as Record<string, unknown[]>;
        (o as Record<string, unknown>)[key] = `${o[key]!.length} items`;
      }
      return body;
    case 'extra-fields':
      return addExtras(body);
    default:
      return body;
  }
}

function withoutContentType(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() !== 'content-type') out[k] = v;
  return out;
}

/** The listing's arrays: `field`, or every top-level array but the navigation `links`. */
function topLevelArrays(body: unknown, field?: string): string[] {
  if (body === null || typeof body !== 'object') return [];
  const o = body as Record<string, unknown>;
  if (field !== undefined) return field in o ? [field] : [];
  return Object.keys(o).filter((k) => Array.isArray(o[k]) && k !== 'links');
}

function renameEverywhere(node: unknown, from: string, to: string): unknown {
  if (Array.isArray(node)) return node.map((n) => renameEverywhere(n, from, to));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k === from ? to : k] = renameEverywhere(v, from, to);
  return out;
}

function otherType(value: unknown): unknown {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return { count: value.length };
  return 42;
}

function retypeEverywhere(node: unknown, field: string): unknown {
  if (Array.isArray(node)) return node.map((n) => retypeEverywhere(n, field));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === field ? otherType(v) : retypeEverywhere(v, field);
  return out;
}

function addExtras(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(addExtras);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = addExtras(v);
  out.sandboxAddedField = 'a field this client does not know';
  out.sandboxAddedObject = { nested: [1, 'two', null], flag: true };
  return out;
}
