import { ActionError } from './api-error.ts';
import type { DigestVerifier } from './digest.ts';
import type { MongoSeedGroupInvitation, MongoSeedOrgInvitation, MongoSeedUser } from './seed.ts';
import type { MongoStore } from './store.ts';

/**
 * Control actions both MongoDB emulators share:
 * - `accept-invitation` `{ invitationId }` or `{ username }` (every pending invitation of that user)
 *   -> `{ userId, accepted: [ids] }`
 * - `add-org-invitation` (MongoSeedOrgInvitation) -> `{ id }`
 * - `add-group-invitation` (MongoSeedGroupInvitation) -> `{ id }`
 * - `add-user` (MongoSeedUser) -> `{ id }`
 * - `set-nonce-ttl` `{ seconds }` -> `{ ok }`
 * Returns `undefined` for an action it does not know.
 */
export function sharedAction(
  store: MongoStore,
  digest: DigestVerifier,
  action: string,
  payload: unknown,
): unknown | undefined {
  const p = (payload ?? {}) as Record<string, unknown>;
  switch (action) {
    case 'accept-invitation': {
      if (typeof p.invitationId === 'string') {
        const r = store.accept(p.invitationId);
        return { userId: r.userId, accepted: [p.invitationId] };
      }
      if (typeof p.username === 'string') {
        const ids = store.pendingInvitationIdsOf(p.username);
        if (ids.length === 0) throw new ActionError(404, 'no pending invitation for that username');
        let userId = '';
        for (const id of ids) userId = store.accept(id).userId;
        return { userId, accepted: ids };
      }
      throw new ActionError(400, 'accept-invitation needs { invitationId } or { username }');
    }
    case 'add-org-invitation':
      return { id: store.addOrgInvite(p as unknown as MongoSeedOrgInvitation).id };
    case 'add-group-invitation':
      return { id: store.addGroupInvite(p as unknown as MongoSeedGroupInvitation).id };
    case 'add-user':
      return { id: store.addAccount(p as unknown as MongoSeedUser).id };
    case 'set-nonce-ttl': {
      if (typeof p.seconds !== 'number' || !(p.seconds > 0))
        throw new ActionError(400, 'seconds must be > 0');
      digest.setNonceTtl(p.seconds * 1000);
      return { ok: true };
    }
    default:
      return undefined;
  }
}

export function unknownAction(vendor: string, action: string): ActionError {
  return new ActionError(404, `unknown ${vendor} control action ${action}`);
}
