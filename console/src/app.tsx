/**
 * The console: signs in (local token or OpenID Connect), then shows the page the address names.
 * The kill switch's state is read for every page.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, configureApi } from './api.ts';
import { completeSignIn } from './auth/oidc.ts';
import { clearSession, readSession, type Session, saveSession } from './auth/session.ts';
import { ErrorNote } from './components/common.tsx';
import { KillSwitchContext, Layout } from './components/layout.tsx';
import type { ConsoleConfig } from './config.ts';
import { detectFeatures, type Features } from './features.ts';
import { Access } from './pages/access.tsx';
import { OffboardingPage } from './pages/offboarding.tsx';
import { Offboardings } from './pages/offboardings.tsx';
import { Safety } from './pages/safety.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { Start } from './pages/start.tsx';
import { TimeToRevoke } from './pages/time-to-revoke.tsx';
import { usePoll } from './poll.ts';
import { type Route, useRoute } from './router.ts';
import type { KillSwitch } from './types.ts';

export const KILL_SWITCH_REFRESH_MS = 5000;

function Pages({ route, features }: { route: Route; features: Features }) {
  switch (route.page) {
    case 'offboarding':
      return <OffboardingPage key={route.id} id={route.id!} features={features} />;
    case 'start':
      return <Start />;
    case 'safety':
      return <Safety />;
    case 'time-to-revoke':
      return <TimeToRevoke route={route} />;
    case 'access':
      return features.accessPath ? (
        <Access route={route} path={features.accessPath} />
      ) : (
        <p>This deployment has no access inventory.</p>
      );
    default:
      return <Offboardings route={route} />;
  }
}

function SignedIn(p: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const [features, setFeatures] = useState<Features>({});
  useEffect(() => {
    void detectFeatures().then(setFeatures);
  }, []);
  const ks = usePoll(() => api<KillSwitch>('GET', '/v1/kill-switch'), KILL_SWITCH_REFRESH_MS, []);
  useEffect(() => {
    const title = {
      offboardings: 'Offboardings',
      offboarding: 'Offboarding',
      start: 'Start',
      safety: 'Safety',
      'time-to-revoke': 'Time to revoke',
      access: 'Access',
    }[route.page];
    document.title = `${title} · Leaver`;
  }, [route.page]);
  return (
    <KillSwitchContext.Provider value={ks}>
      <Layout page={route.page} features={features} user={p.session.user} onSignOut={p.onSignOut}>
        <Pages key={`${route.page}`} route={route} features={features} />
      </Layout>
    </KillSwitchContext.Provider>
  );
}

export function App({ config }: { config: ConsoleConfig }) {
  const [session, setSession] = useState<Session | undefined>(() => readSession());
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(config.auth === 'oidc');

  useEffect(() => {
    configureApi({
      apiUrl: config.apiUrl,
      onSignedOut: (why) => {
        setNotice(why);
        setSession(undefined);
      },
    });
    if (config.auth !== 'oidc') return;
    completeSignIn(config)
      .then((s) => {
        if (s) {
          saveSession(s);
          setSession(s);
        }
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => setChecking(false));
  }, [config]);

  if (checking) return <p>Signing in…</p>;
  if (!session) {
    return (
      <>
        <SignIn
          config={config}
          notice={notice}
          onSignedIn={(s) => {
            saveSession(s);
            setNotice(undefined);
            setSession(s);
          }}
        />
        <ErrorNote error={error} />
      </>
    );
  }
  return (
    <SignedIn
      session={session}
      onSignOut={() => {
        clearSession();
        setNotice('You are signed out.');
        setSession(undefined);
      }}
    />
  );
}
