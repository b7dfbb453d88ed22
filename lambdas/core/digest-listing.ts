/**
 * Finding the digests of a time window without listing the whole archive: digest keys sort by seq
 * and their times grow with it, so the first digest at or after a time is found by bisecting the
 * seqs (one one-key listing per step, about 17 for a year of five-minute digests), and the listing
 * starts from the digest before it.
 */
import type { DigestRef } from './digest.ts';
import type { DigestArchive, DigestStateStore } from './digest-ports.ts';

export interface DigestListing {
  /** The digests from `fromSeq` on, in key order. */
  refs: DigestRef[];
  /** The first seq listed (1 when the whole archive was listed). */
  fromSeq: number;
  /** The last seq the writer's state names (a hint: the archive is the record). */
  headSeq?: number;
}

export async function listDigestsFrom(
  archive: Pick<DigestArchive, 'list'>,
  state: Pick<DigestStateStore, 'read'> | undefined,
  from: string | undefined,
): Promise<DigestListing> {
  const head = state ? await state.read().catch(() => undefined) : undefined;
  const headSeq = head?.seq;
  if (from === undefined || !headSeq) return { refs: await archive.list(), fromSeq: 1, headSeq };
  // The smallest seq whose digest is at or after `from` (headSeq + 1 when none is).
  let lo = 1;
  let hi = headSeq + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const [ref] = await archive.list({ afterSeq: mid - 1, limit: 1 });
    if (!ref || ref.time >= from) hi = mid;
    else lo = Math.max(mid + 1, ref.seq + 1);
  }
  // One before, so its successor's link to it is checked too.
  const fromSeq = Math.max(1, lo - 1);
  return { refs: await archive.list({ afterSeq: fromSeq - 1 }), fromSeq, headSeq };
}
