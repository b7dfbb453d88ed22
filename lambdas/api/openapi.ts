/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas with zod's own
 * `z.toJSONSchema()` (JSON Schema 2020-12, which OpenAPI 3.1 uses), so it cannot drift from the code.
 * Requests are described as the API accepts them (`io: 'input'`), responses as it answers them.
 */
import * as z from 'zod';
import { ERROR_TABLE } from '../core/errors.ts';
import type { AnyRoute } from './request.ts';
import { ProblemSchema } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a zod schema. Schemas with a `.meta({ id })` become shared components: their
 * definitions are hoisted into `components.schemas` and every reference points there, since a
 * `#/$defs/...` reference inside an OpenAPI document would resolve against the document's root.
 */
function schemaOf(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'ref',
  }) as JsonSchema;
  delete json.$schema;
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  for (const [name, def] of Object.entries(defs)) {
    const hoisted = rewriteRefs(def) as JsonSchema;
    const existing = components[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(hoisted)) {
      throw new Error(`two different schemas share the component id ${name}`);
    }
    components[name] = hoisted;
  }
  return rewriteRefs(json) as JsonSchema;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] =
      k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
        ? `#/components/schemas/${v.slice('#/$defs/'.length)}`
        : rewriteRefs(v);
  }
  return out;
}

const TITLES: Record<number, string> = {
  400: 'Bad request (malformed JSON, unknown field, invalid value, invalid cursor); `errors` names each field',
  401: 'Missing or invalid credentials',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Content-Type is not application/json',
  423: 'Locked (kill switch or quarantine)',
  500: 'Internal error (reveals nothing)',
  502: 'Vendor error',
  503: 'Unavailable (retry later)',
  504: 'Timed out',
};

const problemContent = () => ({
  'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
});

export interface OpenApiInfo {
  version: string;
  serverUrl?: string;
}

/** Builds the document for a route table. */
export function buildOpenApi(routes: readonly AnyRoute[], info: OpenApiInfo): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, JsonSchema> = {};
  const problem = schemaOf(ProblemSchema, 'output', components);
  components.Problem ??= problem;
  for (const r of routes) {
    const parameters: unknown[] = [];
    if (r.params) {
      const js = schemaOf(r.params, 'input', components);
      const props = (js.properties ?? {}) as Record<string, JsonSchema>;
      for (const [name, schema] of Object.entries(props)) {
        parameters.push({ name, in: 'path', required: true, schema });
      }
    }
    if (r.query) {
      const js = schemaOf(r.query, 'input', components);
      const props = (js.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((js.required ?? []) as string[]);
      for (const [name, schema] of Object.entries(props)) {
        parameters.push({ name, in: 'query', required: required.has(name), schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const res: Record<string, unknown> = { description: spec.description };
      if (spec.content) {
        res.content = Object.fromEntries(
          Object.entries(spec.content).map(([media, schema]) => [
            media,
            { schema: schemaOf(schema, 'output', components) },
          ]),
        );
      }
      if (spec.headers) {
        res.headers = Object.fromEntries(
          Object.entries(spec.headers).map(([name, h]) => [
            name,
            { description: h.description, schema: { type: 'string' } },
          ]),
        );
      }
      responses[status] = res;
    }
    const errorStatuses = new Set<number>(r.errors);
    if (!r.public) errorStatuses.add(401);
    if (r.query || r.body) errorStatuses.add(400);
    if (r.body) errorStatuses.add(415).add(413);
    for (const s of [...errorStatuses].sort((a, b) => a - b)) {
      responses[String(s)] = { description: TITLES[s] ?? 'Error', content: problemContent() };
    }
    responses.default = { description: 'Error (application/problem+json)', content: problemContent() };

    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      responses,
    };
    if (r.description) op.description = r.description;
    if (parameters.length) op.parameters = parameters;
    if (r.body) {
      op.requestBody = {
        required: !r.bodyOptional,
        content: { 'application/json': { schema: schemaOf(r.body, 'input', components) } },
      };
    }
    op.security = r.public ? [] : [{ sigv4: [] }, { bearer: [] }];
    const item = paths[r.path] ?? {};
    item[r.method.toLowerCase()] = op;
    paths[r.path] = item;
  }

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Leaver management API',
      version: info.version,
      description:
        'Offboard people from iTwin, MongoDB Atlas and Cloud Manager, preview plans, run targeted ' +
        'revocations, flip the kill switch and export the audit trail. Every error answer (an unknown ' +
        'route and a wrong method included) is RFC 9457 problem details, `application/problem+json`; ' +
        `its \`code\` is one of: ${Object.keys(ERROR_TABLE).join(', ')}. Bad input is a 400 whose ` +
        '`errors` name each field and the rule it broke: emails are one address (dot-atom local part, ' +
        'host-name domain), dates are ISO-8601 dates or date-times with an offset that exist in the ' +
        'calendar, and free text is a single line without control characters.',
    },
    servers: [{ url: info.serverUrl ?? '/' }],
    tags: [
      { name: 'offboardings', description: 'Start, inspect, cancel, retry and release offboardings' },
      { name: 'revocations', description: 'Targeted revocations and the kill switch' },
      { name: 'audit', description: 'The audit trail and its exports' },
      { name: 'access', description: 'Who holds what: the access inventory' },
      { name: 'operations', description: "The work queue's dead-letter queue: inspect and redrive" },
      { name: 'stats', description: 'Counts by status and time-to-revoke over time' },
      { name: 'meta', description: 'Health and this document' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'AWS SigV4 (IAM) for service execute-api, or a JWT when the deployment uses a JWT authoriser.',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The local runtime: the token of secret leaver/api.',
        },
      },
    },
  };
}
