/**
 * The audit trail's hash chain. Each record of a stream (one offboarding, or `global`) carries the
 * sha256 of its own canonical content and the hash of the record before it (`GENESIS_HASH` for the
 * first), so changing, removing or inserting any record breaks every link after it.
 *
 * The hash covers every field except `hash` itself (prevHash and seq included), serialised as
 * canonical JSON: object keys sorted recursively, undefined values dropped, arrays in order.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from './model.ts';
import type { AuditLog } from './ports.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level and undefined members dropped (as JSON.stringify). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    // undefined, functions and symbols serialise as undefined at top level: treat them as null.
    return s === undefined ? 'null' : s;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** sha256 hex of the record's canonical JSON without its `hash` field. */
export function hashRecord(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _ignored, ...rest } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

export type ChainVerdict = { ok: true; count: number } | { ok: false; brokenAt: number; reason: string };

/**
 * Checks one stream's records in the order given: seq runs 1, 2, 3... without gaps, every record
 * names the previous record's hash (the first names GENESIS_HASH), every hash matches the content,
 * and all records belong to the same stream. `brokenAt` is the seq position where it first fails.
 */
export function verifyChain(records: readonly AuditRecord[]): ChainVerdict {
  let prevHash = GENESIS_HASH;
  const streamId = records[0]?.streamId;
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    const expectedSeq = i + 1;
    if (rec.seq !== expectedSeq) {
      return { ok: false, brokenAt: expectedSeq, reason: `expected seq ${expectedSeq}, found ${rec.seq}` };
    }
    if (rec.streamId !== streamId) {
      return { ok: false, brokenAt: expectedSeq, reason: 'record belongs to another stream' };
    }
    if (rec.prevHash !== prevHash) {
      return { ok: false, brokenAt: expectedSeq, reason: 'prevHash does not match the previous record' };
    }
    if (hashRecord(rec) !== rec.hash) {
      return { ok: false, brokenAt: expectedSeq, reason: 'hash does not match the record content' };
    }
    prevHash = rec.hash;
  }
  return { ok: true, count: records.length };
}

/** Reads a whole stream through the AuditLog port (every page) and verifies it. */
export async function verifyStream(
  audit: Pick<AuditLog, 'stream'>,
  streamId: string,
): Promise<ChainVerdict & { records: AuditRecord[] }> {
  const records: AuditRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await audit.stream(streamId, { limit: 500, cursor });
    records.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return { ...verifyChain(records), records };
}
