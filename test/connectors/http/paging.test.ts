import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  itwinListing,
  itwinPages,
  MongoPager,
  mongoListing,
  mongoPages,
} from '../../../lambdas/connectors/http/paging.ts';
import { routeTemplate } from '../../../lambdas/connectors/http/route.ts';
import { testCtx } from '../support/ctx.ts';
import { makeHttp } from '../support/http.ts';
import { json, startServer, type TestServer } from '../support/test-server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const people = Array.from({ length: 250 }, (_, i) => ({ id: `m${i}`, email: `p${i}@example.com` }));
const MEMBERS = itwinListing('members', () => z.looseObject({ id: z.string(), email: z.string() }));
const ITEMS = mongoListing(() => z.looseObject({ id: z.string() }));

describe('iTwin $top/$skip paging', () => {
  it('follows _links.next.href when it points at the called path', async () => {
    server = await startServer((req, res) => {
      const u = new URL(req.url, server!.url);
      const top = Number(u.searchParams.get('$top'));
      const skip = Number(u.searchParams.get('$skip'));
      const page = people.slice(skip, skip + top);
      const next =
        skip + top < people.length
          ? { href: `${server!.url}/ac/members?$top=${top}&$skip=${skip + top}` }
          : undefined;
      json(res, 200, { members: page, _links: { self: { href: 'x' }, ...(next ? { next } : {}) } });
    });
    const { http } = makeHttp({});
    const got = await itwinPages(
      http,
      { url: `${server.url}/ac/members`, route: '/ac/members' },
      MEMBERS,
      testCtx(),
    );
    expect(got).toHaveLength(250);
    expect(server.seen.map((s) => s.url)).toEqual([
      '/ac/members?$top=100&$skip=0',
      '/ac/members?$top=100&$skip=100',
      '/ac/members?$top=100&$skip=200',
    ]);
  });

  it('rebuilds a foreign next href (the vendor examples point at another host/path) on the called URL', async () => {
    server = await startServer((req, res) => {
      const u = new URL(req.url, server!.url);
      const top = Number(u.searchParams.get('$top'));
      const skip = Number(u.searchParams.get('$skip'));
      const next =
        skip + top < people.length
          ? { href: `https://api.bentley.com/iTwins/x/members?$skip=${skip + top}&$top=${top}` }
          : null;
      json(res, 200, { members: people.slice(skip, skip + top), _links: { next } });
    });
    const { http } = makeHttp({});
    const got = await itwinPages(
      http,
      { url: `${server.url}/ac/members`, route: '/ac/members' },
      MEMBERS,
      testCtx(),
    );
    expect(got.map((m) => (m as { id: string }).id)).toEqual(people.map((p) => p.id));
    expect(server.seen.every((s) => s.url.startsWith('/ac/members?'))).toBe(true);
  });

  it('a page without the list is vendor_unexpected_response', async () => {
    server = await startServer((_req, res) => json(res, 200, { somethingElse: [] }));
    const { http } = makeHttp({});
    const err = await itwinPages(http, { url: `${server.url}/ac`, route: '/ac' }, MEMBERS, testCtx()).catch(
      (e) => e,
    );
    expect(err).toMatchObject({
      code: 'vendor_unexpected_response',
      message: expect.stringContaining('members: missing'),
    });
  });

  it('a next link of another type is vendor_unexpected_response, not the end of the listing', async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { members: people.slice(0, 100), _links: { next: 7 } }),
    );
    const { http } = makeHttp({});
    const err = await itwinPages(http, { url: `${server.url}/ac`, route: '/ac' }, MEMBERS, testCtx()).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'vendor_unexpected_response' });
    expect(err.message).toContain('_links.next');
  });
});

