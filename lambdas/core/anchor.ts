/** The digest writer's and the verifier's dependencies, from the engine's. */
import type { EngineDeps } from './deps.ts';
import type { DigestDeps, VerifyDeps } from './digest-ports.ts';
import { LeaverError } from './errors.ts';

export function digestDeps(deps: EngineDeps): DigestDeps | undefined {
  const a = deps.anchor;
  return (
    a && {
      audit: deps.audit,
      ...a,
      clock: deps.clock,
      log: deps.log,
      ...(deps.leaseHolder ? { leaseHolder: deps.leaseHolder } : {}),
    }
  );
}

/** What verification needs; the trusted key is the signer's own public key. */
export async function verifyDeps(deps: EngineDeps): Promise<VerifyDeps> {
  const a = deps.anchor;
  if (!a) throw new LeaverError('config_invalid', 'Audit digests are not configured here');
  return {
    audit: deps.audit,
    store: deps.store,
    archive: a.archive,
    state: a.state,
    publicKeyPem: await a.signer.publicKeyPem(),
    clock: deps.clock,
  };
}
