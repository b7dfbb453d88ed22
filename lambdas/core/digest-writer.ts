/**
 * Writing digests. One writer at a time (a lease in the digest state): it names every chain appended
 * to since the previous digest's window (read back a little further, for index lag) with its current
 * head, signs the body, records the signed digest as pending (write-ahead), stores it in the archive
 * (which refuses to overwrite), then moves the head. A writer that finds a pending digest (its
 * predecessor died between the two steps) stores that one first, so the digest chain never forks
 * or skips a seq because of a crash. Nothing appended since the last window: no digest. A digest
 * for offboardings that just finished names only their chains and leaves the window alone.
 */
import { randomUUID } from 'node:crypto';
import { mapLimit } from './concurrency.ts';
import {
  bodyBytes,
  type ChainHead,
  DIGEST_FORMAT,
  type DigestBody,
  type DigestRef,
  digestKey,
  ENVELOPE_FORMAT,
  envelopeBytes,
  keyIdOf,
  sha256Bytes,
  sha256Hex,
} from './digest.ts';
import type { DigestDeps, DigestHead } from './digest-ports.ts';
import { LeaverError } from './errors.ts';

/** How long a writer's lease lasts; its saves fail once another writer has taken over. */
export const DIGEST_LEASE_MS = 2 * 60_000;
/** Chains one digest names at most; more make several digests in a row. */
export const MAX_CHAINS_PER_DIGEST = 500;
/** How far before the previous window's end a run looks again (index lag, records stamped just before). */
export const DIGEST_OVERLAP_MS = 2 * 60_000;
/** The window of the very first digest. */
export const FIRST_DIGEST_LOOKBACK_MS = 7 * 86_400_000;

export interface DigestRun {
  /** The digests stored by this run (a recovered pending one included). */
  written: DigestRef[];
  /** Chains named. */
  chains: number;
  /** Another writer held the lease: nothing was done. */
  busy?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export async function writeDigest(
  deps: DigestDeps,
  opts: { reason: DigestBody['reason']; streams?: readonly string[] },
): Promise<DigestRun> {
  const holder = deps.leaseHolder;
  const owner = holder ? `${holder.id}/${randomUUID()}` : randomUUID();
  const started = deps.clock.now().getTime();
  let head = await deps.state.claim(
    owner,
    iso(started + DIGEST_LEASE_MS),
    iso(started),
    holder?.exclusive ? `${holder.id}/` : undefined,
  );
  if (!head) return { written: [], chains: 0, busy: true };
  try {
    const written: DigestRef[] = [];
    if (head.pending) {
      const recovered = head.pending;
      head = await publish(deps, owner, recovered);
      written.push(recovered.ref);
    }
    // A digest for offboardings that just finished names their chains only, and leaves the periodic
    // window where it was: the next periodic digest still names every chain appended in it. Listing
    // the whole window for every finishing batch would read every recent chain's tail each time.
    const onlyNamed = opts.reason === 'finished' && opts.streams !== undefined;
    const to = onlyNamed ? head.coveredTo : deps.clock.now().toISOString();
    const streams = new Set(opts.streams ?? []);
    if (!onlyNamed) {
      const now = to!;
      const from = head.coveredTo
        ? iso(Date.parse(head.coveredTo) - DIGEST_OVERLAP_MS)
        : iso(Date.parse(now) - FIRST_DIGEST_LOOKBACK_MS);
      for (const s of await deps.audit.appendedSince(from, now)) streams.add(s);
    }
    const heads = (
      await mapLimit([...streams].sort(), 16, async (chain): Promise<ChainHead | undefined> => {
        const tail = await deps.audit.tail(chain);
        return tail && tail.seq > 0 ? { chain, seq: tail.seq, hash: tail.hash } : undefined;
      })
    ).filter((h): h is ChainHead => h !== undefined);
    if (heads.length === 0) {
      // Nothing to anchor: only the window moves on.
      if (!onlyNamed) await deps.state.save(owner, { seq: head.seq, hash: head.hash, coveredTo: to });
      return { written, chains: 0 };
    }
    const keyId = keyIdOf(await deps.signer.publicKeyPem());
    for (let i = 0; i < heads.length; i += MAX_CHAINS_PER_DIGEST) {
      if (head.seq > 0 && !head.hash) {
        throw new LeaverError('storage_unavailable', 'The digest state names a digest without its hash');
      }
      const time = deps.clock.now().toISOString();
      const body: DigestBody = {
        format: DIGEST_FORMAT,
        seq: head.seq + 1,
        time,
        reason: opts.reason,
        previous: head.seq > 0 ? { seq: head.seq, hash: head.hash! } : null,
        keyId,
        chains: heads.slice(i, i + MAX_CHAINS_PER_DIGEST),
      };
      const bytes = bodyBytes(body);
      const signature = await deps.signer.signHash(sha256Bytes(bytes));
      const envelope = envelopeBytes({
        format: ENVELOPE_FORMAT,
        body: b64(bytes),
        signature: b64(signature),
      });
      const pending = {
        ref: { seq: body.seq, time, key: digestKey(body.seq, time) },
        hash: sha256Hex(bytes),
        ...(to ? { coveredTo: to } : {}),
        envelope: b64(envelope),
      };
      // Write-ahead: a writer that dies after this stores the same digest next time.
      await deps.state.save(owner, { ...head, pending });
      head = await publish(deps, owner, pending);
      written.push(pending.ref);
    }
    return { written, chains: heads.length };
  } finally {
    await deps.state.release(owner).catch(() => undefined);
  }
}

/** Stores a signed digest and moves the head to it. */
async function publish(
  deps: DigestDeps,
  owner: string,
  pending: NonNullable<DigestHead['pending']>,
): Promise<DigestHead> {
  const stored = await deps.archive.put(pending.ref, Buffer.from(pending.envelope, 'base64'));
  if (stored === 'exists') {
    // Normally an earlier attempt that stored it and died before moving the head. Anything else
    // (another writer at this key) shows as a break in the digest chain when verified.
    deps.log.warn('digest already in the archive; taking it as stored', { digestSeq: pending.ref.seq });
  }
  const head: DigestHead = {
    seq: pending.ref.seq,
    hash: pending.hash,
    ...(pending.coveredTo ? { coveredTo: pending.coveredTo } : {}),
  };
  await deps.state.save(owner, head);
  return head;
}

/**
 * Anchors offboardings that just finished: a digest naming their chains now rather than at the
 * next periodic run. While another writer holds the lease (it may have listed the chains before
 * these finished), tries again for up to `waitMs`; after that the periodic run anchors them.
 */
export async function anchorNow(
  deps: DigestDeps,
  streams: readonly string[],
  opts: { waitMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<DigestRun> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const until = Date.now() + (opts.waitMs ?? 10_000);
  for (;;) {
    const run = await writeDigest(deps, { reason: 'finished', streams });
    if (!run.busy || Date.now() >= until) return run;
    await sleep(250);
  }
}
