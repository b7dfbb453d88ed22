import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Ctx } from '../../../lambdas/core/ports.ts';
import { sqsRecord } from '../../../local/worker-pump.ts';

const calls: Array<{ ids: readonly string[]; ctx: Ctx }> = [];
let answer: (ids: readonly string[]) => Array<{ id: string; result: 'done' | 'retry' }> = (ids) =>
  ids.map((id) => ({ id, result: 'done' }));

vi.mock('../../../lambdas/core/worker.ts', () => ({
  processOffboardings: vi.fn(async (_deps: unknown, ids: readonly string[], ctx: Ctx) => {
    calls.push({ ids, ctx });
    return answer(ids);
  }),
}));

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { handleBatch, offboardingIdOf } = await import('../../../lambdas/handlers/worker.ts');
type Deps = Parameters<typeof handleBatch>[1];
const deps = { clock: { now: () => new Date() } } as unknown as Deps;

const record = (messageId: string, body: string): SQSRecord => sqsRecord({ messageId, body });
const job = (id: string) => JSON.stringify({ offboardingId: id });

beforeEach(() => {
  calls.length = 0;
  answer = (ids) => ids.map((id) => ({ id, result: 'done' }));
});

describe('worker handler', () => {
  it('hands the whole batch to one processOffboardings call, each id once', async () => {
    const event: SQSEvent = {
      Records: [record('m1', job('off_a')), record('m2', job('off_b')), record('m3', job('off_a'))],
    };
    const res = await handleBatch(event, deps, () => 60_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.ids).toEqual(['off_a', 'off_b']);
    expect(res).toEqual({ batchItemFailures: [] });
  });

  it('reports the records whose offboarding asked for a retry (all of its records)', async () => {
    answer = (ids) => ids.map((id) => ({ id, result: id === 'off_b' ? 'retry' : 'done' }));
    const event: SQSEvent = {
      Records: [record('m1', job('off_a')), record('m2', job('off_b')), record('m3', job('off_b'))],
    };
    const res = await handleBatch(event, deps, () => 60_000);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
  });

  it('an id core gave no verdict for is retried, not lost', async () => {
    answer = () => [];
    const res = await handleBatch({ Records: [record('m1', job('off_a'))] }, deps, () => 60_000);
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('drops malformed messages (never retried) and still processes the rest', async () => {
    const event: SQSEvent = {
      Records: [
        record('bad1', 'not json'),
        record('bad2', JSON.stringify({ nope: 1 })),
        record('bad3', ''),
        record('ok', job('off_c')),
      ],
    };
    const res = await handleBatch(event, deps, () => 60_000);
    expect(calls[0]!.ids).toEqual(['off_c']);
    expect(res.batchItemFailures).toEqual([]);
    expect(offboardingIdOf('{"offboardingId":""}')).toBeUndefined();
  });

  it('a batch of only malformed messages calls nothing', async () => {
    const res = await handleBatch({ Records: [record('bad', '[]')] }, deps, () => 60_000);
    expect(calls).toHaveLength(0);
    expect(res.batchItemFailures).toEqual([]);
  });

  it('when core throws, every record goes back to the queue', async () => {
    answer = () => {
      throw new Error('dynamo down');
    };
    const res = await handleBatch(
      { Records: [record('m1', job('off_a')), record('m2', job('off_b'))] },
      deps,
      () => 60_000,
    );
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2']);
  });

  it("gives core the Lambda's remaining time minus a safety margin as its deadline", async () => {
    const before = Date.now();
    await handleBatch({ Records: [record('m1', job('off_a'))] }, deps, () => 120_000);
    const deadline = calls[0]!.ctx.deadline;
    expect(deadline).toBeGreaterThanOrEqual(before + 110_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 110_000);
    expect(typeof calls[0]!.ctx.onVendorCall).toBe('function');
  });
});
