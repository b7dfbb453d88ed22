/**
 * OpenID Connect sign-in for the AWS deployment: authorization code with PKCE (S256), a public
 * client (no secret in the browser). The access token goes to the API, whose JWT authoriser checks
 * its signature, issuer, audience and expiry; the console only reads the ID token's name claims
 * for display, after checking its nonce. The code never stays in the address bar.
 */
import type { Session } from './session.ts';

const PENDING = 'leaver.oidc.pending';

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function redirectUri(): string {
  return `${location.origin}${location.pathname}`;
}

async function metadata(issuer: string): Promise<Metadata> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`The identity provider's discovery document answered HTTP ${res.status}`);
  const m = (await res.json()) as Metadata;
  // The discovery document must describe the configured issuer (no mix-up with another provider).
  if (m.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
    throw new Error('The identity provider names another issuer than the one configured');
  }
  return m;
}

export async function beginSignIn(cfg: OidcSettings): Promise<void> {
  const m = await metadata(cfg.issuer);
  const verifier = randomString(32);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  const pending: Pending = {
    state: randomString(16),
    nonce: randomString(16),
    verifier,
    returnTo: location.hash,
  };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(m.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: redirectUri(),
    scope: cfg.scopes.join(' '),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

function claimsOf(jwt: string | undefined): Record<string, unknown> {
  const part = jwt?.split('.')[1];
  if (!part) return {};
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Finishes a sign-in when the address holds the provider's answer; undefined when it does not. */
export async function completeSignIn(cfg: OidcSettings): Promise<Session | undefined> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const pending = raw ? (JSON.parse(raw) as Pending) : undefined;
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  const error = params.get('error');
  if (error)
    throw new Error(`The identity provider refused the sign-in: ${params.get('error_description') ?? error}`);
  if (!pending || params.get('state') !== pending.state) {
    throw new Error('The sign-in answer does not belong to this tab; sign in again');
  }
  const m = await metadata(cfg.issuer);
  const iss = params.get('iss');
  if (iss !== null && iss !== m.issuer) throw new Error('The sign-in answer came from another issuer');
  const res = await fetch(m.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: cfg.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    id_token?: string;
    expires_in?: number;
    error?: string;
  };
  if (!res.ok || !body.access_token) {
    throw new Error(`The identity provider did not issue a token (${body.error ?? `HTTP ${res.status}`})`);
  }
  const id = claimsOf(body.id_token);
  if (body.id_token && id.nonce !== pending.nonce)
    throw new Error('The ID token does not match this sign-in');
  const user = [id.email, id.preferred_username, id.name, id.sub].find((v) => typeof v === 'string') as
    | string
    | undefined;
  const lifetime = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 3_600_000;
  return {
    token: body.access_token,
    expiresAt: Date.now() + Math.max(0, lifetime - 30_000),
    ...(user ? { user } : {}),
  };
}
