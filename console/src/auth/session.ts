/**
 * The signed-in credential: a bearer token (the local API token, or an OpenID Connect access
 * token) kept in this tab's sessionStorage only, never in a URL, a cookie or localStorage.
 */
const KEY = 'leaver.session';

export interface Session {
  token: string;
  /** Epoch ms after which the token is no longer good (OIDC access tokens); absent: until refused. */
  expiresAt?: number;
  /** Who is signed in, when the token says (OIDC). */
  user?: string;
}

export function readSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== 'string' || s.token === '') return undefined;
    if (s.expiresAt !== undefined && Date.now() >= s.expiresAt) {
      clearSession();
      return undefined;
    }
    return s;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
