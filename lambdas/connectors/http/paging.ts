/**
 * Following both vendor paging styles to the end, each page checked against the listing's schema
 * (schema.ts) before any of it is used.
 * - iTwin: `$top/$skip`, next page from `_links.next.href`. The vendor's example hrefs point at
 *   another host/path than the one called, so a `next` outside the URL we called is rebuilt from
 *   its `$skip/$top` on our URL (or by advancing `$skip`).
 * - MongoDB (Atlas, Cloud Manager): `itemsPerPage/pageNum`, `{ results, totalCount, links }`, and
 *   `includeCount=true` only where the operation defines that parameter. The `next` link is only
 *   inferred (docs/vendors.md#mongodb-paging), so it is not needed to go on: the next page is read while the page
 *   was full, `totalCount` says more remain (a vendor that caps `itemsPerPage` below ours sends
 *   short pages) or a `next` link is there; an empty page ends the listing, and so does a short page
 *   once `totalCount` (or its absence) says nothing remains.
 */
import * as z from 'zod';
import type { Ctx } from '../../core/ports.ts';
import type { VendorHttp } from './client.ts';
import { unexpectedResponse } from './errors.ts';
import { lazy, parseAnswer } from './schema.ts';
import type { HttpRequest } from './types.ts';

export const ITWIN_PAGE_SIZE = 100;
export const MONGO_PAGE_SIZE = 500;
const MAX_PAGES = 10_000;

export type PageRequest = Omit<HttpRequest, 'url' | 'method'> & { url: string };

/** One checked iTwin page: its items and its `next` link, if any. */
export interface ItwinPage<T> {
  items: T[];
  next?: string | null;
}

/** An iTwin listing: the schema of a page whose list is under `key`, each item per `item`. */
export interface ItwinListing<T> {
  key: string;
  page: () => z.ZodType<ItwinPage<T>>;
}

type ItwinLinks = { next?: { href?: string | null } | null } | null | undefined;

export function itwinListing<T>(key: string, item: () => z.ZodType<T>): ItwinListing<T> {
  return {
    key,
    page: lazy(() => {
      const links = z
        .looseObject({ next: z.looseObject({ href: z.string().nullish() }).nullish() })
        .nullish();
      return z.looseObject({ [key]: z.array(item()), _links: links }).transform(
        (body): ItwinPage<T> => ({
          items: body[key] as T[],
          next: (body._links as ItwinLinks)?.next?.href,
        }),
      );
    }),
  };
}

/** A MongoDB listing: the schema of one item of `results`. */
export interface MongoListing<T> {
  page: () => z.ZodType<{ results: T[]; totalCount?: number; links?: Array<{ rel?: string }> }>;
}

export function mongoListing<T>(item: () => z.ZodType<T>): MongoListing<T> {
  return {
    page: lazy(() =>
      z.looseObject({
        results: z.array(item()),
        totalCount: z.number().int().nonnegative().optional(),
        links: z.array(z.looseObject({ rel: z.string().optional(), href: z.string().optional() })).optional(),
      }),
    ),
  };
}

export async function itwinPages<T>(
  http: VendorHttp,
  req: PageRequest,
  listing: ItwinListing<T>,
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
    const res = await http.request({ ...req, method: 'GET', url: nextUrl }, ctx);
    const call = { ...http.target, method: 'GET', route: req.route };
    const { items: list, next: href } = parseAnswer(listing.page(), res.body, call, res.vendorRequestId);
    items.push(...list);
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

/** How a MongoDB listing is read. */
export interface MongoPageOptions {
  /**
   * Send `includeCount=true`: only for operations that define the parameter (Atlas org and project
   * users do, Atlas team users and Cloud Manager's listings do not). Without it the vendor may
   * still send `totalCount`, which is used when present.
   */
  includeCount?: boolean;
  pageSize?: number;
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
  readonly pageSize: number;
  private pageNum = 1;
  private lastLength = 0;
  private lastFirst: string | undefined;
  private readonly base: URL;

  constructor(
    private readonly http: VendorHttp,
    private readonly req: PageRequest,
    private readonly listing: MongoListing<T>,
    private readonly ctx: Ctx,
    private readonly options: MongoPageOptions = {},
  ) {
    this.base = new URL(req.url);
    this.pageSize = options.pageSize ?? MONGO_PAGE_SIZE;
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
    if (this.pageNum > MAX_PAGES) throw this.unexpected('more pages than any listing should have');
    const url = withParams(this.base, {
      itemsPerPage: String(this.pageSize),
      pageNum: String(this.pageNum),
      ...(this.options.includeCount ? { includeCount: 'true' } : {}),
    });
    const res = await this.http.request({ ...this.req, method: 'GET', url }, this.ctx);
    const call = { ...this.http.target, method: 'GET', route: this.req.route };
    const body = parseAnswer(this.listing.page(), res.body, call, res.vendorRequestId);
    const list = body.results;
    this.totalCount = body.totalCount;
    if (list.length > 0) {
      // A vendor that ignores pageNum would send the same page forever.
      const first = JSON.stringify(list[0]);
      if (this.pageNum > 1 && first === this.lastFirst) {
        throw this.unexpected('the same page came back for the next pageNum', res.vendorRequestId);
      }
      this.lastFirst = first;
    }
    this.items.push(...list);
    this.lastLength = list.length;
    this.pageNum += 1;
    const hasNext = body.links?.some((l) => l.rel === 'next') ?? false;
    const full = list.length >= this.pageSize;
    const countSaysMore = this.totalCount !== undefined && this.items.length < this.totalCount;
    this.done = list.length === 0 || !(full || countSaysMore || hasNext);
    return list;
  }

  /** Reads every page left; returns every item read (earlier pages included). */
  async rest(): Promise<T[]> {
    while (!this.done) await this.next();
    return this.items;
  }

  private unexpected(reason: string, requestId?: string) {
    return unexpectedResponse(
      { ...this.http.target, method: 'GET', route: this.req.route },
      reason,
      requestId,
    );
  }
}

export async function mongoPages<T>(
  http: VendorHttp,
  req: PageRequest,
  listing: MongoListing<T>,
  ctx: Ctx,
  options: MongoPageOptions = {},
): Promise<T[]> {
  return new MongoPager<T>(http, req, listing, ctx, options).rest();
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
