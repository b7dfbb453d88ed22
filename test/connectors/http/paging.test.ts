import { afterEach, describe, expect, it } from 'vitest';
import { itwinPages, mongoPages } from '../../../lambdas/connectors/http/paging.ts';
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
      'members',
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
      'members',
      testCtx(),
    );
    expect(got.map((m) => (m as { id: string }).id)).toEqual(people.map((p) => p.id));
    expect(server.seen.every((s) => s.url.startsWith('/ac/members?'))).toBe(true);
  });

  it('a page without the list is vendor_bad_response', async () => {
    server = await startServer((_req, res) => json(res, 200, { somethingElse: [] }));
    const { http } = makeHttp({});
    const err = await itwinPages(http, { url: `${server.url}/ac`, route: '/ac' }, 'members', testCtx()).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'vendor_bad_response' });
  });
});

describe('MongoDB itemsPerPage/pageNum paging', () => {
  const many = Array.from({ length: 1100 }, (_, i) => ({ id: String(i) }));
  it('asks 500 a page and stops on the short page', async () => {
    server = await startServer((req, res) => {
      const u = new URL(req.url, server!.url);
      const per = Number(u.searchParams.get('itemsPerPage'));
      const n = Number(u.searchParams.get('pageNum'));
      const results = many.slice((n - 1) * per, n * per);
      const links = [
        { rel: 'self', href: 'x' },
        ...(n * per < many.length ? [{ rel: 'next', href: 'y' }] : []),
      ];
      json(res, 200, { results, totalCount: many.length, links });
    });
    const { http } = makeHttp({});
    const got = await mongoPages(
      http,
      { url: `${server.url}/orgs/o/users`, route: '/orgs/{id}/users' },
      testCtx(),
    );
    expect(got).toHaveLength(1100);
    expect(server.seen.map((s) => s.url)).toEqual([
      '/orgs/o/users?itemsPerPage=500&pageNum=1',
      '/orgs/o/users?itemsPerPage=500&pageNum=2',
      '/orgs/o/users?itemsPerPage=500&pageNum=3',
    ]);
  });

  it('stops when a full page has no next link', async () => {
    server = await startServer((_req, res) =>
      json(res, 200, { results: many.slice(0, 500), links: [{ rel: 'self', href: 'x' }] }),
    );
    const { http } = makeHttp({});
    const got = await mongoPages(http, { url: `${server.url}/u`, route: '/u' }, testCtx());
    expect(got).toHaveLength(500);
    expect(server.seen).toHaveLength(1);
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
