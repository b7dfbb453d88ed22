/**
 * Following both vendor paging styles to the end.
 * - iTwin: `$top/$skip`, next page from `_links.next.href`. The vendor's example hrefs point at
 *   another host/path than the one called, so a `next` outside the URL we called is rebuilt from
 *   its `$skip/$top` on our URL (or by advancing `$skip`).
 * - MongoDB (Atlas, Cloud Manager): `itemsPerPage/pageNum/includeCount=true`,
 *   `{ results, totalCount, links }`. The `next` link is only inferred (docs/vendors.md#mongodb-paging), so it is
 *   not needed to go on: the next page is read while the page was full, `totalCount` says more
 *   remain (a vendor that caps `itemsPerPage` below ours sends short pages) or a `next` link is
 *   there; an empty page ends the listing, and so does a short page once `totalCount` (or its
 *   absence) says nothing remains.
 */
import type { Ctx } from '../../core/ports.ts';
import type { VendorHttp } from './client.ts';
import { badResponse } from './errors.ts';
import type { HttpRequest } from './types.ts';

export const ITWIN_PAGE_SIZE = 100;
export const MONGO_PAGE_SIZE = 500;
const MAX_PAGES = 10_000;

export type PageRequest = Omit<HttpRequest, 'url' | 'method'> & { url: string };

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

interface MongoPageBody {
  results?: unknown;
  totalCount?: number;
  links?: Array<{ rel?: string; href?: string }>;
}

/**
 * Reads a MongoDB listing page by page. `next()` reads one page; `rest()` reads to the end.
 * Between the two a caller can look at `totalCount` / `pagesLeft` and choose another way to read
 * the rest (Atlas: `username` filters instead of many pages).
 */
export class MongoPager<T> {
  readonly items: T[] = [];
  /** The vendor's `totalCount` from the latest page (an estimate, per the spec), if it sent one. */
  totalCount: number | undefined;
  done = false;
  private pageNum = 1;
  private lastLength = 0;
  private lastFirst: string | undefined;
  private readonly base: URL;

  constructor(
    private readonly http: VendorHttp,
    private readonly req: PageRequest,
    private readonly ctx: Ctx,
    readonly pageSize = MONGO_PAGE_SIZE,
  ) {
    this.base = new URL(req.url);
  }

  /** Pages still to read: from `totalCount` (at least 1 while not done), undefined without it. */
  get pagesLeft(): number | undefined {
    if (this.done) return 0;
    if (this.totalCount === undefined) return undefined;
    const per = Math.max(1, Math.min(this.pageSize, this.lastLength || this.pageSize));
    return Math.max(1, Math.ceil((this.totalCount - this.items.length) / per));
  }

  /** Reads the next page; returns its items (empty once done). */
  async next(): Promise<T[]> {
    if (this.done) return [];
    if (this.pageNum > MAX_PAGES) throw this.bad('more pages than any listing should have');
    const url = withParams(this.base, {
      itemsPerPage: String(this.pageSize),
      pageNum: String(this.pageNum),
      includeCount: 'true',
    });
    const res = await this.http.request<MongoPageBody>({ ...this.req, method: 'GET', url }, this.ctx);
    const list = res.body?.results;
    if (!Array.isArray(list)) throw this.bad('no results list', res.vendorRequestId);
    const total = res.body?.totalCount;
    this.totalCount = typeof total === 'number' && Number.isFinite(total) ? total : undefined;
    if (list.length > 0) {
      // A vendor that ignores pageNum would send the same page forever.
      const first = JSON.stringify(list[0]);
      if (this.pageNum > 1 && first === this.lastFirst) {
        throw this.bad('the same page came back for the next pageNum', res.vendorRequestId);
      }
      this.lastFirst = first;
    }
    this.items.push(...(list as T[]));
    this.lastLength = list.length;
    this.pageNum += 1;
    const hasNext = res.body?.links?.some((l) => l.rel === 'next') ?? false;
    const full = list.length >= this.pageSize;
    const countSaysMore = this.totalCount !== undefined && this.items.length < this.totalCount;
    this.done = list.length === 0 || !(full || countSaysMore || hasNext);
    return list as T[];
  }

  /** Reads every page left; returns every item read (earlier pages included). */
  async rest(): Promise<T[]> {
    while (!this.done) await this.next();
    return this.items;
  }

  private bad(reason: string, requestId?: string) {
    return badResponse({ ...this.http.target, method: 'GET', route: this.req.route }, reason, requestId);
  }
}

export async function mongoPages<T>(
  http: VendorHttp,
  req: PageRequest,
  ctx: Ctx,
  pageSize = MONGO_PAGE_SIZE,
): Promise<T[]> {
  return new MongoPager<T>(http, req, ctx, pageSize).rest();
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
