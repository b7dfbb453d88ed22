import { describe, expect, it } from 'vitest';
import { mapLimit, settleAll } from '../../../lambdas/core/concurrency.ts';

/** A promise settled by hand, so the test decides the order of events. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('settleAll', () => {
  it('reports a failure only after every other promise has settled', async () => {
    const slow = deferred<number>();
    const events: string[] = [];
    const all = settleAll([
      Promise.reject(new Error('first')),
      slow.promise.then((v) => events.push(`slow ${v}`)),
    ]);
    all.catch(() => events.push('rejected'));
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
    slow.resolve(1);
    await expect(all).rejects.toThrow('first');
    expect(events).toEqual(['slow 1', 'rejected']);
  });

  it('gives the values in order when all succeed', async () => {
    await expect(settleAll([Promise.resolve('a'), Promise.resolve('b')])).resolves.toEqual(['a', 'b']);
  });
});

describe('mapLimit', () => {
  it('starts nothing after a failure and lets the items in flight finish before rejecting', async () => {
    const gates = [deferred<void>(), deferred<void>(), deferred<void>(), deferred<void>()];
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapLimit([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      await gates[i]!.promise;
      finished.push(i);
      return i;
    });
    let settled = false;
    run.catch(() => {
      settled = true;
    });
    gates[0]!.reject(new Error('write failed'));
    await new Promise((r) => setTimeout(r, 5));
    // Item 1 is still in flight: the failure is not reported yet, and no new item started.
    expect(settled).toBe(false);
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await expect(run).rejects.toThrow('write failed');
    expect(finished).toEqual([1]);
    expect(started).toEqual([0, 1]);
  });

  it('keeps at most `limit` in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([30, 10, 20, 5, 1], 2, async (ms) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return ms * 2;
    });
    expect(out).toEqual([60, 20, 40, 10, 2]);
    expect(most).toBe(2);
  });
});
