/**
 * Lets the local runtime close its embedded DynamoDB cleanly. Work can outlive the request that
 * started it (a discovery that failed on one listing answers at once while its other listings
 * finish, each still taking from the rate budget kept in the table), and dynalite closed under a
 * request it is still writing throws from its own callbacks, where nothing can catch it. So at
 * close the gate refuses new calls (storage_unavailable, as any outage) and waits for those under
 * way before the database goes.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LeaverError } from '../lambdas/core/errors.ts';

/** How long close waits for calls under way; dynalite answers in milliseconds. */
const DRAIN_LIMIT_MS = 5_000;

export interface StorageGate {
  /** Refuses every call from now on and resolves once those under way have ended. */
  close(): Promise<void>;
}

export function gateStorage(client: DynamoDBClient): StorageGate {
  const underWay = new Set<Promise<unknown>>();
  let closed = false;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (closed) throw new LeaverError('storage_unavailable', 'the local runtime is closing');
      const call = next(args);
      underWay.add(call);
      try {
        return await call;
      } finally {
        underWay.delete(call);
      }
    },
    { step: 'initialize', name: 'leaverStorageGate' },
  );
  return {
    async close() {
      closed = true;
      const limit = Date.now() + DRAIN_LIMIT_MS;
      while (underWay.size > 0 && Date.now() < limit) {
        await Promise.race([
          Promise.allSettled([...underWay]),
          new Promise((r) => setTimeout(r, Math.max(1, limit - Date.now()))),
        ]);
      }
    },
  };
}
