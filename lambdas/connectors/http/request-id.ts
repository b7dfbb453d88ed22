/** The vendor's request id, for the audit (whichever header the vendor sends). */

const HEADERS = ['x-request-id', 'request-id', 'x-correlation-id', 'x-ms-request-id', 'x-amzn-requestid'];

export function vendorRequestIdOf(headers: { get(name: string): string | null }): string | undefined {
  for (const name of HEADERS) {
    const value = headers.get(name);
    if (value && /^[A-Za-z0-9._:/+=-]{1,128}$/.test(value.trim())) return value.trim();
  }
  return undefined;
}
