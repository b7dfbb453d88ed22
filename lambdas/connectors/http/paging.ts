/**
 * Following both vendor paging styles to the end.
 * - iTwin: `$top/$skip`, next page from `_links.next.href`. The vendor's example hrefs point at
 *   another host/path than the one called, so a `next` outside the URL we called is rebuilt from
 *   its `$skip/$top` on our URL (or by advancing `$skip`).
 * - MongoDB (Atlas, Cloud Manager): `itemsPerPage/pageNum`, `{ results, totalCount, links }`;
 *   stops on a short page or when there is no `next` link.
 */
import type { Ctx } from '../../core/ports.ts';
import type { VendorHttp } from './client.ts';
import { badResponse } from './errors.ts';
import type { HttpRequest } from './types.ts';

export const ITWIN_PAGE_SIZE = 100;
export const MONGO_PAGE_SIZE = 500;
const MAX_PAGES = 10_000;

type PageRequest = Omit<HttpRequest, 'url' | 'method'> & { url: string };

interface ItwinPage {
  _links?: { next?: { href?: string | null } | null } | null;
  [key: string]: unknown;
}

export async function itwinPages<T>(
  http: VendorHttp,
  req: PageRequest,
  itemsKey: string,
  ctx: Ctx,
  pageSize = ITWIN_PAGE_SIZE,
): Promise<T[]> {
  const base = new URL(req.url);
  const prefix = `${base.origin}${base.pathname}`;
  let top = pageSize;
  let skip = 0;
  let nextUrl: string = withParams(base, { $top: String(top), $skip: '0' });
  const items: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await http.request<ItwinPage>({ ...req, method: 'GET', url: nextUrl }, ctx);
    const list = res.body?.[itemsKey];
    if (!Array.isArray(list)) {
      throw badResponse(
        { ...http.target, method: 'GET', route: req.route },
        `no ${itemsKey} list`,
        res.vendorRequestId,
      );
    }
    items.push(...(list as T[]));
    const href = res.body?._links?.next?.href;
    if (!href || list.length === 0) break;
    if (href.startsWith(prefix)) {
      nextUrl = href;
      continue;
    }
    // Not our path: rebuild from the href's $skip/$top, or advance by the page we got.
    const parsed = safeUrl(href);
    const hrefSkip = Number(parsed?.searchParams.get('$skip'));
    const hrefTop = Number(parsed?.searchParams.get('$top'));
    const newSkip = Number.isInteger(hrefSkip) && hrefSkip > skip ? hrefSkip : skip + list.length;
    if (Number.isInteger(hrefTop) && hrefTop > 0) top = hrefTop;
    skip = newSkip;
    nextUrl = withParams(base, { $top: String(top), $skip: String(skip) });
  }
  return items;
}

interface MongoPage {
  results?: unknown;
  totalCount?: number;
  links?: Array<{ rel?: string; href?: string }>;
}

export async function mongoPages<T>(
  http: VendorHttp,
  req: PageRequest,
  ctx: Ctx,
  pageSize = MONGO_PAGE_SIZE,
): Promise<T[]> {
  const base = new URL(req.url);
  const items: T[] = [];
  for (let pageNum = 1; pageNum <= MAX_PAGES; pageNum++) {
    const url = withParams(base, { itemsPerPage: String(pageSize), pageNum: String(pageNum) });
    const res = await http.request<MongoPage>({ ...req, method: 'GET', url }, ctx);
    const list = res.body?.results;
    if (!Array.isArray(list)) {
      throw badResponse(
        { ...http.target, method: 'GET', route: req.route },
        'no results list',
        res.vendorRequestId,
      );
    }
    items.push(...(list as T[]));
    const hasNext = res.body?.links?.some((l) => l.rel === 'next') ?? false;
    if (list.length < pageSize || !hasNext) break;
  }
  return items;
}

function withParams(base: URL, params: Record<string, string>): string {
  const u = new URL(base.href);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  // Keep `$` readable: vendors document `$top`/`$skip`, not `%24top`.
  return u.href.replace(/%24(top|skip)=/g, '$$$1=');
}

function safeUrl(href: string): URL | undefined {
  try {
    return new URL(href);
  } catch {
    return undefined;
  }
}
