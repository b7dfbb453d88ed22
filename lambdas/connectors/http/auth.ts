/** Auth plug-ins of the vendor HTTP layer (OAuth2 client credentials, HTTP Digest). */
import type { FetchResponse } from './types.ts';

export interface AuthRequestInfo {
  method: string;
  url: URL;
  /** The deadline of the calling operation (epoch ms); a token request must not outlive it. */
  deadline: number;
  /** Told about the auth plug-in's own vendor calls (token requests). */
  onCall?: (info: { route: string; status: number | 'network' | 'timeout'; durationMs: number }) => void;
}

export interface AuthPlugin {
  /**
   * The Authorization header value for this attempt, or undefined (Digest before its first
   * challenge). Throws LeaverError: `vendor_auth` when the credentials are refused (the client
   * then refreshes the secret once), a retryable vendor_* code for a token endpoint outage.
   */
  header(req: AuthRequestInfo): Promise<string | undefined>;
  /**
   * The vendor answered 401 to a request that carried `sent` (or nothing). `challenge`: a new or
   * stale-nonce Digest challenge, answer it at once (not an auth failure); `rejected`: the
   * credentials were refused. `call.challengedBefore`: this call already answered a challenge.
   */
  onUnauthorized(
    res: FetchResponse,
    sent: string | undefined,
    call?: { challengedBefore: boolean },
  ): 'challenge' | 'rejected';
  /**
   * Told that an attempt that carried `sent` (or nothing) is over, whatever its outcome; `status`
   * is the vendor's answer when there was one (absent after a timeout or a network fault).
   */
  done?(sent: string | undefined, status?: number): void;
  /** Forget cached tokens: the next `header` reads the secret again and asks for a new token. */
  reset(): void;
}
