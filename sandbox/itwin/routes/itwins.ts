/**
 * The iTwins API list used for discovery: `GET /itwins?$top&$skip` -> `{ iTwins: [{ id, displayName,
 * number, ... }], _links }`, only the iTwins the caller is an owner or member (directly or through a
 * group) of; an Org Admin sees every iTwin. (This emulates the separate iTwins API; it accepts v1 and
 * v2 media types.)
 */
import type { SandboxRequest, SandboxResponse } from '../../core/types.ts';
import { accessOf } from '../access.ts';
import type { Caller } from '../model.ts';
import { isPaging, page, pageLinks, parsePaging } from '../paging.ts';
import type { ItwinStore } from '../store.ts';

export function listItwins(req: SandboxRequest, store: ItwinStore, caller: Caller): SandboxResponse {
  const paging = parsePaging(req, 'InvalidiTwinsRequest');
  if (!isPaging(paging)) return paging;
  const all = [...store.itwins.values()].filter((t) => caller.orgAdmin || accessOf(t, caller).member);
  const iTwins = page(all, paging).map((t) => ({
    id: t.id,
    class: 'Endeavor',
    subClass: 'Project',
    number: t.number,
    displayName: t.displayName,
    status: 'Active',
  }));
  return { status: 200, body: { iTwins, _links: pageLinks(req, paging, all.length) } };
}
