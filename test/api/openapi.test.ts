/**
 * The OpenAPI 3.1 document: generated from the route table's zod schemas, structurally valid, and
 * in one-to-one correspondence with the router (every route documented, nothing documented that
 * does not route). The document passes the official OpenAPI 3.1 schema, and live answers conform
 * to the document's own response schemas (every other API test checks them against the zod schemas
 * too, helpers.ts).
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { router } from '../../lambdas/api/app.ts';
import { buildOpenApi } from '../../lambdas/api/openapi.ts';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { API_VERSION } from '../../lambdas/api/version.ts';
import { ERROR_TABLE } from '../../lambdas/core/errors.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { call, startRuntime } from './helpers.ts';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

let rt: LocalRuntime;
let doc: Json;

beforeAll(async () => {
  rt = await startRuntime();
  const res = await call('GET', '/v1/openapi.json', { token: null });
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(async () => {
  await rt?.close();
});

function operations(d: Json): { path: string; method: string; op: Json }[] {
  const out: { path: string; method: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(d.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      expect(METHODS).toContain(method);
      out.push({ path, method, op: op as Json });
    }
  }
  return out;
}

function resolve(d: Json, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, key) => (node as Json | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
      d,
    );
}

/** Walks a JSON Schema: types are valid, required names exist, every $ref resolves. */
function checkSchema(d: Json, schema: unknown, where: string): void {
  if (Array.isArray(schema)) {
    for (const [i, s] of schema.entries()) checkSchema(d, s, `${where}[${i}]`);
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  if (typeof s.$ref === 'string') {
    const target = resolve(d, s.$ref);
    expect(target, `${where}: $ref ${s.$ref} resolves`).toBeDefined();
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    for (const t of types) expect(TYPES.has(t as string), `${where}: type ${String(t)}`).toBe(true);
  }
  if (Array.isArray(s.required)) {
    const props = Object.keys((s.properties as Json) ?? {});
    for (const r of s.required) expect(props, `${where}: required ${String(r)}`).toContain(r);
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' || k === '$defs' || k === 'patternProperties') {
      for (const [name, sub] of Object.entries(v as Json)) checkSchema(d, sub, `${where}.${k}.${name}`);
    } else if (typeof v === 'object') checkSchema(d, v, `${where}.${k}`);
  }
}

