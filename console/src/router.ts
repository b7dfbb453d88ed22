/**
 * Hash routes (`#/offboardings/<id>`): static hosting needs no rewrite rule, and a link to a page
 * (with its filters) can be shared.
 */
import { useEffect, useState } from 'preact/hooks';

export type Page = 'offboardings' | 'offboarding' | 'start' | 'safety' | 'time-to-revoke' | 'access';

export interface Route {
  page: Page;
  id?: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts[0] === 'offboardings' && parts[1]) return { page: 'offboarding', id: parts[1], query };
  if (
    parts[0] === 'start' ||
    parts[0] === 'safety' ||
    parts[0] === 'time-to-revoke' ||
    parts[0] === 'access'
  ) {
    return { page: parts[0], query };
  }
  return { page: 'offboardings', query };
}

export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, query: Record<string, string | undefined> = {}): void {
  location.hash = href(path, query);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
