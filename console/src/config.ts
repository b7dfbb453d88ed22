/**
 * How this console is deployed, read from `console-config.json` beside index.html: the local
 * runtime answers `{ "auth": "token" }`; the AWS stack writes the API URL and the OpenID Connect
 * settings.
 */
export type ConsoleConfig =
  | { auth: 'token'; apiUrl: string }
  | { auth: 'oidc'; apiUrl: string; issuer: string; clientId: string; scopes: string[] };

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('./console-config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`console-config.json: HTTP ${res.status}`);
  const raw = (await res.json()) as Record<string, unknown>;
  const apiUrl = typeof raw.apiUrl === 'string' ? raw.apiUrl.replace(/\/+$/, '') : '';
  if (raw.auth === 'oidc') {
    if (typeof raw.issuer !== 'string' || typeof raw.clientId !== 'string') {
      throw new Error('console-config.json: oidc needs issuer and clientId');
    }
    const scopes = Array.isArray(raw.scopes)
      ? raw.scopes.filter((s): s is string => typeof s === 'string')
      : [];
    return { auth: 'oidc', apiUrl, issuer: raw.issuer, clientId: raw.clientId, scopes };
  }
  return { auth: 'token', apiUrl };
}
