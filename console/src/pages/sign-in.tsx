/**
 * Sign-in. Locally: one password field, "API token" (the token `npm start` prints); it is checked
 * against the API before it is kept in this tab's session storage. In AWS: the company's OpenID
 * Connect sign-in.
 */
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { beginSignIn } from '../auth/oidc.ts';
import type { Session } from '../auth/session.ts';
import { ErrorNote } from '../components/common.tsx';
import type { ConsoleConfig } from '../config.ts';

export function SignIn(p: { config: ConsoleConfig; notice?: string; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (p.config.auth === 'oidc') {
    const cfg = p.config;
    const go = async () => {
      setBusy(true);
      try {
        await beginSignIn(cfg);
      } catch (e) {
        setError((e as Error).message);
        setBusy(false);
      }
    };
    return (
      <main id="main" class="sign-in">
        <h1>Leaver console</h1>
        {p.notice && <p class="notice">{p.notice}</p>}
        <p>Sign in with your company account to see and steer offboardings.</p>
        <button type="button" class="primary" onClick={go} disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </main>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Enter the API token.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // Any authenticated route proves the token; this one is cheap and reads no personal data.
      await api('GET', '/v1/kill-switch', { token: value });
      p.onSignedIn({ token: value });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That API token was refused. Use the token `npm start` printed (secret "leaver/api" in local/secrets.json).'
          : (err as Error).message,
      );
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Leaver console</h1>
      {p.notice && <p class="notice">{p.notice}</p>}
      <form onSubmit={submit} noValidate>
        <p>
          <label for="token">API token</label>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            aria-describedby="token-help"
            aria-invalid={error ? true : undefined}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
        </p>
        <p id="token-help" class="help">
          The token is kept in this browser tab only, until you sign out or close the tab.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
