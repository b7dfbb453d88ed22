/**
 * The iTwin error body `{ error: { code, message, target?, details? } }` (docs/vendors.md#itwin-errors) and the
 * codes/messages the emulator answers with.
 */
import type { SandboxResponse } from '../core/types.ts';

export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export function apiError(
  status: number,
  code: string,
  message: string,
  extra: { target?: string; details?: ErrorDetail[]; headers?: Record<string, string> } = {},
): SandboxResponse {
  const error: Record<string, unknown> = { code, message };
  if (extra.target !== undefined) error['target'] = extra.target;
  if (extra.details !== undefined) error['details'] = extra.details;
  return extra.headers ? { status, headers: extra.headers, body: { error } } : { status, body: { error } };
}

export const MESSAGES = {
  HeaderNotFound: 'Header Authorization was not found in the request. Access denied.',
  Unauthorized:
    'Access denied due to invalid access_token. Make sure to provide a valid token for this API endpoint.',
  InsufficientPermissions: 'The user has insufficient permissions for the requested operation.',
  ItwinNotFound: 'Requested iTwin is not available.',
  InvitationNotFound: 'Requested invitation is not available.',
  TeamMemberNotFound: 'Requested team member is not available.',
  GroupNotFound: 'Requested group is not available.',
  RoleNotFound: 'Requested role is not available.',
  OwnerAlreadyExists: 'Requested user is already an iTwin Owner.',
  InvalidRequest: 'Request body or query is invalid.',
  RateLimitExceeded:
    'The client sent more requests than allowed by this API for the current tier of the client.',
} as const;

export type NotFoundCode =
  | 'ItwinNotFound'
  | 'InvitationNotFound'
  | 'TeamMemberNotFound'
  | 'GroupNotFound'
  | 'RoleNotFound';

export const notFound = (code: NotFoundCode, target?: string): SandboxResponse =>
  apiError(404, code, MESSAGES[code], target === undefined ? {} : { target });

export const unauthorized = (): SandboxResponse => apiError(401, 'Unauthorized', MESSAGES.Unauthorized);
export const headerNotFound = (): SandboxResponse => apiError(401, 'HeaderNotFound', MESSAGES.HeaderNotFound);
export const forbidden = (): SandboxResponse =>
  apiError(403, 'InsufficientPermissions', MESSAGES.InsufficientPermissions);

/** The 422 family: InvalidiTwinsMemberRequest, InvalidiTwinsMemberInvitationsRequest, InvalidiTwinsGroupRequest. */
export type InvalidFamily =
  | 'InvalidiTwinsMemberRequest'
  | 'InvalidiTwinsMemberInvitationsRequest'
  | 'InvalidiTwinsGroupRequest'
  | 'InvalidiTwinsOwnerRequest'
  | 'InvalidiTwinsRequest';

export const invalid = (family: InvalidFamily, details: ErrorDetail[]): SandboxResponse =>
  apiError(422, family, MESSAGES.InvalidRequest, { details });
