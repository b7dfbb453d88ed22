/**
 * OData-style `$top`/`$skip` paging (docs/vendors.md#itwin-paging): default 100, `$top` 1..1000, `$skip` >= 0;
 * out of range -> 422 of the resource's Invalid*Request family with details[{code:'InvalidValue',
 * target:'$top'}]. `_links.self/prev/next` hrefs are built from the client's root URL; `prev` is
 * left out on the first page and `next` on the last page.
 */
import type { SandboxRequest, SandboxResponse } from '../core/types.ts';
import { type InvalidFamily, invalid } from './errors.ts';

export const DEFAULT_TOP = 100;
export const MAX_TOP = 1000;

export interface Paging {
  top: number;
  skip: number;
  /** True when the client sent `$top` or `$skip`. */
  explicit: boolean;
}

const INT = /^\d+$/;

export function parsePaging(req: SandboxRequest, family: InvalidFamily): Paging | SandboxResponse {
  const topRaw = req.query.get('$top');
  const skipRaw = req.query.get('$skip');
  let top = DEFAULT_TOP;
  let skip = 0;
  if (topRaw !== null) {
    top = INT.test(topRaw) ? Number(topRaw) : Number.NaN;
    if (!(top >= 1 && top <= MAX_TOP)) {
      return invalid(family, [
        {
          code: 'InvalidValue',
          message: `$top must be an integer between 1 and ${MAX_TOP}.`,
          target: '$top',
        },
      ]);
    }
  }
  if (skipRaw !== null) {
    skip = INT.test(skipRaw) ? Number(skipRaw) : Number.NaN;
    if (!(skip >= 0 && Number.isSafeInteger(skip))) {
      return invalid(family, [
        { code: 'InvalidValue', message: '$skip must be a non-negative integer.', target: '$skip' },
      ]);
    }
  }
  return { top, skip, explicit: topRaw !== null || skipRaw !== null };
}

export const isPaging = (p: Paging | SandboxResponse): p is Paging => 'top' in p;

export interface Links {
  self: { href: string };
  prev?: { href: string };
  next?: { href: string };
}

export function pageLinks(req: SandboxRequest, paging: Paging, total: number): Links {
  const base = `${req.rootUrl}${req.path}`;
  const href = (skip: number) => ({ href: `${base}?$skip=${skip}&$top=${paging.top}` });
  const links: Links = { self: href(paging.skip) };
  if (paging.skip > 0) links.prev = href(Math.max(0, paging.skip - paging.top));
  if (paging.skip + paging.top < total) links.next = href(paging.skip + paging.top);
  return links;
}

export function page<T>(items: readonly T[], paging: Paging): T[] {
  return items.slice(paging.skip, paging.skip + paging.top);
}
