/** What the sandbox's own state still grants a set of people (the benchmarks' "nothing lost" check). */
import type { ItwinState } from '../../sandbox/itwin/types.ts';
import type { SandboxClient } from './control.ts';

interface MongoState {
  teams: { id: string; usernames: string[] }[];
  users: { username: string; orgRoles: unknown[]; projectRoles: unknown[]; teamIds: string[] }[];
  orgInvitations: { username: string; status: string }[];
  groupInvitations: { username: string; status: string }[];
}

export interface Remaining {
  itwin: number;
  atlas: number;
  cloudmanager: number;
  total: number;
}

/** Grants (memberships, group memberships, pending invitations) any of `emails` still holds. */
export async function remainingGrants(sandbox: SandboxClient, emails: Iterable<string>): Promise<Remaining> {
  const set = new Set([...emails].map((e) => e.toLowerCase()));
  const has = (e: string | undefined | null) => typeof e === 'string' && set.has(e.toLowerCase());
  const it = await sandbox.state<ItwinState>('itwin');
  let itwin = 0;
  for (const t of it.itwins) {
    itwin += t.members.filter((m) => has(m.email)).length;
    itwin += t.owners.filter((m) => has(m.email)).length;
    for (const g of t.groups) itwin += g.members.filter((m) => has(m.email)).length;
    itwin += t.invitations.filter((i) => has(i.email)).length;
    itwin += t.groupInvitations.filter((i) => has(i.email)).length;
  }
  const mongo = async (vendor: 'atlas' | 'cloudmanager') => {
    const s = await sandbox.state<MongoState>(vendor);
    let n = 0;
    for (const u of s.users) {
      if (!has(u.username)) continue;
      n += u.orgRoles.length + u.projectRoles.length + u.teamIds.length;
    }
    n += s.orgInvitations.filter((i) => has(i.username) && i.status === 'PENDING').length;
    n += s.groupInvitations.filter((i) => has(i.username) && i.status === 'PENDING').length;
    return n;
  };
  const atlas = await mongo('atlas');
  const cloudmanager = await mongo('cloudmanager');
  return { itwin, atlas, cloudmanager, total: itwin + atlas + cloudmanager };
}
