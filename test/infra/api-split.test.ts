/**
 * The stack sends the API's vendor-calling routes to their own capped function (`apiVendor`) and
 * everything else under /v1 to `api`, which runs with LEAVER_API_VENDOR_CALLS=off: these tests pin
 * that `api` then refuses a vendor-calling route that reached it anyway (a trailing slash makes API
 * Gateway pick the proxy while the router would still match), so no vendor call escapes the share.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { refusedVendorRoute } from '../../lambdas/handlers/api.ts';
import { callsVendors, VENDOR_CALLING_ROUTES } from '../../lambdas/handlers/vendor-routes.ts';
import { apiGatewayEvent } from '../../local/api-gateway-event.ts';

function event(method: string, path: string): APIGatewayProxyEventV2 {
  return apiGatewayEvent({
    method,
    url: path,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    routeKey: 'ANY /v1/{proxy+}',
  });
}

const OFF = { LEAVER_API_VENDOR_CALLS: 'off' };

describe('the general API function refuses the vendor-calling routes (LEAVER_API_VENDOR_CALLS=off)', () => {
  it.each(VENDOR_CALLING_ROUTES.map((r) => [r.method, r.path] as const))(
    '%s %s, also with a trailing slash',
    async (method, path) => {
      for (const p of [path, `${path}/`]) {
        const r = await refusedVendorRoute(event(method, p), OFF);
        expect(r?.statusCode, p).toBe(404);
        expect(JSON.parse(r!.body)).toMatchObject({ code: 'not_found' });
        expect(JSON.parse(r!.body).detail).toContain(`use ${method} ${path}`);
      }
    },
  );

  it('serves every other route, and 404/405 stay the router answers', async () => {
    for (const [method, path] of [
      ['GET', '/v1/offboardings'],
      ['GET', '/v1/offboardings/01J000000000000000000000'],
      ['POST', '/v1/offboardings/01J000000000000000000000/cancel'],
      ['GET', '/v1/health'],
      ['GET', '/v1/openapi.json'],
      ['GET', '/v1/preview'], // 405 from the router
      ['GET', '/v1/nowhere'], // 404 from the router
    ] as const) {
      expect(await refusedVendorRoute(event(method, path), OFF), `${method} ${path}`).toBeUndefined();
    }
  });

  it('serves everything when unset (the local runtime, and the apiVendor function)', async () => {
    for (const r of VENDOR_CALLING_ROUTES)
      expect(await refusedVendorRoute(event(r.method, r.path), {})).toBeUndefined();
  });

  it('callsVendors names exactly the vendor-calling routes', () => {
    expect(callsVendors({ method: 'POST', path: '/v1/preview' })).toBe(true);
    expect(callsVendors({ method: 'POST', path: '/v1/offboardings/{id}/retry' })).toBe(false);
    expect(callsVendors({ method: 'GET', path: '/v1/offboardings' })).toBe(false);
  });
});
