/**
 * Writing digests. One writer at a time (a lease in the digest state): it names every chain appended
 * to since the previous digest's window (read back a little further, for index lag) with its current
 * head, signs the body, records the signed digest as pending (write-ahead), stores it in the archive
 * (which refuses to overwrite), then moves the head. A writer that finds a pending digest (its
 * predecessor died between the two steps) stores that one first, so the digest chain never forks
 * or skips a seq because of a crash. Nothing appended since the last window: no digest. A digest
 * for offboardings that just finished names only their chains and leaves the window alone.
 *
 * Chains that asked to be anchored while the lease was held (anchorNow) wait in the state's
 * `requested` set: every digest names them too, and a writer checks the set once more after it
 * lets the lease go, so a request made during its run is anchored at once, not at the next
 * periodic digest.
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
  /** Chains left in the state's `requested` set for the lease's holder to name (anchorNow). */
  requested?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Runs after the first that a writer makes for requests that came in while it held the lease. */
const MAX_FOLLOW_UPS = 3;

export async function writeDigest(
  deps: DigestDeps,
  opts: { reason: DigestBody['reason']; streams?: readonly string[] },
): Promise<DigestRun> {
  const run = await writeOnce(deps, opts);
  if (run.busy) return run;
  // Requests posted while this run held the lease: their posters found it busy, and left them to us.
  for (let i = 0; i < MAX_FOLLOW_UPS; i++) {
    const { requested } = await deps.state.read();
    if (!requested?.length) break;
    const next = await writeOnce(deps, { reason: 'finished', streams: [] });
    if (next.busy) break; // the writer that has it now names them
    run.written.push(...next.written);
    run.chains += next.chains;
  }
  return run;
}

async function writeOnce(
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
    const requested = head.requested ?? [];
    const streams = new Set([...(opts.streams ?? []), ...requested]);
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
      await deps.state.forget(owner, requested);
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
    await deps.state.forget(owner, requested);
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
 * next periodic run. While another writer holds the lease, the chains are left in the state's
 * `requested` set, which that writer (or the next) names; the caller does not wait for it.
 */
export async function anchorNow(deps: DigestDeps, streams: readonly string[]): Promise<DigestRun> {
  const run = await writeDigest(deps, { reason: 'finished', streams });
  if (!run.busy) return run;
  await deps.state.request(streams);
  // The holder may have let the lease go between our claim and the request (and checked the set
  // before it was made): one more try covers that gap; busy again means a holder that will see it.
  const again = await writeDigest(deps, { reason: 'finished', streams });
  return again.busy ? { ...again, requested: streams.length } : again;
}
