/**
 * Every bad input is a clear 4xx problem+json with a stable code, and changes nothing: unknown id,
 * bad email, bad dates, unknown vendor / tenant, malformed grant ids, unknown fields, malformed JSON,
 * wrong content type, missing or wrong auth, unknown route, wrong method, oversized body.
 * An unexpected failure is a 500 that reveals nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleApiEvent } from '../../lambdas/api/app.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { CM_ORG, call, callWith, DANA, event, ITWIN_1, startRuntime } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

async function count(email: string): Promise<number> {
  return (await rt.deps.store.query({ email })).items.length;
}

function expectProblem(
  res: {
    status: number;
    body: { code: string; type: string; title: string; detail: string; instance?: string };
  },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.body.code).toBe(code);
  expect(res.body.type).toBe(`https://leaver.dev/problems/${code}`);
  expect(res.body.title).toBeTruthy();
  expect(res.body.detail).toBeTruthy();
}

describe('ids and routes', () => {
  it('unknown offboarding id: 404', async () => {
    const res = await call('GET', '/v1/offboardings/off_00000000000000000000000000');
    expectProblem(res, 404, 'not_found');
    expect(res.body.instance).toBe('/v1/offboardings/off_00000000000000000000000000');
    expectProblem(await call('GET', '/v1/offboardings/off_nope/audit'), 404, 'not_found');
    expectProblem(await call('GET', '/v1/offboardings/revocation-nope/audit'), 404, 'not_found');
  });

  it('an id that cannot exist (bad characters): 404', async () => {
    expectProblem(await call('GET', '/v1/offboardings/a%20b'), 404, 'not_found');
  });

  it('unknown route: 404; wrong method: 405 with Allow', async () => {
    expectProblem(await call('GET', '/v1/nothing-here'), 404, 'not_found');
    expectProblem(await call('GET', '/v1'), 404, 'not_found');
    const res = await call('DELETE', '/v1/offboardings');
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('POST, GET');
    const put = await call('PUT', '/v1/health');
    expectProblem(put, 405, 'method_not_allowed');
    expect(put.headers.allow).toBe('GET');
  });
});

describe('authentication (local bearer token)', () => {
  it('missing token: 401 with WWW-Authenticate', async () => {
    const res = await call('GET', '/v1/offboardings?email=x%40example.com', { token: null });
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('wrong token, wrong scheme, token of another length: 401 and nothing created', async () => {
    const body = { email: 'auth@example.com', reason: 'x' };
    expectProblem(
      await call('POST', '/v1/offboardings', { body, token: 'leaver-local-demo-tokeN' }),
      401,
      'unauthorized',
    );
    expectProblem(await call('POST', '/v1/offboardings', { body, token: 'short' }), 401, 'unauthorized');
    const basic = await call('POST', '/v1/offboardings', {
      body,
      token: null,
      headers: { authorization: 'Basic bGVhdmVyOmxlYXZlcg==' },
    });
    expectProblem(basic, 401, 'unauthorized');
    expect(await count('auth@example.com')).toBe(0);
  });

  it('health and the OpenAPI document need no token', async () => {
    expect((await call('GET', '/v1/health', { token: null })).status).toBe(200);
    expect((await call('GET', '/v1/openapi.json', { token: null })).status).toBe(200);
  });

  it('checks auth before validating input (an unauthenticated caller learns nothing about fields)', async () => {
    const res = await call('POST', '/v1/offboardings', { rawBody: '{nope', token: null });
    expectProblem(res, 401, 'unauthorized');
  });
});

describe('bodies', () => {
  it('bad email: 400 naming the field', async () => {
    for (const email of ['not-an-email', 'a@b', '', 'dana@@example.com', 42]) {
      const res = await call('POST', '/v1/offboardings', { body: { email, reason: 'x' } });
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.errors[0].path).toBe('email');
    }
    const alias = await call('POST', '/v1/offboardings', {
      body: { email: DANA, aliases: ['nope'], reason: 'x' },
    });
    expectProblem(alias, 400, 'invalid_request');
    expect(alias.body.errors[0].path).toBe('aliases.0');
    expectProblem(await call('POST', '/v1/preview', { body: { email: 'nope' } }), 400, 'invalid_request');
  });

  it('missing reason or empty reason: 400', async () => {
    const res = await call('POST', '/v1/offboardings', { body: { email: 'reasonless@example.com' } });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors[0].path).toBe('reason');
    expectProblem(
      await call('POST', '/v1/offboardings', { body: { email: 'reasonless@example.com', reason: '   ' } }),
      400,
      'invalid_request',
    );
    expect(await count('reasonless@example.com')).toBe(0);
  });

  it('bad effectiveAt (unparsable, no time zone, impossible date): 400', async () => {
    for (const effectiveAt of [
      'tomorrow',
      '2026-13-01T00:00:00Z',
      '2026-02-30',
      '2026-01-01T10:00:00',
      1700000000,
    ]) {
      const res = await call('POST', '/v1/offboardings', {
        body: { email: 'dates@example.com', reason: 'x', effectiveAt },
      });
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.errors[0].path).toBe('effectiveAt');
    }
    expect(await count('dates@example.com')).toBe(0);
  });

  it('unknown fields: 400 naming them', async () => {
    const res = await call('POST', '/v1/offboardings', {
      body: { email: 'unknown@example.com', reason: 'x', dryrun: true },
    });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors[0].message).toContain('dryrun');
    expectProblem(
      await call('PUT', '/v1/kill-switch', { body: { enabled: true, reason: 'x', force: true } }),
      400,
      'invalid_request',
    );
    expect(await count('unknown@example.com')).toBe(0);
  });

  it('wrong types: 400', async () => {
    expectProblem(
      await call('PUT', '/v1/kill-switch', { body: { enabled: 'yes', reason: 'x' } }),
      400,
      'invalid_request',
    );
    expectProblem(
      await call('POST', '/v1/offboardings', {
        body: { email: 'types@example.com', reason: 'x', dryRun: 'true' },
      }),
      400,
      'invalid_request',
    );
    expectProblem(await call('POST', '/v1/offboardings', { body: [] }), 400, 'invalid_request');
  });

  it('malformed JSON: 400', async () => {
    const res = await call('POST', '/v1/offboardings', { rawBody: '{"email": "x@example.com",' });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.detail).toContain('not valid JSON');
  });

  it('missing body: 400', async () => {
    expectProblem(await call('POST', '/v1/offboardings'), 400, 'invalid_request');
    expectProblem(await call('PUT', '/v1/kill-switch', { rawBody: '' }), 400, 'invalid_request');
  });

  it('wrong or missing content type: 415', async () => {
    const body = JSON.stringify({ email: 'ct@example.com', reason: 'x' });
    expectProblem(
      await call('POST', '/v1/offboardings', { rawBody: body, contentType: 'text/plain' }),
      415,
      'unsupported_media_type',
    );
    expectProblem(
      await call('POST', '/v1/offboardings', {
        rawBody: body,
        contentType: 'application/x-www-form-urlencoded',
      }),
      415,
      'unsupported_media_type',
    );
    expectProblem(
      await call('POST', '/v1/offboardings', { rawBody: body, contentType: null }),
      415,
      'unsupported_media_type',
    );
    // A charset parameter is fine.
    const ok = await call('POST', '/v1/offboardings', {
      rawBody: JSON.stringify({ email: 'ct@example.com', reason: 'x', dryRun: true }),
      contentType: 'application/json; charset=utf-8',
    });
    expect(ok.status).toBe(200);
    expect(await count('ct@example.com')).toBe(0);
  });

  it('a body where none is taken: 400', async () => {
    const r = await call('POST', '/v1/offboardings', {
      body: { email: 'nobody@example.com', reason: 'x', effectiveAt: '2099-01-01' },
    });
    expectProblem(
      await call('POST', `/v1/offboardings/${r.body.id}/release`, { body: { reason: 'x' } }),
      400,
      'invalid_request',
    );
  });

  it('body over 64 KiB: 413', async () => {
    const res = await call('POST', '/v1/offboardings', {
      body: { email: 'big@example.com', reason: 'x'.repeat(70 * 1024) },
    });
    expectProblem(res, 413, 'payload_too_large');
  });
});

describe('queries', () => {
  it('bad dates: from after to, unparsable: 400', async () => {
    const swapped = await call('GET', '/v1/offboardings?email=x%40example.com&from=2026-02-01&to=2026-01-01');
    expectProblem(swapped, 400, 'invalid_request');
    expect(swapped.body.errors[0].path).toBe('query.from');
    const bad = await call('GET', '/v1/offboardings?email=x%40example.com&from=yesterday');
    expectProblem(bad, 400, 'invalid_request');
    expect(bad.body.errors[0].path).toBe('query.from');
    expectProblem(await call('GET', '/v1/audit?email=x%40example.com&to=31-12-2026'), 400, 'invalid_request');
    expectProblem(await call('GET', '/v1/audit?from=2026-02-01&to=2026-01-01'), 400, 'invalid_request');
  });

  it('bad email, status, limit, format; unknown and repeated parameters: 400', async () => {
    expectProblem(await call('GET', '/v1/offboardings?email=nope'), 400, 'invalid_request');
    expectProblem(await call('GET', '/v1/offboardings?status=done'), 400, 'invalid_request');
    expectProblem(await call('GET', '/v1/offboardings?limit=0'), 400, 'invalid_request');
    expectProblem(await call('GET', '/v1/offboardings?limit=ten'), 400, 'invalid_request');
    expectProblem(await call('GET', '/v1/audit?email=x%40example.com&format=xml'), 400, 'invalid_request');
    const unknown = await call('GET', '/v1/offboardings?mail=x%40example.com');
    expectProblem(unknown, 400, 'invalid_request');
    expect(unknown.body.errors[0].message).toContain('mail');
    expectProblem(
      await call('GET', '/v1/offboardings?status=running&status=scheduled'),
      400,
      'invalid_request',
    );
    expectProblem(await call('GET', '/v1/health?verbose=1', { token: null }), 400, 'invalid_request');
  });

  it('an audit export needs an email or a start', async () => {
    const res = await call('GET', '/v1/audit?format=csv');
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors[0].path).toBe('query.from');
  });
});

describe('targeted revocations', () => {
  const base = {
    vendor: 'cloudmanager',
    tenantId: 'cloudmanager-demo',
    kind: 'cloudmanager_org_invitation',
    ids: { orgId: CM_ORG, invitationId: '5f1a0000000000000000e001' },
    reason: 'targeted',
  };

  it('unknown vendor: 400', async () => {
    const res = await call('POST', '/v1/revocations', { body: { ...base, vendor: 'github' } });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors[0].path).toBe('vendor');
  });

  it('unknown tenant, or a tenant of another vendor: 400', async () => {
    const res = await call('POST', '/v1/revocations', { body: { ...base, tenantId: 'nope' } });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors[0].path).toBe('tenantId');
    expectProblem(
      await call('POST', '/v1/revocations', { body: { ...base, tenantId: 'atlas-demo' } }),
      400,
      'invalid_request',
    );
  });

  it('unknown kind or a kind of another vendor: 400', async () => {
    expectProblem(
      await call('POST', '/v1/revocations', { body: { ...base, kind: 'org_user' } }),
      400,
      'invalid_request',
    );
    const other = await call('POST', '/v1/revocations', { body: { ...base, kind: 'atlas_org_invitation' } });
    expectProblem(other, 400, 'invalid_request');
    expect(other.body.errors[0].path).toBe('kind');
  });

  it('malformed grant ids: 400 invalid_vendor_id before any vendor call', async () => {
    const before = rt.sandbox!.control.requests().length;
    const cases: Record<string, string>[] = [
      { orgId: 'not-hex', invitationId: '5f1a0000000000000000e001' },
      { orgId: CM_ORG },
      { orgId: CM_ORG, invitationId: '5F1A0000000000000000E001' },
      { orgId: CM_ORG, invitationId: '5f1a0000000000000000e001', extra: CM_ORG },
      { orgId: '../../admin', invitationId: '5f1a0000000000000000e001' },
    ];
    for (const ids of cases) {
      const res = await call('POST', '/v1/revocations', { body: { ...base, ids } });
      expectProblem(res, 400, 'invalid_vendor_id');
    }
    const itwin = await call('POST', '/v1/revocations', {
      body: {
        vendor: 'itwin',
        tenantId: 'itwin-demo',
        kind: 'itwin_user_member',
        ids: { itwinId: ITWIN_1, memberId: '5f1a0000000000000000e001' },
        reason: 'x',
      },
    });
    expectProblem(itwin, 400, 'invalid_vendor_id');
    expect(itwin.body.detail).toContain('memberId');
    expect(rt.sandbox!.control.requests().length).toBe(before);
  });

  it('bad email in a revocation: 400', async () => {
    expectProblem(
      await call('POST', '/v1/revocations', { body: { ...base, email: 'nope' } }),
      400,
      'invalid_request',
    );
  });
});

describe('unexpected failures', () => {
  it('a 500 reveals nothing internal and logs no email', async () => {
    const logged: unknown[] = [];
    const broken = {
      ...rt.deps,
      log: { ...rt.deps.log, error: (m: string, e?: Record<string, unknown>) => logged.push({ m, e }) },
      store: {
        ...rt.deps.store,
        get: async () => {
          throw new Error(
            'connect ECONNREFUSED 10.0.0.1:8000 table leaver-offboardings secret=abc dana.leaver@example.com',
          );
        },
      },
    };
    const res = await callWith(
      { deps: broken, auth: 'local', secrets: rt.deps.secrets },
      'GET',
      '/v1/offboardings/off_x',
    );
    expectProblem(res, 500, 'internal');
    expect(res.text).not.toMatch(/ECONNREFUSED|leaver-offboardings|secret|dana/);
    expect(res.body.detail).toBe('An internal error occurred.');
    expect(JSON.stringify(logged)).not.toContain('dana');
    expect(logged).toHaveLength(1);
  });

  it('a broken local token secret is a 503, never a pass', async () => {
    const secrets = { get: async <T>() => ({}) as T, invalidate: () => {} };
    const res = await callWith(
      { deps: rt.deps, auth: 'local', secrets },
      'GET',
      '/v1/offboardings?email=x%40example.com',
    );
    expectProblem(res, 503, 'secret_unavailable');
  });

  it('the handler decodes base64 bodies as API Gateway sends them', async () => {
    const ev = event('POST', '/v1/preview', {});
    ev.body = Buffer.from(JSON.stringify({ email: 'nobody-here@example.com' })).toString('base64');
    ev.isBase64Encoded = true;
    ev.headers['content-type'] = 'application/json';
    const res = await handleApiEvent(ev, { deps: rt.deps, auth: 'local', secrets: rt.deps.secrets });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).items).toEqual([]);
  });
});
