/**
 * The frame of every page: a skip link, the navigation, the kill switch's state (on every page, as
 * a link to the Safety page) and who is signed in.
 */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Features } from '../features.ts';
import type { Polled } from '../poll.ts';
import type { Page } from '../router.ts';
import type { KillSwitch } from '../types.ts';

export const KillSwitchContext = createContext<Polled<KillSwitch> | undefined>(undefined);

export function useKillSwitch(): Polled<KillSwitch> {
  const ks = useContext(KillSwitchContext);
  if (!ks) throw new Error('no kill switch context');
  return ks;
}

function KillSwitchState() {
  const ks = useKillSwitch();
  if (!ks.data) return <span class="ks ks-unknown">Kill switch: …</span>;
  return ks.data.enabled ? (
    <a href="#/safety" class="ks ks-on">
      Kill switch ON: revocations stopped
    </a>
  ) : (
    <a href="#/safety" class="ks ks-off">
      Kill switch off
    </a>
  );
}

const NAV: { page: Page; href: string; label: string; feature?: keyof Features }[] = [
  { page: 'offboardings', href: '#/offboardings', label: 'Offboardings' },
  { page: 'start', href: '#/start', label: 'Start' },
  { page: 'safety', href: '#/safety', label: 'Safety' },
  { page: 'time-to-revoke', href: '#/time-to-revoke', label: 'Time to revoke' },
  { page: 'access', href: '#/access', label: 'Access', feature: 'accessPath' },
];

export function Layout(p: {
  page: Page;
  features: Features;
  user?: string;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  const current = p.page === 'offboarding' ? 'offboardings' : p.page;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <div class="brand">Leaver</div>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.feature || p.features[n.feature]).map((n) => (
              <li key={n.page}>
                <a href={n.href} aria-current={current === n.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="session">
          <KillSwitchState />
          {p.user && <span class="user">{p.user}</span>}
          <button type="button" onClick={p.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {p.children}
      </main>
    </>
  );
}
