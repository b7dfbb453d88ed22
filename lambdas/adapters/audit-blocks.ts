/**
 * How audit records sit in the Audit table: one item holds a block of consecutive records of one
 * chain (stream), so records appended together cost one conditional PutItem (group commit).
 *
 * Item: pk = streamId, seq = the block's first seq (the sort key), last = its last seq,
 * records = the records in order (each exactly as hashed), plus the GSI attributes of its first
 * record: email (every record of a block has the same email, or none), day and atKey.
 * Items written before blocks existed hold one record at the top level; both forms are read.
 *
 * Keying a block by its first seq keeps appends exclusive: a writer whose cached tail is seq T
 * always writes key T + 1, which exists exactly when someone else appended after T.
 */
import type { AuditRecord } from '../core/model.ts';

export type Item = Record<string, unknown>;

/**
 * Records of one block at most, and its serialised size at most (DynamoDB items are <= 400 KB; a
 * record is about 1 KB). A wave of a few hundred actions starting at once fits one or two writes.
 */
export const BLOCK_MAX_RECORDS = 250;
export const BLOCK_MAX_BYTES = 300_000;
/**
 * The widest span of record times inside one block. Time-window queries start this much before
 * `from`, so a block whose first record is earlier but whose later records fall inside is found.
 */
export const BLOCK_MAX_SPAN_MS = 60_000;

/** Item attributes that are keys or index keys, not record fields (single-record items). */
const INDEX_ATTRS = ['pk', 'day', 'atKey'] as const;

const padSeq = (seq: number) => String(seq).padStart(10, '0');

function isoOrSelf(value: string): string {
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}

/** The GSI attributes of a block, from its first record. */
export function auditIndexKeys(rec: Pick<AuditRecord, 'streamId' | 'seq' | 'at'>): {
  day: string;
  atKey: string;
} {
  const at = isoOrSelf(rec.at);
  return { day: at.slice(0, 10), atKey: `${at}#${rec.streamId}#${padSeq(rec.seq)}` };
}

/** The item that stores `records` (consecutive, one stream, non-empty). */
export function blockItem(records: readonly AuditRecord[]): Item {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  return {
    pk: first.streamId,
    seq: first.seq,
    last: last.seq,
    records,
    ...(first.email ? { email: first.email } : {}),
    ...auditIndexKeys(first),
  };
}

/** The records an item holds, in order (a block's list, or a single legacy record). */
export function recordsOf(item: Item): AuditRecord[] {
  if (Array.isArray(item.records)) return item.records as AuditRecord[];
  const rec: Item = { ...item };
  for (const k of INDEX_ATTRS) delete rec[k];
  return [rec as unknown as AuditRecord];
}

/** The last seq an item holds. */
export function lastSeqOf(item: Item): { seq: number; hash: string } | undefined {
  const recs = recordsOf(item);
  const last = recs[recs.length - 1];
  return last && typeof last.seq === 'number' && typeof last.hash === 'string'
    ? { seq: last.seq, hash: last.hash }
    : undefined;
}

/**
 * Whether `next` may join a block that starts with `first` and already holds `count` records of
 * `bytes` serialised bytes: same email (the byEmail index key), same UTC day (the byDay index key),
 * within BLOCK_MAX_SPAN_MS of the first, and the block stays within its limits.
 */
export function fitsBlock(
  first: Pick<AuditRecord, 'email' | 'at'>,
  next: Pick<AuditRecord, 'email' | 'at'>,
  count: number,
  bytes: number,
  nextBytes: number,
): boolean {
  if (count >= BLOCK_MAX_RECORDS || bytes + nextBytes > BLOCK_MAX_BYTES) return false;
  if ((first.email ?? '') !== (next.email ?? '')) return false;
  const a = isoOrSelf(first.at);
  const b = isoOrSelf(next.at);
  if (a.slice(0, 10) !== b.slice(0, 10)) return false;
  const span = Date.parse(b) - Date.parse(a);
  return !Number.isNaN(span) && Math.abs(span) <= BLOCK_MAX_SPAN_MS;
}

export type Key = Record<string, string | number>;

/** Where a page stopped: after the item `k` (undefined: from the start), skipping `o` records of the next. */
export interface BlockCursor {
  k?: Key;
  o: number;
}

/**
 * One page of records from a run of items: reads items (`fetch`, DynamoDB's paging) from `start`,
 * skips `start.o` records of the first item, keeps the records `keep` accepts, and stops at `limit`
 * records; `next` is where the following page starts (absent when the items are exhausted).
 */
export async function pageRecords(opts: {
  start: BlockCursor;
  limit: number;
  fetch: (startKey: Key | undefined, limit: number) => Promise<{ items: Item[]; lastKey?: Key }>;
  keyOf: (item: Item) => Key;
  keep?: (rec: AuditRecord) => boolean;
}): Promise<{ records: AuditRecord[]; next?: BlockCursor }> {
  const { limit, keep = () => true } = opts;
  const records: AuditRecord[] = [];
  let startKey = opts.start.k;
  let skip = opts.start.o;
  for (;;) {
    const page = await opts.fetch(startKey, Math.max(1, Math.min(limit - records.length, 100)));
    for (let i = 0; i < page.items.length; i++) {
      const item = page.items[i]!;
      const recs = recordsOf(item);
      for (let j = skip; j < recs.length; j++) {
        if (keep(recs[j]!)) records.push(recs[j]!);
        if (records.length < limit) continue;
        const more = j + 1 < recs.length;
        if (more) return { records, next: { ...(startKey ? { k: startKey } : {}), o: j + 1 } };
        const after = opts.keyOf(item);
        if (i + 1 < page.items.length || page.lastKey) return { records, next: { k: after, o: 0 } };
        return { records };
      }
      skip = 0;
      startKey = opts.keyOf(item);
    }
    if (!page.lastKey) return { records };
    startKey = page.lastKey;
  }
}
