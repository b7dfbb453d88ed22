/** The shared HTTP answers: problem+json per RFC 9457 for every error code, and JSON bodies. */
import { describe, expect, it } from 'vitest';
import { json, problem, text } from '../../lambdas/api/http-response.ts';
import { ProblemSchema } from '../../lambdas/api/schemas.ts';
import { ERROR_TABLE, type ErrorCode, LeaverError } from '../../lambdas/core/errors.ts';

describe('problem()', () => {
  it('maps every error code through ERROR_TABLE to its status, with a stable type and code', () => {
    for (const code of Object.keys(ERROR_TABLE) as ErrorCode[]) {
      const res = problem(new LeaverError(code, 'Something specific happened'), '/v1/x');
      expect(res.statusCode).toBe(ERROR_TABLE[code].status);
      expect(res.headers['content-type']).toBe('application/problem+json');
      const body = ProblemSchema.parse(JSON.parse(res.body));
      expect(body).toMatchObject({
        type: `https://leaver.dev/problems/${code}`,
        status: ERROR_TABLE[code].status,
        code,
        instance: '/v1/x',
      });
      expect(body.title).toBeTruthy();
      const hidden = code === 'internal' || code === 'config_invalid';
      expect(body.detail).toBe(hidden ? 'An internal error occurred.' : 'Something specific happened');
    }
  });

  it('turns an unknown error into a 500 that reveals nothing', () => {
    const res = problem(
      new TypeError('Cannot read properties of undefined (reading "secretKey") at /opt/x.js'),
    );
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body);
    expect(body).toEqual({
      type: 'https://leaver.dev/problems/internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An internal error occurred.',
      code: 'internal',
    });
    expect(problem('a string thrown').statusCode).toBe(500);
    expect(problem(undefined).statusCode).toBe(500);
  });

  it('passes field errors (only well-formed ones) and leaves out other details', () => {
    const err = new LeaverError('invalid_request', 'Invalid body', {
      details: {
        errors: [{ path: 'email', message: 'must be an email address' }, { bogus: true }],
        secret: 'x',
      },
    });
    const body = JSON.parse(problem(err).body);
    expect(body.errors).toEqual([{ path: 'email', message: 'must be an email address' }]);
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(body.instance).toBeUndefined();
  });

  it('adds WWW-Authenticate to 401 unauthorized, Retry-After to retryable 5xx, and extra headers', () => {
    expect(problem(new LeaverError('unauthorized', 'x')).headers['www-authenticate']).toBe('Bearer');
    expect(problem(new LeaverError('invalid_signature', 'x')).headers['www-authenticate']).toBeUndefined();
    const busy = problem(new LeaverError('vendor_rate_limited', 'slow down', { retryAfterSeconds: 2.2 }));
    expect(busy.headers['retry-after']).toBe('3');
    const allow = problem(new LeaverError('method_not_allowed', 'x'), undefined, { Allow: 'GET' });
    expect(allow.headers.allow).toBe('GET');
    expect(allow.headers['cache-control']).toBe('no-store');
  });
});

describe('json() and text()', () => {
  it('serialises JSON with its content type and lower-case headers', () => {
    const res = json(202, { id: 'x' }, { Location: '/v1/offboardings/x' });
    expect(res).toMatchObject({ statusCode: 202, body: '{"id":"x"}' });
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', location: '/v1/offboardings/x' });
  });

  it('answers an empty body without a content type', () => {
    const res = json(204, undefined);
    expect(res.body).toBe('');
    expect(res.headers['content-type']).toBeUndefined();
  });

  it('answers text with the given content type', () => {
    const res = text(200, 'a,b\r\n', 'text/csv; charset=utf-8', { 'X-Record-Count': '1' });
    expect(res.headers).toMatchObject({ 'content-type': 'text/csv; charset=utf-8', 'x-record-count': '1' });
  });
});
