import '../support/env.ts';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createTables } from '../../lambdas/adapters/index.ts';
import { startDynaliteProcess } from '../support/processes.ts';

const d = await startDynaliteProcess();
const c = new DynamoDBClient({
  endpoint: d.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
await createTables(c, { offboardingsTable: 'ooo', auditTable: 'aaa' });
await c.send(
  new CreateTableCommand({
    TableName: 'plain',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  }),
);
await new Promise((r) => setTimeout(r, 500));
for (const table of ['plain', 'ooo'])
  for (const conc of [1, 4, 16]) {
    let n = 0;
    const N = 400;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (n < N) {
          const i = n++;
          await c.send(
            new PutItemCommand({
              TableName: table,
              Item: { pk: { S: `x${table}${conc}${i}` }, sk: { S: 'META' }, v: { S: 'y'.repeat(200) } },
            }),
          );
        }
      }),
    );
    console.log(table, conc, Math.round(N / ((performance.now() - t) / 1000)), '/s');
  }
await d.stop();
