/** The one API Gateway v2 event builder (local runtime, tests and benchmarks) and the stack's routes. */
import { describe, expect, it } from 'vitest';
import { apiGatewayEvent, apiGatewayRoute } from '../../../local/api-gateway-event.ts';

describe('apiGatewayEvent', () => {
  it('lower-cases headers, joins repeated ones, splits cookies out, and parses the query', () => {
    const e = apiGatewayEvent({
      method: 'get',
      url: '/v1/offboardings?status=failed&status=quarantined',
      headers: { 'X-Trace': ['a', 'b'], Cookie: 'k=1; m=2', Host: 'example.test' },
    });
    expect(e.headers).toEqual({ 'x-trace': 'a,b', host: 'example.test' });
    expect(e.cookies).toEqual(['k=1', 'm=2']);
    expect(e.rawPath).toBe('/v1/offboardings');
    expect(e.rawQueryString).toBe('status=failed&status=quarantined');
    expect(e.queryStringParameters).toEqual({ status: 'failed,quarantined' });
    expect(e.requestContext.http.method).toBe('GET');
    expect(e.requestContext.domainName).toBe('example.test');
    expect(e.routeKey).toBe('$default');
    expect(e.body).toBeUndefined();
  });

  it('sends a UTF-8 Buffer as text, other bytes as base64, an empty Buffer as no body, a string as is', () => {
    expect(apiGatewayEvent({ method: 'POST', url: '/', body: Buffer.from('{"x":1}') })).toMatchObject({
      body: '{"x":1}',
      isBase64Encoded: false,
    });
    const bytes = Buffer.from([0xff, 0xfe, 0x00]);
    const binary = apiGatewayEvent({ method: 'POST', url: '/', body: bytes });
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body!, 'base64').equals(bytes)).toBe(true);
    expect(apiGatewayEvent({ method: 'POST', url: '/', body: Buffer.alloc(0) }).body).toBeUndefined();
    expect(apiGatewayEvent({ method: 'POST', url: '/', body: '' }).body).toBe('');
    expect(apiGatewayEvent({ method: 'POST', url: '/', body: 'QQ==', isBase64Encoded: true })).toMatchObject({
      body: 'QQ==',
      isBase64Encoded: true,
    });
  });

  it('carries the route, path parameters and authoriser it is given', () => {
    const authorizer = { iam: { userArn: 'arn:aws:iam::123456789012:user/jordan' } };
    const e = apiGatewayEvent({
      method: 'POST',
      url: '/hooks/okta',
      routeKey: 'POST /hooks/{source}',
      pathParameters: { source: 'okta' },
      authorizer,
    });
    expect(e.routeKey).toBe('POST /hooks/{source}');
    expect(e.requestContext.routeKey).toBe('POST /hooks/{source}');
    expect(e.pathParameters).toEqual({ source: 'okta' });
    expect((e.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual(authorizer);
  });
});

describe('apiGatewayRoute', () => {
  it('maps the hooks and the /v1 proxy as the stack declares them, and nothing else', () => {
    expect(apiGatewayRoute('post', '/hooks/hi%20bob')).toEqual({
      kind: 'intake',
      routeKey: 'POST /hooks/{source}',
      pathParameters: { source: 'hi bob' },
    });
    expect(apiGatewayRoute('POST', '/hooks/%zz')?.pathParameters).toEqual({ source: '%zz' });
    expect(apiGatewayRoute('GET', '/v1/offboardings/abc')).toEqual({
      kind: 'api',
      routeKey: 'ANY /v1/{proxy+}',
      pathParameters: { proxy: 'offboardings/abc' },
    });
    expect(apiGatewayRoute('GET', '/v1')?.kind).toBe('api');
    expect(apiGatewayRoute('GET', '/v10/x')).toBeUndefined();
    expect(apiGatewayRoute('GET', '/hooks/a/b')).toBeUndefined();
  });
});
