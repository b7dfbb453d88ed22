/**
 * DynamoDigestState's writer lease on moto_server and dynalite: a live holder's lease keeps others
 * out until it lapses; a caller alone on its storage (the local runtime) takes over, at once, a lease
 * whose owner is not one of its own (left by a process that died), and never one of its own. Chains
 * asked to be anchored while the lease is held wait in a set only the holder takes them off.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDigestState } from '../../../lambdas/adapters/dynamo-digest-state.ts';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { dynamoClient, uniqueName } from './support.ts';

const NOW = '2026-11-23T12:00:00.000Z';
const LATER = '2026-11-23T12:02:00.000Z';

describe.each(['moto', 'dynalite'] as const)('DynamoDigestState on %s', (kind) => {
  let dynalite: RunningDynalite | undefined;
  let state: DynamoDigestState;
  let destroy: () => void;
  beforeAll(async () => {
    let endpoint = inject('motoEndpoint');
    if (kind === 'dynalite') {
      dynalite = await startDynalite();
      endpoint = dynalite.endpoint;
    }
    const client = dynamoClient(endpoint);
    destroy = () => client.destroy();
    const names = { offboardingsTable: uniqueName('digest-state'), auditTable: uniqueName('digest-audit') };
    await createTables(client, names);
    state = new DynamoDigestState({ client, tableName: names.offboardingsTable });
  });
  afterAll(async () => {
    destroy?.();
    await dynalite?.close();
  });

  it('keeps a live lease from others, and lets a lone process take over a dead one at once', async () => {
    expect(await state.claim('old-life/w1', LATER, NOW)).toEqual({ seq: 0 });
    // Anyone else, not alone on the storage: busy until the lease lapses.
    expect(await state.claim('other/w2', LATER, NOW)).toBeUndefined();
    // The same process's other writer (same prefix) is live: still busy.
    expect(await state.claim('old-life/w3', LATER, NOW, 'old-life/')).toBeUndefined();
    // A new life of the local runtime: the lease belongs to a process that is gone.
    expect(await state.claim('new-life/w1', LATER, NOW, 'new-life/')).toEqual({ seq: 0 });
    await expect(state.save('old-life/w1', { seq: 1, hash: 'a'.repeat(64) })).rejects.toMatchObject({
      code: 'conflict',
    });
    await state.save('new-life/w1', { seq: 1, hash: 'b'.repeat(64) });
    // Its own second writer waits for it like anyone else.
    expect(await state.claim('new-life/w2', LATER, NOW, 'new-life/')).toBeUndefined();
    await state.release('new-life/w1');
    expect(await state.claim('other/w2', LATER, NOW)).toEqual({ seq: 1, hash: 'b'.repeat(64) });
    await state.release('other/w2');
  });

  it('requests: anyone adds chains (a set), only the holder takes them off, and saving keeps them', async () => {
    await state.request(['off_b', 'off_a']);
    await state.request(['off_a', 'off_c']);
    expect((await state.read()).requested).toEqual(['off_a', 'off_b', 'off_c']);
    const head = await state.claim('writer/w1', LATER, NOW);
    expect(head?.requested).toEqual(['off_a', 'off_b', 'off_c']);
    await state.save('writer/w1', { seq: 2, hash: 'c'.repeat(64) });
    expect((await state.read()).requested).toEqual(['off_a', 'off_b', 'off_c']);
    // Not the holder: refused, and nothing taken off.
    await expect(state.forget('other/w9', ['off_a'])).rejects.toMatchObject({ code: 'conflict' });
    // A chain asked for after the holder read the set stays asked for.
    await state.request(['off_d']);
    await state.forget('writer/w1', ['off_a', 'off_b', 'off_c']);
    expect((await state.read()).requested).toEqual(['off_d']);
    await state.forget('writer/w1', ['off_d']);
    expect((await state.read()).requested).toBeUndefined();
    await state.release('writer/w1');
  });
});
