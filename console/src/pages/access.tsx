/**
 * Who holds what, for an email: what the access inventory knows (`GET /v1/access`), shown only when
 * the API has one. Each grant says when its scope was last listed, and each tenant when its last
 * complete sync ended: the inventory is only as fresh as that, and an offboarding always verifies
 * with a full discovery.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { ErrorNote, PageTitle, TableScroll, Time } from '../components/common.tsx';
import { kindLabel, VENDOR_LABELS } from '../format.ts';
import { navigate, type Route } from '../router.ts';
import type { Access as AccessView } from '../types.ts';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function Grants({ view }: { view: AccessView }) {
  if (view.grants.length === 0) return <p>The inventory knows no grant of this person.</p>;
  return (
    <TableScroll label="Known grants">
      <table>
        <caption>Known grants</caption>
        <thead>
          <tr>
            <th scope="col">Vendor</th>
            <th scope="col">Tenant</th>
            <th scope="col">Grant</th>
            <th scope="col">Listed</th>
          </tr>
        </thead>
        <tbody>
          {view.grants.map((g) => (
            <tr key={g.grantKey}>
              <td>{VENDOR_LABELS[g.vendor]}</td>
              <td>{g.tenantId}</td>
              <td>
                {kindLabel(g.kind)}
                {g.owner ? ' (owner)' : ''}
                {g.scopeName && <div class="sub">{g.scopeName}</div>}
                <div class="sub ids">
                  {Object.entries(g.ids)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')}
                </div>
                {view.emails.length > 1 && <div class="sub">as {g.email}</div>}
              </td>
              <td>
                <Time iso={g.syncedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function Tenants({ view }: { view: AccessView }) {
  return (
    <TableScroll label="How fresh each tenant is">
      <table>
        <caption>How fresh each tenant is</caption>
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">Last complete sync</th>
            <th scope="col">Now</th>
          </tr>
        </thead>
        <tbody>
          {view.tenants.map((t) => (
            <tr key={t.tenantId}>
              <td>
                {t.tenantId}
                <div class="sub">{VENDOR_LABELS[t.vendor]}</div>
              </td>
              <td>{t.lastSyncAt ? <Time iso={t.lastSyncAt} /> : 'Never: not covered yet'}</td>
              <td>
                {t.syncingSince && (
                  <div>
                    Syncing: {t.scopesDone ?? 0} of {t.scopesTotal ?? '?'} scopes
                  </div>
                )}
                {t.lastErrorCode && <div class="sub">Last listing failed: {t.lastErrorCode}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function Access({ route, path }: { route: Route; path: string }) {
  const email = route.query.get('email') ?? '';
  const [value, setValue] = useState(email);
  const [result, setResult] = useState<AccessView>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    if (!email) return;
    let current = true;
    api<AccessView>('GET', `${path}${qs({ email })}`).then(
      (body) => current && setResult(body),
      (e: Error) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [email, path]);

  return (
    <>
      <PageTitle>Access</PageTitle>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          setResult(undefined);
          navigate('/access', { email: value.trim() });
        }}
      >
        <p>
          <label for="a-email">Email</label>
          <input
            id="a-email"
            type="email"
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
        </p>
        <p class="filter-buttons">
          <button type="submit" class="primary">
            Look up
          </button>
        </p>
      </form>
      <ErrorNote error={error} />
      {result && (
        <>
          <p role="status">
            {result.email}: {plural(result.counts.grants, 'grant')} known (
            {plural(result.counts.invitations, 'invitation')},{' '}
            {plural(result.counts.memberships, 'membership')})
            {result.emails.length > 1 && <> across {result.emails.join(', ')}</>}
          </p>
          <Grants view={result} />
          <Tenants view={result} />
          {result.tenants.some((t) => !t.lastSyncAt) && (
            <p class="notice">
              A tenant never synced may hold grants not shown here; an offboarding always discovers them.
            </p>
          )}
        </>
      )}
    </>
  );
}
