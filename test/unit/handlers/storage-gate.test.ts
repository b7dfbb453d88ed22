/**
 * The local runtime's storage gate: at close, calls under way finish against dynalite, and calls
 * made afterwards are refused (storage_unavailable) instead of reaching a database being closed.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { gateStorage } from '../../../local/storage-gate.ts';

let dynalite: RunningDynalite;
let client: DynamoDBClient;
beforeAll(async () => {
  dynalite = await startDynalite({ host: '127.0.0.1' });
  client = new DynamoDBClient({
    region: 'local',
    endpoint: dynalite.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await dynalite.close();
});

describe('storage gate', () => {
  it('lets the calls under way finish, then refuses new ones', async () => {
    const gate = gateStorage(client);
    expect(await client.send(new ListTablesCommand({}))).toHaveProperty('TableNames');
    let ended = false;
    const underWay = client.send(new ListTablesCommand({})).then((r) => {
      ended = true;
      return r;
    });
    await gate.close();
    // close() resolved only after the call it found under way had its answer.
    expect(ended).toBe(true);
    expect(await underWay).toHaveProperty('TableNames');
    await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({
      code: 'storage_unavailable',
    });
  });
});
