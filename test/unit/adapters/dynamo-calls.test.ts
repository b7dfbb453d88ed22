import { describe, expect, it } from 'vitest';
import { conditionalWrite, storageCall } from '../../../lambdas/adapters/dynamo-calls.ts';

/** An error shaped as the AWS SDK throws it (the name is what the adapters read). */
function awsError(name: string): Error {
  const e = new Error(`${name} happened`);
  e.name = name;
  return e;
}

describe('conditionalWrite', () => {
  it('gives the call output when the write went through', async () => {
    await expect(conditionalWrite('Writing', async () => ({ Attributes: { n: 1 } }))).resolves.toEqual({
      Attributes: { n: 1 },
    });
  });

  it('gives undefined when the condition did not hold', async () => {
    await expect(
      conditionalWrite('Writing', async () => {
        throw awsError('ConditionalCheckFailedException');
      }),
    ).resolves.toBeUndefined();
  });

  it('turns a throttled write into storage_unavailable (retryable) naming what was being done', async () => {
    await expect(
      conditionalWrite('Claiming the lease', async () => {
        throw awsError('ProvisionedThroughputExceededException');
      }),
    ).rejects.toMatchObject({
      code: 'storage_unavailable',
      retryable: true,
      message: expect.stringContaining('Claiming the lease'),
    });
  });

  it('turns a refused request (a bug or misconfiguration) into internal', async () => {
    await expect(
      conditionalWrite('Writing', async () => {
        throw awsError('ValidationException');
      }),
    ).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('storageCall', () => {
  it('passes the output through, and a failed condition is an error like any other', async () => {
    await expect(storageCall('Reading', async () => 7)).resolves.toBe(7);
    await expect(
      storageCall('Reading a lock', async () => {
        throw awsError('ConditionalCheckFailedException');
      }),
    ).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('Reading a lock') });
  });
});
