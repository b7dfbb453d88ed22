import type { SandboxRequest } from '../core/types.ts';
import { MongoApiError } from './api-error.ts';

export interface Paging {
  itemsPerPage: number;
  pageNum: number;
  includeCount: boolean;
}

export interface Link {
  rel: string;
  href: string;
}

export interface Page<T> {
  links: Link[];
  results: T[];
  totalCount?: number;
}

/**
 * `itemsPerPage` (1..500, default 100), `pageNum` (>= 1, default 1), `includeCount` (default true).
 * Out-of-range or non-integer values answer 400 `INVALID_QUERY_PARAMETER` (code is our inference;
 * the spec only declares the bounds).
 */
export function parsePaging(query: URLSearchParams): Paging {
  return {
    itemsPerPage: intParam(query, 'itemsPerPage', 100, 1, 500),
    pageNum: intParam(query, 'pageNum', 1, 1, Number.MAX_SAFE_INTEGER),
    includeCount: query.get('includeCount')?.toLowerCase() !== 'false',
  };
}

function intParam(query: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return dflt;
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new MongoApiError(
      400,
      'INVALID_QUERY_PARAMETER',
      `Invalid query parameter ${name}: ${raw}. It must be an integer ${range}.`,
      [name, raw],
    );
  }
  return n;
}

/** One page with `links` self/next/previous (hrefs keep the other query parameters). */
export function paginate<T>(req: SandboxRequest, items: T[], p: Paging): Page<T> {
  const start = (p.pageNum - 1) * p.itemsPerPage;
  const results = items.slice(start, start + p.itemsPerPage);
  const href = (pageNum: number) => {
    const q = new URLSearchParams(req.query);
    q.set('pageNum', String(pageNum));
    q.set('itemsPerPage', String(p.itemsPerPage));
    return `${req.rootUrl}${req.path}?${q.toString()}`;
  };
  const links: Link[] = [{ rel: 'self', href: href(p.pageNum) }];
  if (start + p.itemsPerPage < items.length) links.push({ rel: 'next', href: href(p.pageNum + 1) });
  if (p.pageNum > 1) links.push({ rel: 'previous', href: href(p.pageNum - 1) });
  const page: Page<T> = { links, results };
  if (p.includeCount) page.totalCount = items.length;
  return page;
}
