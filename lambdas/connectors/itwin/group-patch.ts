/**
 * Removing addresses from one iTwin group. The vendor has no per-member DELETE: the only way out of
 * a group is `PATCH /groups/{id}` with the full `members` email list, which replaces the set
 * (docs/vendors.md#itwin-groups). This
 * file is the write itself, for whoever holds the group's single-writer lease (group-writer.ts):
 *
 *   read the group (fresh, through the paged group list: GET /groups/{id} caps `members` at 50)
 *   -> PATCH everyone listed but the leavers -> read again: a leaver counts as revoked only when
 *   that read no longer lists them; if it still does, wait briefly, read afresh and write again,
 *   up to `attempts` PATCHes, then fail `vendor_write_unverified`.
 *
 * Colleagues who stay are never dropped on purpose: every member with an email is named in the
 * PATCH. Members without an email (users deleted from IMS, which the vendor purges weekly) cannot
 * be named and drop out. The vendor caps the list at 50: if more than 50 others would remain,
 * nobody is dropped and the removals fail (vendor_bad_request, details.reason "group_patch_limit").
 */
import type { ITwinTenant } from '../../core/config.ts';
import { LeaverError, toLeaverError } from '../../core/errors.ts';
import { normaliseEmail } from '../../core/model.ts';
import type { Ctx, RevokeResult } from '../../core/ports.ts';
import { enc, join } from '../common/grants.ts';
import type { VendorHttp } from '../http/client.ts';
import { itwinPages } from '../http/paging.ts';
import { routeTemplate } from '../http/route.ts';
import type { Timing } from '../http/types.ts';
import { ITWIN_LISTINGS } from './schemas.ts';
import type { Group } from './types.ts';

/** The vendor caps a group PATCH `members` list at 50 emails. */
export const ITWIN_GROUP_PATCH_LIMIT = 50;

export interface GroupRef {
  itwinId: string;
  groupId: string;
}

export type RemovalResult = RevokeResult | LeaverError;

export interface WriteOptions {
  /** PATCHes at most for one round's removals (the first included). */
  attempts: number;
  /** False once the single-writer lease is lost: no further PATCH is sent. */
  holding(): boolean;
  timing: Timing;
}

export interface WriteStats {
  patches: number;
  reads: number;
  /** Milliseconds from the end of the read each PATCH was computed from to the PATCH being sent. */
  readToWriteMs: number[];
}

/**
 * Removes `emails` (lower-cased) from the group in as few PATCHes as possible (one, normally) and
 * answers each address: `revoked` (gone in a read after our PATCH), `already_absent` (not listed
 * before we wrote), or the error that stopped it. Never throws.
 */
