/**
 * Every error answer of the local runtime's HTTP server is application/problem+json (RFC 9457:
 * type, title, status, detail, and Leaver's stable code), whoever answers it: the server itself
 * (unknown route, a body over 1 MiB), the intake (unknown source, failed verification, a body over
 * 64 KiB, another method, malformed JSON) or the API router (unknown route, another method,
 * malformed JSON, wrong content type, missing credentials). Driven over real HTTP.
 */
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemSchema } from '../../lambdas/api/schemas.ts';
import type { ERROR_TABLE } from '../../lambdas/core/errors.ts';
import { MAX_LOCAL_BODY_BYTES } from '../../local/http-bridge.ts';
import type { LocalRuntime } from '../../local/main.ts';
import { startRuntime, TOKEN } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

async function send(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
) {
  return fetch(`${rt.url}${path}`, { method, headers: init.headers, body: init.body });
}

/** The answer is a problem of this status and code, and nothing else. */
async function expectProblem(res: Response, status: number, code: keyof typeof ERROR_TABLE) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = ProblemSchema.parse(await res.json());
  expect(body).toMatchObject({ type: `https://leaver.dev/problems/${code}`, status, code });
  expect(body.title).toBeTruthy();
  expect(body.detail).toBeTruthy();
  return body;
}

function signedStandard(text: string) {
  const secrets = JSON.parse(readFileSync('local/secrets.json', 'utf8')) as Record<
    string,
    { secret: string }
  >;
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const at = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secrets['leaver/hooks/standard']!.secret).sign(id, at, text),
  };
}

describe('answered by the local server itself', () => {
  it('an unknown route (any method) is a 404 problem', async () => {
    for (const [method, path] of [
      ['GET', '/nothing/here'],
      ['POST', '/hooks'],
      ['DELETE', '/'],
      ['GET', '/v2/offboardings'],
    ] as const) {
      await expectProblem(await send(method, path), 404, 'not_found');
    }
  });

  it('a body over 1 MiB is a 413 problem naming the limit, on every path', async () => {
    for (const path of ['/v1/offboardings', '/hooks/standard', '/anywhere']) {
      const body = await expectProblem(
        await send('POST', path, { body: 'x'.repeat(MAX_LOCAL_BODY_BYTES + 1) }),
        413,
        'payload_too_large',
      );
      expect(body.detail).toContain(String(MAX_LOCAL_BODY_BYTES));
    }
  });
});

describe('answered by the intake', () => {
  it('an unknown source: 404; a failed verification: 401 with one detail whatever failed', async () => {
    await expectProblem(await send('POST', '/hooks/workday', { body: '{}' }), 404, 'not_found');
    const text = JSON.stringify({ type: 'employee.terminated', data: { email: 'p@example.com' } });
    const unsigned = await expectProblem(
      await send('POST', '/hooks/standard', { body: text }),
      401,
      'invalid_signature',
    );
    const headers = signedStandard(text);
    headers['webhook-signature'] = 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    const wrong = await expectProblem(
      await send('POST', '/hooks/standard', { headers, body: text }),
      401,
      'invalid_signature',
    );
    expect(wrong).toEqual(unsigned);
  });

  it('a body over 64 KiB: 413; another method: 405 with Allow; malformed JSON (signed): 400', async () => {
    await expectProblem(
      await send('POST', '/hooks/standard', { body: 'x'.repeat(70 * 1024) }),
      413,
      'payload_too_large',
    );
    const put = await send('PUT', '/hooks/standard', { body: '{}' });
    expect(put.headers.get('allow')).toBe('POST');
    await expectProblem(put, 405, 'method_not_allowed');
    const text = '{"type": "employee.terminated", "data": {';
    const malformed = await expectProblem(
      await send('POST', '/hooks/standard', { headers: signedStandard(text), body: text }),
      400,
      'invalid_request',
    );
    expect(malformed.detail).toMatch(/not valid JSON/);
  });
});

describe('answered by the API router', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('an unknown route: 404; another method: 405 with Allow; no credentials: 401', async () => {
    await expectProblem(await send('GET', '/v1/nothing-here', { headers: auth }), 404, 'not_found');
    const wrong = await send('DELETE', '/v1/kill-switch', { headers: auth });
    expect(wrong.headers.get('allow')).toBe('PUT, GET');
    await expectProblem(wrong, 405, 'method_not_allowed');
    await expectProblem(await send('GET', '/v1/offboardings?status=scheduled'), 401, 'unauthorized');
  });

  it('malformed JSON: 400; another content type: 415', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    const bad = await expectProblem(
      await send('POST', '/v1/offboardings', { headers: json, body: '{"email":' }),
      400,
      'invalid_request',
    );
    expect(bad.errors).toEqual([{ path: '', message: 'malformed JSON' }]);
    await expectProblem(
      await send('POST', '/v1/offboardings', {
        headers: { ...auth, 'content-type': 'text/plain' },
        body: '{"email":"a@example.com","reason":"x"}',
      }),
      415,
      'unsupported_media_type',
    );
  });
});
