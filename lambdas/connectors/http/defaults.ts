/**
 * Default client-side rate limits per vendor, used when a tenant sets no `rateLimit`.
 * - iTwin: 5,000 calls/min per OAuth client on every paid tier (rate-limits page); 75/s is 90 % of
 *   that, burst 100 keeps a discovery fan-out smooth. (A Trial tier client, 500/min, must set
 *   `rateLimit: { perSecond: 7, burst: 20 }`.)
 * - Atlas (docs/vendors.md#atlas-rate-limits): token buckets per endpoint set and scope; the only published figures
 *   are the vendor's own 429 example, "Request capacity: 10. Refill rate: 5 per 60 seconds". Each
 *   of the connector's Atlas buckets (one per endpoint set and org/project path) therefore holds 10
 *   and refills 5 a minute: a healthy run stays inside the documented bucket and rarely sees a 429
 *   (a larger tenant bucket can be configured with `rateLimit`). The vendor's `RateLimit-Remaining`
 *   and `Retry-After` then correct the client bucket (limiter.ts).
 * - Cloud Manager: no published numbers; 10/s, burst 20, configurable per tenant.
 */
import type { VendorId } from '../../core/model.ts';
import type { RateSpec } from './limiter.ts';

export const DEFAULT_RATE_LIMITS: Record<VendorId, RateSpec> = {
  itwin: { perSecond: 75, burst: 100 },
  atlas: { perSecond: 5 / 60, burst: 10 },
  cloudmanager: { perSecond: 10, burst: 20 },
};
