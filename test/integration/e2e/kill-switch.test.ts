/**
 * The kill switch end to end, as in AWS: the Lambda handlers wired from the environment onto
 * moto_server (DynamoDB, SQS) and the vendor sandbox over HTTP, the switch flipped through the
 * management API with an IAM principal. While it is on, an offboarding that comes due is held in
 * the store (visible as `heldAt` in GET /v1/offboardings/{id} and the list) and its queue message
 * is deleted, so nothing piles up towards the dead-letter queue; switching it off re-enqueues it
 * (audited) and the worker completes it.
 */
import { describe, expect, inject, it } from 'vitest';
import type { Sandbox } from '../../../sandbox/index.ts';
import { call } from '../../api/helpers.ts';
import { standardHook, terminationBody } from '../handlers/support.ts';
import { DANA, type Pipeline, usePipeline } from './pipeline.ts';

const endpoint = inject('motoEndpoint');
const ARN = 'arn:aws:sts::123456789012:assumed-role/ItSecurity/jordan';
const iam = { token: null, authorizer: { iam: { userArn: ARN, accountId: '123456789012' } } };
let sandbox: Sandbox;
let p: Pipeline;

usePipeline(endpoint, (sb, pipeline) => {
  sandbox = sb;
  p = pipeline;
});

const revocations = () =>
  sandbox.control.requests().filter((r) => r.method === 'DELETE' || r.method === 'PATCH');

describe('kill switch: hold and resume', () => {
  it('holds what comes due (message deleted, held visible), resumes it when switched off, then completes it', async () => {
    const on = await call('PUT', '/v1/kill-switch', {
      ...iam,
      body: { enabled: true, reason: 'incident 7' },
    });
    expect(on.status).toBe(200);
    expect(on.body.enabled).toBe(true);
    try {
      const res = await p.hook(standardHook(terminationBody(DANA)));
      expect(res.statusCode).toBe(202);
      const id = res.json.offboardingId as string;
      sandbox.control.clearRequests();

      // The worker deletes the message (verdict done) and calls no vendor.
      const run = await p.work({ maxRounds: 3 });
      expect(run).toEqual({ processed: [id], retried: [] });
      expect(await p.moto.receiveIds()).toEqual([]);
      expect(revocations()).toEqual([]);

      // Held, and visible as held in the API.
      const got = await call('GET', `/v1/offboardings/${id}`, iam);
      expect(got.status).toBe(200);
      expect(got.body.status).toBe('scheduled');
      expect(Date.parse(got.body.heldAt)).not.toBeNaN();
      const list = await call('GET', `/v1/offboardings?email=${encodeURIComponent(DANA)}`, iam);
      expect(list.body.items.find((o: { id: string }) => o.id === id)?.heldAt).toBe(got.body.heldAt);
      const held = (await p.records(id)).filter((r) => r.event === 'kill_switch');
      expect(held).toHaveLength(1);
      expect(held[0]!.detail).toMatchObject({ held: true, source: 'flag' });

      // A sweep while it is still on enqueues nothing.
      await p.dueSweep();
      expect(await p.moto.receiveIds()).toEqual([]);

      // Off: every held offboarding goes back on the queue, audited with the caller.
      const off = await call('PUT', '/v1/kill-switch', {
        ...iam,
        body: { enabled: false, reason: 'resolved' },
      });
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ enabled: false, resumed: { resumed: 1, notEnqueued: 0 } });
      const resumed = (await p.records(id)).filter((r) => r.event === 'kill_switch').at(-1)!;
      expect(resumed).toMatchObject({ actor: ARN, detail: { resumed: true } });

      const after = await p.work();
      expect(after.processed).toContain(id);
      const done = await p.offboarding(id);
      expect(done.status).toBe('completed');
      expect(done.heldAt).toBeUndefined();
      expect(revocations().length).toBeGreaterThan(0);
      const shown = await call('GET', `/v1/offboardings/${id}`, iam);
      expect(shown.body.heldAt).toBeUndefined();
    } finally {
      await call('PUT', '/v1/kill-switch', { ...iam, body: { enabled: false, reason: 'cleanup' } });
    }
  });
});
