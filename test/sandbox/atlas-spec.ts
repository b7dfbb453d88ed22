/**
 * MongoDB's own OpenAPI subset for the Atlas Admin API v2 (a fixture in this repository, with its
 * provenance beside it), loaded for checking the emulator's answers: operations by method and path,
 * their listed responses, and ajv validators for the response schemas.
 *
 * The schemas are used as the vendor wrote them, with these readings, each from the spec itself:
 * - `pattern`s are skipped (the name patterns use `\p{L}`, which strict regex validators refuse,
 *   and, as transcribed, refuse the vendor's own default names with spaces; mobileNumber's is
 *   double-escaped and matches no number), except the exact 24-hex ObjectId pattern every id must
 *   match.
 * - `x-xgen-discriminator` (per `orgMembershipStatus`: which fields a user has, and which it must
 *   have) is enforced as if/then, and the status is limited to the mapping's values (the spec calls
 *   it a "String enum").
 * - Where a property's own description contradicts its schema, the description wins, and the
 *   loader checks the description still says so: `invitationExpiresAt` is "null for rejected
 *   invitations"; CloudAppUser's `password` is required by the (shared request/response) schema but
 *   "MongoDB Cloud does not return this parameter except in response to creating a new ... user".
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** The spec subset, committed as a fixture (see PROVENANCE.md beside it for its origin and licence). */
export const SPEC_URL = new URL('../fixtures/atlas-openapi/atlas-admin-v2-offboarding.yaml', import.meta.url);
export const V2_PREFIX = '/api/atlas/v2';

const OBJECT_ID_PATTERN = '^([a-f0-9]{24})$';
const BASE = 'https://spec.invalid/atlas-offboarding.json';

type Obj = Record<string, unknown>;

export interface SpecResponse {
  content?: Record<string, { schema?: Obj }>;
  headers?: Record<string, { $ref?: string; schema?: Obj }>;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  /** Path as the spec writes it, e.g. `/api/atlas/v2/orgs/{orgId}/users`. */
  path: string;
  responses: Record<string, SpecResponse>;
  requestBody?: { content: Record<string, { schema?: Obj }> };
  /** Names of the query parameters the operation defines (its own and its path's). */
  query: string[];
}

export interface AtlasSpec {
  operations: SpecOperation[];
  byId(operationId: string): SpecOperation;
  /** The query parameters an operation defines, by name. */
  queryParameters(operationId: string): string[];
  /** The validator of a schema of the spec (inline, or `{ $ref: '#/components/schemas/X' }`). */
  validator(schema: Obj): ValidateFunction;
  /** The schema of a component, for answers of operations outside the subset. */
  component(name: string): Obj;
  /** The spec's header definition (resolved), e.g. for `RateLimit-Limit`. */
  header(ref: { $ref?: string; schema?: Obj }): { schema: Obj };
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows a local `#/a/b` reference inside the document. */
function resolve(doc: Obj, ref: string): Obj {
  let cur: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) cur = isObj(cur) ? cur[part] : undefined;
  if (!isObj(cur)) throw new Error(`spec: cannot resolve ${ref}`);
  return cur;
}

/** Deep copy for ajv: local refs made absolute against BASE, patterns other than the id one dropped. */
function forAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forAjv);
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = `${BASE}${v}`;
    else if (k === 'pattern' && v !== OBJECT_ID_PATTERN) continue;
    else out[k] = forAjv(v);
  }
  return out;
}

/** `x-xgen-discriminator` as JSON Schema: per status value, required and forbidden fields. */
function discriminate(schema: Obj): void {
  const d = schema['x-xgen-discriminator'];
  if (!isObj(d) || typeof d.propertyName !== 'string' || !isObj(d.mapping)) return;
  const mapping = d.mapping as Record<string, { properties?: string[]; required?: string[] }>;
  const specific = new Set(Object.values(mapping).flatMap((m) => m.properties ?? []));
  const props = schema.properties as Obj;
  props[d.propertyName] = { ...(props[d.propertyName] as Obj), enum: Object.keys(mapping) };
  schema.allOf = Object.entries(mapping).map(([value, m]) => {
    const foreign = [...specific].filter((p) => !(m.properties ?? []).includes(p));
    const then: Obj = { required: m.required ?? [] };
    if (foreign.length) then.not = { anyOf: foreign.map((p) => ({ required: [p] })) };
    return { if: { properties: { [d.propertyName as string]: { const: value } } }, then };
  });
}