describe('the OpenAPI document', () => {
  it('is an OpenAPI 3.1 document with info, paths, components and security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: API_VERSION });
    expect(Object.keys(doc.paths as Json).length).toBeGreaterThan(0);
    const components = doc.components as Json;
    expect((components.schemas as Json).Problem).toBeDefined();
    expect(Object.keys(components.securitySchemes as Json).sort()).toEqual(['bearer', 'sigv4']);
    // Shared schemas are components, referenced from the document's root (never a nested #/$defs).
    const text = JSON.stringify(doc);
    expect(text).not.toContain('#/$defs/');
    expect(text).not.toContain('"$defs"');
    for (const name of Object.keys(components.schemas as Json)) {
      expect(text).toContain(`"#/components/schemas/${name}"`);
    }
    expect(Object.keys(components.schemas as Json)).toEqual(
      expect.arrayContaining([
        'Offboarding',
        'OffboardingSummary',
        'Plan',
        'AuditRecord',
        'Grant',
        'OcsfEvent',
      ]),
    );
    // Every error code of the taxonomy is named in the description.
    for (const code of Object.keys(ERROR_TABLE)) expect((doc.info as Json).description).toContain(code);
  });

  it('has structurally valid component schemas', () => {
    for (const [name, schema] of Object.entries((doc.components as Json).schemas as Json)) {
      checkSchema(doc, schema, `components.schemas.${name}`);
    }
  });

  it('is what buildOpenApi makes from the route table (served == generated)', () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApi(ROUTES, { version: API_VERSION }))));
  });

  it('documents every route of the router, and routes every documented operation', () => {
    const documented = operations(doc)
      .map((o) => `${o.method.toUpperCase()} ${o.path}`)
      .sort();
    const routed = router.routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(routed);
    // And the router really answers each documented operation (not 404/405).
    for (const { path, method } of operations(doc)) {
      const concrete = path.replace(/\{[^}]+\}/g, 'abc');
      expect(() => router.match(method.toUpperCase(), concrete)).not.toThrow();
    }
  });

  it('gives every operation a unique operationId, a summary, tags, responses and security', () => {
    const ids = new Set<string>();
    for (const { path, method, op } of operations(doc)) {
      const where = `${method} ${path}`;
      expect(typeof op.operationId, where).toBe('string');
      expect(ids.has(op.operationId as string), `${where} operationId unique`).toBe(false);
      ids.add(op.operationId as string);
      expect(op.summary, where).toBeTruthy();
      expect(Array.isArray(op.tags), where).toBe(true);
      expect(Array.isArray(op.security), where).toBe(true);
      const responses = op.responses as Record<string, Json>;
      expect(
        Object.keys(responses).some((s) => /^2\d\d$/.test(s)),
        `${where} has a 2xx`,
      ).toBe(true);
      expect(responses.default, `${where} default`).toBeDefined();
      for (const [status, r] of Object.entries(responses)) {
        expect(status === 'default' || /^[1-5]\d\d$/.test(status), `${where} ${status}`).toBe(true);
        expect(r.description, `${where} ${status} description`).toBeTruthy();
        for (const [media, content] of Object.entries((r.content as Record<string, Json>) ?? {})) {
          expect(media).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
          checkSchema(doc, content.schema, `${where} ${status} ${media}`);
        }
        if (/^[45]\d\d$/.test(status) && op.operationId !== 'health') {
          expect((r.content as Json)['application/problem+json']).toEqual({
            schema: { $ref: '#/components/schemas/Problem' },
          });
        }
      }
    }
  });

  it('declares every path template parameter as a required path parameter, and query parameters', () => {
    for (const { path, method, op } of operations(doc)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const params = ((op.parameters as Json[]) ?? []).filter((p) => p.in === 'path');
      expect(params.map((p) => p.name).sort(), `${method} ${path}`).toEqual(names.sort());
      for (const p of params) expect(p.required).toBe(true);
      for (const p of (op.parameters as Json[]) ?? []) {
        expect(['path', 'query']).toContain(p.in);
        checkSchema(doc, p.schema, `${method} ${path} ${p.name as string}`);
      }
    }
    const list = (doc.paths as Json)['/v1/offboardings'] as Json;
    const q = ((list.get as Json).parameters as Json[]).map((p) => p.name);
    expect(q.sort()).toEqual(['cursor', 'email', 'from', 'limit', 'order', 'status', 'to']);
    const audit = ((doc.paths as Json)['/v1/audit'] as Json).get as Json;
    const format = (audit.parameters as Json[]).find((p) => p.name === 'format')!;
    expect((format.schema as Json).enum).toEqual(['jsonl', 'csv', 'ocsf']);
  });

  it('describes request bodies as the API accepts them: strict, with required fields', () => {
    const start = ((doc.paths as Json)['/v1/offboardings'] as Json).post as Json;
    const body = (((start.requestBody as Json).content as Json)['application/json'] as Json).schema as Json;
    expect(body.type).toBe('object');
    expect(body.additionalProperties).toBe(false);
    expect((body.required as string[]).sort()).toEqual(['email', 'reason']);
    expect(Object.keys(body.properties as Json).sort()).toEqual([
      'aliases',
      'dryRun',
      'effectiveAt',
      'email',
      'reason',
    ]);
    checkSchema(doc, body, 'startOffboarding body');
    const revoke = ((doc.paths as Json)['/v1/revocations'] as Json).post as Json;
    const rb = (((revoke.requestBody as Json).content as Json)['application/json'] as Json).schema as Json;
    const kind = (rb.properties as Json).kind as Json;
    expect((kind.enum as string[]).length).toBe(16);
    expect(((start.responses as Json)['202'] as Json).headers).toBeDefined();
    // Routes without a token: health and this document.
    const publicOps = operations(doc).filter((o) => (o.op.security as unknown[]).length === 0);
    expect(publicOps.map((o) => o.path).sort()).toEqual(['/v1/health', '/v1/openapi.json']);
  });

  it('describes the problem answers: every code of the taxonomy, each field, and the input rules of bodies', () => {
    const problem = ((doc.components as Json).schemas as Json).Problem as Json;
    const props = problem.properties as Record<string, Json>;
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
    expect(props.code!.enum).toEqual(Object.keys(ERROR_TABLE));
    for (const name of ['type', 'title', 'status', 'detail', 'code', 'instance', 'errors']) {
      expect(props[name]!.description, name).toBeTruthy();
    }
    const start = ((doc.paths as Json)['/v1/offboardings'] as Json).post as Json;
    const body = (((start.requestBody as Json).content as Json)['application/json'] as Json).schema as Json;
    const fields = body.properties as Record<string, Json>;
    // The shared rules, as the document shows them: one email pattern, a date shape, single-line text.
    const email = new RegExp(fields.email!.pattern as string);
    expect(email.test('=1+2@example.com')).toBe(true);
    expect(email.test('a..b@example.com')).toBe(false);
    expect(new RegExp(fields.effectiveAt!.pattern as string).test('2026-12-01T09:00:00+01:00')).toBe(true);
    const reason = new RegExp(fields.reason!.pattern as string, 'u');
    expect(reason.test('Left: Zoë')).toBe(true);
    expect(reason.test('left\u001b[2J')).toBe(false);
    const responses = start.responses as Record<string, Json>;
    expect(responses['400']!.description).toMatch(/errors/);
  });

  it('passes the official OpenAPI 3.1 JSON schema (and its $refs resolve)', async () => {
    const validator = new Validator();
    const verdict = await validator.validate(structuredClone(doc));
    expect(verdict.errors ?? [], JSON.stringify(verdict.errors, null, 2)).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes what the API really answers: live bodies validate against the document', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc, 'openapi');
    const pointer = (...parts: string[]) =>
      parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    /** Validates an answer against the schema the document gives its status (or `default`). */
    const conforms = (method: string, template: string, res: { status: number; body: unknown }) => {
      const op = ((doc.paths as Json)[template] as Json)[method] as Json;
      const responses = op.responses as Json;
      const status = String(res.status) in responses ? String(res.status) : 'default';
      const content = ((responses[status] as Json).content ?? {}) as Json;
      const media = Object.keys(content)[0]!;
      const ref = `openapi#/${pointer('paths', template, method, 'responses', status, 'content', media, 'schema')}`;
      const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
      const ok = validate(res.body);
      expect(ok, `${method} ${template} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      return status;
    };
    const health = await call('GET', '/v1/health', { token: null });
    expect(conforms('get', '/v1/health', health)).toBe('200');
    const plan = await call('POST', '/v1/preview', { body: { email: 'sam.stays@example.com' } });
    expect(conforms('post', '/v1/preview', plan)).toBe('200');
    const created = await call('POST', '/v1/offboardings', {
      body: { email: 'doc.check@example.com', reason: 'OpenAPI check', effectiveAt: '2099-01-01' },
    });
    expect(conforms('post', '/v1/offboardings', created)).toBe('202');
    const id = (created.body as { id: string }).id;
    expect(conforms('get', '/v1/offboardings/{id}', await call('GET', `/v1/offboardings/${id}`))).toBe('200');
    const list = await call('GET', '/v1/offboardings?status=scheduled&limit=2');
    expect(conforms('get', '/v1/offboardings', list)).toBe('200');
    const audit = await call('GET', `/v1/offboardings/${id}/audit`);
    expect(conforms('get', '/v1/offboardings/{id}/audit', audit)).toBe('200');
    const cancelled = await call('POST', `/v1/offboardings/${id}/cancel`, { body: { reason: 'check' } });
    expect(conforms('post', '/v1/offboardings/{id}/cancel', cancelled)).toBe('200');
    const kill = await call('GET', '/v1/kill-switch');
    expect(conforms('get', '/v1/kill-switch', kill)).toBe('200');
    // Problems: unknown id, bad input, no credentials, a conflict.
    const missing = await call('GET', '/v1/offboardings/off_00000000000000000000000000');
    expect(conforms('get', '/v1/offboardings/{id}', missing)).toBe('404');
    const bad = await call('POST', '/v1/preview', { body: { email: 'not-an-email' } });
    expect(conforms('post', '/v1/preview', bad)).toBe('400');
    const anonymous = await call('GET', '/v1/kill-switch', { token: null });
    expect(conforms('get', '/v1/kill-switch', anonymous)).toBe('401');
    const again = await call('POST', `/v1/offboardings/${id}/cancel`, { body: { reason: 'again' } });
    expect(conforms('post', '/v1/offboardings/{id}/cancel', again)).toBe('409');
  });

  it('documents 401 on every authenticated route and 415 on every route with a body', () => {
    for (const { path, method, op } of operations(doc)) {
      const responses = op.responses as Json;
      if ((op.security as unknown[]).length > 0) expect(responses['401'], `${method} ${path}`).toBeDefined();
      if (op.requestBody) expect(responses['415'], `${method} ${path}`).toBeDefined();
    }
  });
});
