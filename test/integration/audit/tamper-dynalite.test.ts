/**
 * The tamper matrix (matrix.ts) on dynalite, the local runtime's DynamoDB, with its key pair and
 * digests folder.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe } from 'vitest';
import { type RunningDynalite, startDynalite } from '../../../local/adapters/dynalite-server.ts';
import { type Backend, dynaliteBackend } from './harness.ts';
import { tamperMatrix } from './matrix.ts';

let dynalite: RunningDynalite;
let client: DynamoDBClient;
let shared: Backend;

beforeAll(async () => {
  dynalite = await startDynalite();
  client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  shared = await dynaliteBackend(client);
});

afterAll(async () => {
  client?.destroy();
  await dynalite?.close();
});

describe('tamper matrix on dynalite (key pair, digests folder)', () => {
  tamperMatrix(
    () => shared,
    () => dynaliteBackend(client),
  );
});
