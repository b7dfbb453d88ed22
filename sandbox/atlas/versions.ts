import { MongoApiError } from '../mongodb/api-error.ts';

/** Version dates the Atlas Admin API v2 knows (atlas-sdk-go `openapi/versions.json`). */
export const KNOWN_VERSIONS = [
  '2023-01-01',
  '2023-02-01',
  '2023-10-01',
  '2023-11-15',
  '2024-05-30',
  '2024-08-05',
  '2024-10-23',
  '2024-11-13',
  '2025-02-19',
  '2025-03-12',
] as const;

const KNOWN = new Set<string>(KNOWN_VERSIONS);
const ACCEPT_RE = /application\/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json/i;

export function mediaType(version: string): string {
  return `application/vnd.atlas.${version}+json`;
}

/**
 * Picks the resource version for a request. The `Accept` header must name a known version date
 * (`application/vnd.atlas.YYYY-MM-DD+json`); otherwise 406 `INVALID_VERSION_DATE`. Versions are per
 * resource: the request gets the newest version of the endpoint released on or before the
 * requested date (the vendor's own curl samples send 2025-03-12 to the 2023-01-01-only invitation
 * endpoints). A date older than the endpoint's first version is also 406.
 */
export function negotiateVersion(accept: string | undefined, supported: readonly string[]): string {
  const m = accept ? ACCEPT_RE.exec(accept) : null;
  const requested = m?.[1];
  if (!requested || !KNOWN.has(requested)) throw invalidVersion();
  let best: string | undefined;
  for (const v of supported) if (v <= requested && (!best || v > best)) best = v;
  if (!best) throw invalidVersion();
  return best;
}

function invalidVersion(): MongoApiError {
  return new MongoApiError(406, 'INVALID_VERSION_DATE', 'Invalid accept header or version date.');
}
