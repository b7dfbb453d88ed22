import type { SandboxResponse } from '../core/types.ts';
import { apiErrorBody } from './api-error.ts';
import type { DigestResult, DigestVerifier } from './digest.ts';
import type { CredentialRec, MongoStore } from './store.ts';

/** 401 with a fresh Digest challenge (`stale=true` when the nonce had expired). */
export function unauthorized(digest: DigestVerifier, stale = false): SandboxResponse {
  return {
    status: 401,
    headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': digest.challenge(stale) },
    body: apiErrorBody(401, 'UNAUTHORIZED', 'You are not authorized for this resource.'),
  };
}

/** Verifies a Digest `Authorization` header against the store's API keys. */
export function verifyDigestKey(
  digest: DigestVerifier,
  store: MongoStore,
  method: string,
  requestUri: string,
  header: string,
): { cred: CredentialRec } | { fail: DigestResult & { ok: false } } {
  const r = digest.verify(method, requestUri, header, (u) => store.apiKeys.get(u)?.secret);
  if (!r.ok) return { fail: r };
  return { cred: store.apiKeys.get(r.username)! };
}
