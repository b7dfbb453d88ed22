/** Helpers every connector uses: subject matching, grant collection, id checks, delete-as-revoke. */

import type * as z from 'zod';
import type { TenantConfig } from '../../core/config.ts';
import { LeaverError } from '../../core/errors.ts';
import {
  type Grant,
  type GrantOfVendor,
  normaliseEmail,
  type Subject,
  subjectEmails,
  type VendorId,
} from '../../core/model.ts';
import type { Ctx, RevokeResult } from '../../core/ports.ts';
import { assertGrantIds, isGrantKind, vendorOfKind } from '../../core/vendor-ids.ts';
import type { VendorHttp } from '../http/client.ts';
import { parseAnswer } from '../http/schema.ts';
import type { HttpRequest, HttpResult } from '../http/types.ts';

/** Every address of every subject (lower-case) -> the subject's index. */
export function emailIndex(subjects: readonly Subject[]): Map<string, number> {
  const index = new Map<string, number>();
  subjects.forEach((s, i) => {
    for (const e of subjectEmails(s)) if (!index.has(e)) index.set(e, i);
  });
  return index;
}

/** Collect the grants of every person a listing shows (the inventory), not of named subjects. */
export const EVERYONE = 'everyone';

/**
 * Collects grants; the same access found twice for one subject is kept once. Every address it is
 * asked about counts as a person seen in the tenant (the blast-radius guard's denominator).
 *
 * Given EVERYONE instead of an email index it keeps every person's grants (an inventory listing):
 * every address then counts as leaving, so the connectors' last-owner rule marks every owner whose
 * scope no nameless owner keeps; `ownerMarks` turns those marks into `owner`, and the last owner is
 * decided later, once the leavers are known (core/listings.ts).
 */
export class GrantCollector {
  private readonly seen = new Set<string>();
  private readonly people = new Set<string>();
  private peopleFloor = 0;
  readonly grants: Grant[] = [];

  constructor(private readonly index: Map<string, number> | typeof EVERYONE) {}

  /** True when it collects every person's grants (an inventory listing). */
  get everyone(): boolean {
    return this.index === EVERYONE;
  }

  /** Every address of every subject (lower-case); none for an inventory listing. */
  get addresses(): string[] {
    return this.index === EVERYONE ? [] : [...this.index.keys()];
  }

  /** Whether `email` (any case) belongs to someone whose grants are collected. */
  isLeaving(email: unknown): boolean {
    if (typeof email !== 'string' || email === '') return false;
    return this.index === EVERYONE || this.index.has(normaliseEmail(email));
  }

  /**
   * A listing read only in part (Atlas `username` queries instead of its later pages) still knows
   * from its `totalCount` how many people it holds: report at least that many.
   */
  atLeast(people: number): void {
    if (Number.isFinite(people)) this.peopleFloor = Math.max(this.peopleFloor, people);
  }

  /** The matched, lower-cased address if `email` belongs to a subject. */
  match(email: unknown): string | undefined {
    if (typeof email !== 'string' || email === '') return undefined;
    const e = normaliseEmail(email);
    this.people.add(e);
    return this.index === EVERYONE || this.index.has(e) ? e : undefined;
  }

  /** Tells the caller how many distinct people the listing saw, then returns the grants. */
  finish(ctx: Ctx, vendor: VendorId, tenantId: string): Grant[] {
    ctx.onPeopleSeen?.({ vendor, tenantId, people: Math.max(this.people.size, this.peopleFloor) });
    return this.grants;
  }

  add(grant: Grant): void {
    const all: Readonly<Record<string, string>> = grant.ids;
    const ids = Object.keys(all)
      .sort()
      .map((k) => `${k}=${all[k]}`)
      .join(',');
    const who = this.index === EVERYONE ? grant.email : this.index.get(grant.email);
    const key = `${grant.kind}:${ids}:${who}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.grants.push(grant);
  }
}

/**
 * An inventory listing's grants with the connectors' last-owner marks turned into `owner` (see
 * GrantCollector): whether a leaver is the last owner depends on who else leaves with them.
 */
export function ownerMarks(grants: readonly Grant[]): Grant[] {
  return grants.map(({ lastOwner, ...g }) => (lastOwner ? { ...g, owner: true } : g));
}

/**
 * Refuses a grant of another vendor or tenant, of a kind that is not the vendor's, or with ids not
 * in the kind's formats; past it, the grant is one of the vendor's kinds (a switch narrows its ids).
 */
export function checkGrant<V extends VendorId>(
  grant: Grant,
  vendor: V,
  tenantId: string,
): asserts grant is GrantOfVendor<V> {
  if (
    grant.vendor !== vendor ||
    grant.tenantId !== tenantId ||
    !isGrantKind(grant.kind) ||
    vendorOfKind(grant.kind) !== vendor
  ) {
    throw new LeaverError(
      'invalid_request',
      `grant ${grant.kind} does not belong to ${vendor} tenant ${tenantId}`,
      {
        details: { vendor, tenantId, kind: grant.kind },
      },
    );
  }
  assertGrantIds(grant.kind, grant.ids);
}

/** A removal call where the vendor's 404 means the access is already gone. */
export async function removeCall(
  http: VendorHttp,
  req: Omit<HttpRequest, 'acceptStatuses'>,
  ctx: Ctx,
): Promise<RevokeResult> {
  const res = await http.request({ ...req, acceptStatuses: [404] }, ctx);
  return {
    outcome: res.status === 404 ? 'already_absent' : 'revoked',
    vendorRequestId: res.vendorRequestId,
    attempts: res.attempts,
  };
}

export function enc(id: string): string {
  return encodeURIComponent(id);
}

/** Joins a base URL (no trailing slash needed) and a path. */
export function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/**
 * A bare JSON array body (MongoDB invitation lists), each item checked against `item`; anything
 * else is vendor_unexpected_response.
 */
export function arrayBody<T>(
  http: VendorHttp,
  res: HttpResult,
  route: string,
  list: () => z.ZodType<T[]>,
): T[] {
  return parseAnswer(list(), res.body, { ...http.target, method: 'GET', route }, res.vendorRequestId);
}

export function wrongVendor(t: TenantConfig, vendor: VendorId): LeaverError {
  return new LeaverError('config_invalid', `tenant ${t.id} is a ${t.vendor} tenant, not ${vendor}`, {
    details: { tenantId: t.id, vendor: t.vendor },
  });
}

export function wrongScope(tenantId: string): LeaverError {
  return new LeaverError('invalid_request', `not an inventory scope of tenant ${tenantId}`, {
    details: { tenantId },
  });
}

export function unsupported(grant: Grant): LeaverError {
  return new LeaverError('invalid_request', `grant kind ${grant.kind} is not supported here`, {
    details: { kind: grant.kind },
  });
}
