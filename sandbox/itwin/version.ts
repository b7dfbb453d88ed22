/**
 * API version by the Accept header (docs/vendors.md#itwin-requests). Missing, `*\/*`,
 * `application/json` or a list containing the supported version -> served. A Bentley vendor media
 * type of another version (e.g. `application/vnd.bentley.itwin-platform.v1+json` on Access Control
 * v2) or another `application/vnd.*` type -> 406 with the error body [I: the real answer is
 * undocumented].
 */
import type { SandboxResponse } from '../core/types.ts';
import { apiError } from './errors.ts';

const VENDOR = /^application\/vnd\.bentley\.itwin-platform\.v(\d+)\+json$/;

export function checkVersion(
  accept: string | undefined,
  supported: readonly number[],
): SandboxResponse | null {
  if (accept === undefined || accept.trim() === '') return null;
  let vendorTypes = 0;
  for (const part of accept.split(',')) {
    const type = part.split(';')[0]!.trim().toLowerCase();
    const m = VENDOR.exec(type);
    if (m) {
      if (supported.includes(Number(m[1]))) return null;
      vendorTypes++;
    } else if (type.startsWith('application/vnd.')) vendorTypes++;
    else if (type === '*/*' || type === 'application/*' || type === 'application/json') {
      // generic types pick the default (latest) version
    }
  }
  if (vendorTypes === 0) return null;
  const want = supported.map((v) => `application/vnd.bentley.itwin-platform.v${v}+json`).join(' or ');
  return apiError(406, 'NotAcceptable', `The requested API version is not supported. Use Accept: ${want}.`, {
    target: 'Accept',
  });
}