function describedAs(prop: unknown, phrase: string, where: string): Obj {
  const description = isObj(prop) && typeof prop.description === 'string' ? prop.description : '';
  if (!description.replace(/\s+/g, ' ').includes(phrase)) {
    throw new Error(`spec: ${where} no longer says "${phrase}"; revisit the reading in atlas-spec.ts`);
  }
  return prop as Obj;
}

/** The readings of the header comment where a description overrides its schema. */
function applyDescriptions(schemas: Record<string, Obj>): void {
  for (const name of ['OrgUserResponse', 'GroupUserResponse']) {
    const props = schemas[name]!.properties as Obj;
    describedAs(
      props.invitationExpiresAt,
      'null for rejected invitations',
      `${name}.invitationExpiresAt`,
    ).nullable = true;
  }
  const user = schemas.CloudAppUser!;
  describedAs(
    (user.properties as Obj).password,
    'does not return this parameter except in response to creating a new MongoDB Cloud user',
    'CloudAppUser.password',
  );
  user.required = (user.required as string[]).filter((n) => n !== 'password');
}

export function loadAtlasSpec(): AtlasSpec {
  const doc = parse(readFileSync(SPEC_URL, 'utf8')) as Obj;
  const components = doc.components as Obj;
  const schemas = components.schemas as Record<string, Obj>;
  for (const s of Object.values(schemas)) discriminate(s);
  applyDescriptions(schemas);

  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: BASE, components: forAjv(components) });
  const cache = new Map<string, ValidateFunction>();

  const operations: SpecOperation[] = [];
  const queryNames = (params: unknown): string[] =>
    (Array.isArray(params) ? params : [])
      .map((p) => (isObj(p) && typeof p.$ref === 'string' ? resolve(doc, p.$ref) : (p as Obj)))
      .filter((p) => p.in === 'query')
      .map((p) => p.name as string);
  for (const [path, item] of Object.entries(doc.paths as Record<string, Obj>)) {
    for (const [method, raw] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const op = raw as Obj;
      const responses: Record<string, SpecResponse> = {};
      for (const [status, r] of Object.entries(op.responses as Record<string, Obj>)) {
        responses[status] = (typeof r.$ref === 'string' ? resolve(doc, r.$ref) : r) as SpecResponse;
      }
      operations.push({
        operationId: op.operationId as string,
        method: method.toUpperCase(),
        path,
        responses,
        query: [...new Set([...queryNames(item.parameters), ...queryNames(op.parameters)])],
        ...(op.requestBody ? { requestBody: op.requestBody as SpecOperation['requestBody'] & object } : {}),
      });
    }
  }

  return {
    operations,
    byId(id) {
      const op = operations.find((o) => o.operationId === id);
      if (!op) throw new Error(`spec: no operation ${id}`);
      return op;
    },
    queryParameters(id) {
      return this.byId(id).query;
    },
    validator(schema) {
      const key = JSON.stringify(schema);
      let v = cache.get(key);
      if (!v) {
        v = ajv.compile(forAjv(schema) as Obj);
        cache.set(key, v);
      }
      return v;
    },
    component(name) {
      if (!schemas[name]) throw new Error(`spec: no schema ${name}`);
      return { $ref: `#/components/schemas/${name}` };
    },
    header(h) {
      const def = typeof h.$ref === 'string' ? resolve(doc, h.$ref) : (h as Obj);
      return { schema: def.schema as Obj };
    },
  };
}
