/**
 * Building an evidence pack (evidence.ts) from the stores: the offboarding, its chain, the run of
 * archived digests that name it, and the trusted public key.
 */

import { readChain, refsBetween } from './audit-verify.ts';
import { claimOf } from './audited-state.ts';
import { mapLimit } from './concurrency.ts';
import { canonicalPem, openEnvelope, timeOfId } from './digest.ts';
import { listDigestsFrom } from './digest-listing.ts';
import type { VerifyDeps } from './digest-ports.ts';
import { LeaverError } from './errors.ts';
import { digestRunFor, EVIDENCE_FORMAT, type EvidencePack, packClaim } from './evidence.ts';

/** How far before an id's own time its digests are looked for (clocks differ). */
const ID_TIME_MARGIN_MS = 10 * 60_000;

export async function exportEvidence(deps: VerifyDeps, id: string): Promise<EvidencePack> {
  const [records, off] = await Promise.all([readChain(deps.audit, id), deps.store.get(id)]);
  const t = timeOfId(id);
  const from = t ? new Date(t.getTime() - ID_TIME_MARGIN_MS).toISOString() : undefined;
  const refs = refsBetween((await listDigestsFrom(deps.archive, deps.state, from)).refs, from);
  const raws = await mapLimit(refs, 16, (ref) => deps.archive.get(ref.key));
  const digests = refs.flatMap((ref, i) => {
    const raw = raws[i];
    if (!raw) return [];
    const opened = openEnvelope(raw);
    return [{ ref, raw, chains: opened.ok ? opened.body.chains.map((c) => c.chain) : [] }];
  });
  const run = digestRunFor(id, digests);
  if (records.length === 0 && !off && run.length === 0) {
    throw new LeaverError('not_found', `No offboarding, audit records or digests for ${id}`);
  }
  return {
    format: EVIDENCE_FORMAT,
    chain: id,
    offboarding: off ? packClaim(claimOf(off)) : null,
    records,
    digests: run,
    publicKey: canonicalPem(deps.publicKeyPem) ?? deps.publicKeyPem,
  };
}
