/**
 * The API edge follows the rules every edge shares: an address a webhook accepts is one the API
 * looks up; an empty or impossible date and any control character in free text are a 400 problem
 * naming the field, and nothing is stored, cancelled or switched.
 */
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/main.ts';
import { CONTROL_TEXTS } from '../support/edge-cases.ts';
import { type CallResult, CM_ORG, call, startRuntime } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

const count = async (email: string) => (await rt.deps.store.query({ email })).items.length;

function expectFieldProblem(res: CallResult, path: string, rule: RegExp) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body.code).toBe('invalid_request');
  expect(res.body.errors).toEqual([{ path, message: expect.stringMatching(rule) }]);
  expect(res.body.detail).toContain(path);
}

/** A Standard Webhooks delivery signed with the demo source's secret, sent over HTTP. */
async function webhook(body: unknown): Promise<Response> {
  const secrets = JSON.parse(readFileSync('local/secrets.json', 'utf8')) as Record<
    string,
    { secret: string }
  >;
  const text = JSON.stringify(body);
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const at = new Date();
  return fetch(`${rt.url}/hooks/standard`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secrets['leaver/hooks/standard']!.secret).sign(id, at, text),
    },
    body: text,
  });
}

describe('one email rule: what a webhook accepts, the API looks up', () => {
  it('=1+2@example.com through a webhook is found by GET /v1/offboardings?email=, in any case', async () => {
    const res = await webhook({
      type: 'employee.terminated',
      data: { email: '=1+2@Example.com', effectiveAt: '2099-01-01' },
    });
    expect(res.status).toBe(202);
    const { offboardingId } = (await res.json()) as { offboardingId: string };
    for (const email of ['=1+2@example.com', '=1+2@EXAMPLE.com', ' =1+2@example.com ']) {
      const found = await call('GET', `/v1/offboardings?email=${encodeURIComponent(email)}`);
      expect(found.status, email).toBe(200);
      expect(found.body.items.map((o: { id: string }) => o.id)).toEqual([offboardingId]);
      expect(found.body.items[0].email).toBe('=1+2@example.com');
    }
  });

  it('an address a webhook refuses, the API refuses too', async () => {
    const hook = await webhook({ type: 'employee.terminated', data: { email: 'a..b@example.com' } });
    expect(hook.status).toBe(400);
    expect(((await hook.json()) as { errors: unknown }).errors).toEqual([
      { path: 'data.email', message: 'must be an email address' },
    ]);
    expectFieldProblem(
      await call('GET', '/v1/offboardings?email=a..b%40example.com'),
      'query.email',
      /email/,
    );
  });
});

describe('instants: checked against the calendar, never empty', () => {
  it.each([
    ['', /must not be empty/],
    ['2027-02-30', /not a calendar date/],
    ['2027-02-30T09:00:00+01:00', /not a calendar date/],
    ['2027-03-01T24:00:00Z', /not a time of day/],
  ])(
    'POST /v1/offboardings with effectiveAt %j: 400 naming it, nothing stored',
    async (effectiveAt, rule) => {
      const email = `api.edge.${Math.random().toString(36).slice(2, 8)}@example.com`;
      const res = await call('POST', '/v1/offboardings', { body: { email, reason: 'left', effectiveAt } });
      expectFieldProblem(res, 'effectiveAt', rule);
      expect(await count(email)).toBe(0);
    },
  );

  it('query windows too', async () => {
    expectFieldProblem(
      await call('GET', '/v1/offboardings?status=scheduled&from=2027-02-30'),
      'query.from',
      /not a calendar date/,
    );
    expectFieldProblem(await call('GET', '/v1/audit?from=2026-02-29'), 'query.from', /not a calendar date/);
  });
});

describe('free text: control characters are a 400 naming the field, and change nothing', () => {
  it.each(CONTROL_TEXTS.map((t) => [t]))('reason %j', async (reason) => {
    const email = `ctl.${Math.random().toString(36).slice(2, 8)}@example.com`;
    expectFieldProblem(
      await call('POST', '/v1/offboardings', { body: { email, reason } }),
      'reason',
      /control characters/,
    );
    expect(await count(email)).toBe(0);
  });

  it('a cancel reason: the offboarding stays scheduled and no cancellation is audited', async () => {
    const created = await call('POST', '/v1/offboardings', {
      body: { email: 'ctl.cancel@example.com', reason: 'leaving', effectiveAt: '2099-01-01' },
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    expectFieldProblem(
      await call('POST', `/v1/offboardings/${id}/cancel`, { body: { reason: 'oops\u001b[2K' } }),
      'reason',
      /control characters/,
    );
    expect((await rt.deps.store.get(id))?.status).toBe('scheduled');
    const events = (await rt.deps.audit.stream(id)).items.map((r) => r.event);
    expect(events).not.toContain('cancelled');
  });

  it('a kill-switch reason: the switch does not move', async () => {
    const before = await rt.deps.store.getKillSwitch();
    expectFieldProblem(
      await call('PUT', '/v1/kill-switch', { body: { enabled: true, reason: 'stop\r\nall' } }),
      'reason',
      /control characters/,
    );
    expect(await rt.deps.store.getKillSwitch()).toEqual(before);
  });

  it('a targeted revocation reason: refused before any vendor call', async () => {
    expectFieldProblem(
      await call('POST', '/v1/revocations', {
        body: {
          vendor: 'cloudmanager',
          tenantId: 'cloudmanager-demo',
          kind: 'cloudmanager_org_user',
          ids: { orgId: CM_ORG, userId: '5f1a00000000000000000b01' },
          reason: 'x\u009b2J',
        },
      }),
      'reason',
      /control characters/,
    );
  });
});
