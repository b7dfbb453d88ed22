/**
 * The management API routes that call vendors inside the request: a dry-run plan
 * (`POST /v1/offboardings` with `dryRun: true`), a preview and a targeted revocation. In AWS the
 * stack sends exactly these to their own function, `apiVendor`, with a reserved concurrency (and,
 * like every vendor caller, it takes from the shared rate budget of each vendor limit); every other /v1
 * route goes to the `api` function, which has no tenant credentials and refuses these routes
 * (LEAVER_API_VENDOR_CALLS=off), so no path variant reaches a vendor outside the share.
 *
 * No imports: infra/leaver-construct.ts reads it at synth time.
 */
export const VENDOR_CALLING_ROUTES = [
  { method: 'POST', path: '/v1/offboardings' },
  { method: 'POST', path: '/v1/preview' },
  { method: 'POST', path: '/v1/revocations' },
] as const;

/** The /v1 routes that need no credentials (the router's `public: true` routes). */
export const PUBLIC_API_ROUTES = [
  { method: 'GET', path: '/v1/health' },
  { method: 'GET', path: '/v1/openapi.json' },
] as const;

/** Is this route (method and path template of the router's table) one that calls vendors? */
export function callsVendors(route: { method: string; path: string }): boolean {
  return VENDOR_CALLING_ROUTES.some((r) => r.method === route.method && r.path === route.path);
}