export async function removeFromGroup(
  http: VendorHttp,
  tenant: ITwinTenant,
  ref: GroupRef,
  emails: readonly string[],
  ctx: Ctx,
  opts: WriteOptions,
): Promise<{ results: Map<string, RemovalResult>; stats: WriteStats }> {
  const path = `/itwins/${enc(ref.itwinId)}/groups/${enc(ref.groupId)}`;
  const route = routeTemplate(path);
  const results = new Map<string, RemovalResult>();
  const open = new Set(emails.map(normaliseEmail));
  const patched = new Set<string>();
  const stats: WriteStats = { patches: 0, reads: 0, readToWriteMs: [] };
  let patchAttempts = 0;
  let vendorRequestId: string | undefined;
  let group: Group | undefined;
  let readEnd = 0;
  const settle = (email: string, r: RemovalResult) => {
    results.set(email, r);
    open.delete(email);
  };
  const failOpen = (e: unknown) => {
    const err = toLeaverError(e);
    for (const email of [...open]) settle(email, err);
  };
  const read = async () => {
    stats.reads++;
    group = await readGroup(http, tenant, ref, ctx);
    readEnd = opts.timing.now();
  };
  /** Settles every open address the last read does not list: ours if we PATCHed it, else absent. */
  const settleAbsent = () => {
    const listed = new Set(memberEmails(group).map(normaliseEmail));
    for (const email of [...open]) {
      if (listed.has(email)) continue;
      settle(
        email,
        patched.has(email)
          ? { outcome: 'revoked', vendorRequestId, attempts: Math.max(1, patchAttempts) }
          : { outcome: 'already_absent', attempts: 1 },
      );
    }
  };

  try {
    await read();
  } catch (e) {
    failOpen(e);
    return { results, stats };
  }
  for (;;) {
    settleAbsent();
    if (open.size === 0) break;
    if (stats.patches >= opts.attempts) {
      failOpen(unverified(tenant, route, stats.patches));
      break;
    }
    const remaining = memberEmails(group).filter((e) => !open.has(normaliseEmail(e)));
    if (remaining.length > ITWIN_GROUP_PATCH_LIMIT) {
      failOpen(limitError(tenant, route, remaining.length));
      break;
    }
    if (!opts.holding()) {
      failOpen(lockLost(tenant, route));
      break;
    }
    for (const email of open) patched.add(email);
    stats.patches++;
    stats.readToWriteMs.push(opts.timing.now() - readEnd);
    try {
      const res = await http.request(
        { method: 'PATCH', url: join(tenant.baseUrl, path), route, json: { members: remaining } },
        ctx,
      );
      patchAttempts += res.attempts;
      vendorRequestId = res.vendorRequestId ?? vendorRequestId;
    } catch (e) {
      const err = toLeaverError(e);
      if (isGone(err)) {
        // The group (or the iTwin) is gone: so is the access, and not by this write.
        for (const email of [...open]) settle(email, { outcome: 'already_absent', attempts: 1 });
        break;
      }
      // A vendor error after the HTTP layer's retries, or a timeout: the write may still have
      // landed. One read tells; whatever it still lists fails with the write's error.
      if (err.retryable && err.code !== 'deadline_exceeded') {
        try {
          await read();
          settleAbsent();
        } catch {
          // unknown: fail as the write did
        }
      }
      failOpen(err);
      break;
    }
    try {
      await read();
      const listed = new Set(memberEmails(group).map(normaliseEmail));
      if ([...open].some((email) => listed.has(email)) && stats.patches < opts.attempts) {
        // Still listed after a write the vendor accepted: give it a moment, then read afresh right
        // before writing again.
        await opts.timing.sleep(Math.min(2_000, 200 * stats.patches));
        await read();
      }
    } catch (e) {
      // Written but not verified: never reported revoked.
      failOpen(e);
      break;
    }
  }
  return { results, stats };
}

/** The group as the paged group list shows it (full member lists), or undefined when it is gone. */
async function readGroup(
  http: VendorHttp,
  tenant: ITwinTenant,
  ref: GroupRef,
  ctx: Ctx,
): Promise<Group | undefined> {
  const groupsPath = `/itwins/${enc(ref.itwinId)}/groups`;
  try {
    const groups = await itwinPages<Group>(
      http,
      { url: join(tenant.baseUrl, groupsPath), route: routeTemplate(groupsPath) },
      ITWIN_LISTINGS.groups,
      ctx,
    );
    return groups.find((g) => g.id?.toLowerCase() === ref.groupId.toLowerCase());
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

function memberEmails(group: Group | undefined): string[] {
  return (group?.members ?? [])
    .map((m) => m.email)
    .filter((e): e is string => typeof e === 'string' && e !== '');
}

function limitError(tenant: ITwinTenant, route: string, remaining: number): LeaverError {
  return new LeaverError(
    'vendor_bad_request',
    `iTwin group has ${remaining} other members; a group PATCH takes at most ${ITWIN_GROUP_PATCH_LIMIT}, so the member cannot be removed without dropping others`,
    {
      details: {
        reason: 'group_patch_limit',
        limit: ITWIN_GROUP_PATCH_LIMIT,
        remaining,
        vendor: 'itwin',
        tenantId: tenant.id,
        route,
      },
    },
  );
}

function unverified(tenant: ITwinTenant, route: string, patches: number): LeaverError {
  return new LeaverError(
    'vendor_write_unverified',
    `iTwin accepted ${patches} group PATCH(es) but still lists the member afterwards`,
    { details: { vendor: 'itwin', tenantId: tenant.id, method: 'PATCH', route, patches } },
  );
}

export function lockLost(tenant: ITwinTenant, route: string): LeaverError {
  return new LeaverError(
    'lock_lost',
    'The iTwin group write lease lapsed before the write; nothing more was written',
    { details: { vendor: 'itwin', tenantId: tenant.id, route } },
  );
}

/** A 404 for the iTwin or the group itself (not, say, TeamMemberNotFound for another member's email). */
function isGone(e: unknown): boolean {
  if (!(e instanceof LeaverError) || e.code !== 'vendor_not_found') return false;
  const code = e.details?.vendorCode;
  return code === 'GroupNotFound' || code === 'ItwinNotFound';
}