describe('MongoDB itemsPerPage/pageNum paging', () => {
  const many = Array.from({ length: 1100 }, (_, i) => ({ id: String(i) }));
  /** A MongoDB listing of `items`; `next` links and `totalCount` only when asked; `cap` limits itemsPerPage. */
  const listing =
    (items: Array<{ id: string }>, o: { next?: boolean; count?: boolean; cap?: number } = {}) =>
    (req: { url: string }, res: Parameters<typeof json>[0]) => {
      const u = new URL(req.url, 'http://x');
      const per = Math.min(Number(u.searchParams.get('itemsPerPage')), o.cap ?? 500);
      const n = Number(u.searchParams.get('pageNum'));
      const links = [
        { rel: 'self', href: 'x' },
        ...(o.next && n * per < items.length ? [{ rel: 'next', href: 'y' }] : []),
      ];
      json(res, 200, {
        results: items.slice((n - 1) * per, n * per),
        links,
        ...(o.count ? { totalCount: items.length } : {}),
      });
    };
  const pageNums = () => server!.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('pageNum'));

  it('asks 500 a page with includeCount=true (when the operation defines it) and stops on the short page', async () => {
    server = await startServer(listing(many, { next: true, count: true }));
    const { http } = makeHttp({});
    const got = await mongoPages(
      http,
      { url: `${server.url}/orgs/o/users`, route: '/orgs/{id}/users' },
      ITEMS,
      testCtx(),
      { includeCount: true },
    );
    expect(got).toHaveLength(1100);
    expect(server.seen.map((s) => s.url)).toEqual([
      '/orgs/o/users?itemsPerPage=500&pageNum=1&includeCount=true',
      '/orgs/o/users?itemsPerPage=500&pageNum=2&includeCount=true',
      '/orgs/o/users?itemsPerPage=500&pageNum=3&includeCount=true',
    ]);
  });

  it('sends no includeCount unless asked (operations that do not define it)', async () => {
    server = await startServer(listing(many.slice(0, 30), { count: true }));
    const { http } = makeHttp({});
    await mongoPages(http, { url: `${server.url}/orgs/o/teams/t/users`, route: '/t' }, ITEMS, testCtx());
    expect(server.seen.map((s) => s.url)).toEqual(['/orgs/o/teams/t/users?itemsPerPage=500&pageNum=1']);
  });

  it('a totalCount of another type, or a results item that does not match, is vendor_unexpected_response', async () => {
    for (const body of [
      { results: many.slice(0, 10), totalCount: '10' },
      { results: [{ id: 1 }] },
      { results: 'none' },
      [],
    ]) {
      await server?.close();
      server = await startServer((_req, res) => json(res, 200, body));
      const { http } = makeHttp({});
      const err = await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx()).catch(
        (e) => e,
      );
      expect(err, JSON.stringify(body)).toMatchObject({ code: 'vendor_unexpected_response' });
    }
  });

  it('goes on after a full page without a next link (next is only inferred) and stops on the empty page', async () => {
    server = await startServer(listing(many.slice(0, 1000)));
    const { http } = makeHttp({});
    const got = await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx());
    expect(got).toHaveLength(1000);
    expect(pageNums()).toEqual(['1', '2', '3']);
  });

  it('without next links, reads every page while totalCount says more remain, and no page more', async () => {
    server = await startServer(listing(many, { count: true }));
    const { http } = makeHttp({});
    const got = await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx());
    expect(got.map((x) => (x as { id: string }).id)).toEqual(many.map((x) => x.id));
    expect(pageNums()).toEqual(['1', '2', '3']);
  });

  it('keeps going on short pages while totalCount says more remain (a vendor capping itemsPerPage)', async () => {
    server = await startServer(listing(many.slice(0, 450), { count: true, cap: 200 }));
    const { http } = makeHttp({});
    const got = await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx());
    expect(got).toHaveLength(450);
    expect(pageNums()).toEqual(['1', '2', '3']);
  });

  it('a short page without next link or totalCount ends the listing', async () => {
    server = await startServer(listing(many.slice(0, 30)));
    const { http } = makeHttp({});
    expect(await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx())).toHaveLength(
      30,
    );
    expect(server.seen).toHaveLength(1);
  });

  it('a vendor that ignores pageNum (the same full page again) is vendor_unexpected_response, not an endless loop', async () => {
    server = await startServer((_req, res) => json(res, 200, { results: many.slice(0, 500), links: [] }));
    const { http } = makeHttp({});
    const err = await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx()).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'vendor_unexpected_response' });
    expect(server.seen).toHaveLength(2);
  });

  it('MongoPager tells the pages still to read from totalCount after the first page', async () => {
    server = await startServer(listing(many, { count: true }));
    const { http } = makeHttp({});
    const pager = new MongoPager(http, { url: `${server.url}/u`, route: '/u' }, ITEMS, testCtx());
    expect(pager.pagesLeft).toBeUndefined();
    await pager.next();
    expect(pager.totalCount).toBe(1100);
    expect(pager.pagesLeft).toBe(2);
    expect(await pager.rest()).toHaveLength(1100);
    expect(pager.pagesLeft).toBe(0);
    expect(server.seen).toHaveLength(3);
  });
});

describe('route templates', () => {
  it('replaces ids and emails, keeps actions and drops the query', () => {
    expect(routeTemplate('/orgs/5f1a0000000000000000c001/invites/5f1a0000000000000000c0aa?x=1')).toBe(
      '/orgs/{id}/invites/{id}',
    );
    expect(routeTemplate('/itwins/7c0f0a3e-0000-4000-8000-000000000001/members/users')).toBe(
      '/itwins/{id}/members/users',
    );
    expect(
      routeTemplate('/api/atlas/v2/orgs/6a1b0000000000000000a001/teams/6a1b0000000000000000a201:removeUser'),
    ).toBe('/api/atlas/v2/orgs/{id}/teams/{id}:removeUser');
    expect(routeTemplate('/users/byName/dana%40example.com')).toBe('/users/byName/{email}');
  });
});
