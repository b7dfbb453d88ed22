/**
 * Who holds what, for an email: shown only when the API has an access inventory (`GET /v1/access`
 * in its OpenAPI document). The answer is shown as the API gives it: each list of records as a
 * table of its fields.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { ErrorNote, PageTitle, TableScroll } from '../components/common.tsx';
import { navigate, type Route } from '../router.ts';

type Row = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function RecordsTable({ name, rows }: { name: string; rows: Row[] }) {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <TableScroll label={name}>
      <table>
        <caption>{name}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{cell(r[c])}</td>
              ))}
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
  const [result, setResult] = useState<{ email: string; body: Row }>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    if (!email) return;
    let current = true;
    api<Row>('GET', `${path}${qs({ email })}`).then(
      (body) => current && setResult({ email, body }),
      (e: Error) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [email, path]);
  const lists = result ? Object.entries(result.body).filter(([, v]) => Array.isArray(v)) : [];
  const scalars = result ? Object.entries(result.body).filter(([, v]) => !Array.isArray(v)) : [];

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
      {scalars.length > 0 && (
        <dl>
          {scalars.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>{cell(v)}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      {lists.map(([k, v]) =>
        (v as unknown[]).length === 0 ? (
          <p key={k}>No {k}.</p>
        ) : (
          <RecordsTable
            key={k}
            name={k}
            rows={(v as unknown[]).map((x) => (typeof x === 'object' && x ? (x as Row) : { value: x }))}
          />
        ),
      )}
    </>
  );
}
