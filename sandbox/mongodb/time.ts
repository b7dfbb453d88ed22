/** ISO-8601 UTC without milliseconds, as MongoDB prints it: `2021-02-18T21:05:40Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const DAY_MS = 24 * 60 * 60 * 1000;
/** MongoDB invitations must be accepted within 30 days. */
export const INVITATION_TTL_MS = 30 * DAY_MS;

export function parseTime(iso: string | undefined, fallback: number): number {
  if (iso === undefined) return fallback;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new TypeError(`not an ISO time: ${iso}`);
  return t;
}
