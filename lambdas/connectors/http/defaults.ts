/**
 * Default client-side rate limits per vendor, used when a tenant sets no `rateLimit`.
 * - iTwin: 5,000 calls/min per OAuth client on every paid tier (rate-limits page); 75/s is 90 % of
 *   that, burst 100 keeps a discovery fan-out smooth. (A Trial tier client, 500/min, must set
 *   `rateLimit: { perSecond: 7, burst: 20 }`.)
 * - Atlas: token buckets per endpoint set and scope, sizes not published; the documented example
 *   is capacity 10, refill 5 per 60 s. Each Atlas endpoint set gets its own client bucket of
 *   burst 10 and 1/s: bursts fit the smallest documented capacity, and a 429 halves the rate.
 * - Cloud Manager: no published numbers; 10/s, burst 20, configurable per tenant.
 */
import type { VendorId } from '../../core/model.ts';
import type { RateSpec } from './limiter.ts';

export const DEFAULT_RATE_LIMITS: Record<VendorId, RateSpec> = {
  itwin: { perSecond: 75, burst: 100 },
  atlas: { perSecond: 1, burst: 10 },
  cloudmanager: { perSecond: 10, burst: 20 },
};
