/**
 * The default transport: Node's global fetch. It is undici inside Node, with a keep-alive connection
 * pool per origin, so importing the undici package as well would only add ~0.5 MB to every Lambda
 * bundle (and to its cold start) for the same pooling. Concurrency per tenant is capped by the
 * limiter, not by the pool.
 */
import type { FetchLike } from './types.ts';

export const nodeFetchTransport: FetchLike = (url, init) =>
  fetch(url, init as RequestInit) as unknown as ReturnType<FetchLike>;
