/**
 * Offboardings through the management API against the local runtime's real dependencies: start
 * (run now, scheduled, dry run), preview, status with actions per vendor, list with cursor paging,
 * cancel, retry and release, and the principal recorded in the audit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/main.ts';
import { CM_ORG, call, DANA, SAM, settle, startRuntime } from './helpers.ts';

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startRuntime();
});
afterAll(async () => {
  await rt?.close();
});

const future = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

describe('POST /v1/offboardings', () => {
  it('accepts an offboarding (202 + Location), the worker runs it, and GET shows actions per vendor', async () => {
    const res = await call('POST', '/v1/offboardings', {
      body: { email: 'Dana.Leaver@Example.com', reason: 'left the company' },
    });
    expect(res.status).toBe(202);
    expect(res.body.email).toBe(DANA);
    expect(res.body.origin).toEqual({ type: 'api', id: 'local' });
    expect(res.body.reason).toBe('left the company');
    expect(res.headers.location).toBe(`/v1/offboardings/${res.body.id}`);
    await settle(rt);

    const got = await call('GET', res.headers.location!);
    expect(got.status).toBe(200);
    expect(['completed', 'completed_with_failures']).toContain(got.body.status);
    expect(got.body.startedAt).toBeDefined();
    expect(got.body.finishedAt).toBeDefined();
    expect(typeof got.body.timeToRevokeMs).toBe('number');
    const vendors = got.body.vendors.map((v: { vendor: string }) => v.vendor);
    expect(vendors).toEqual(['itwin', 'atlas', 'cloudmanager']);
    const cm = got.body.vendors.find((v: { vendor: string }) => v.vendor === 'cloudmanager');
    expect(cm.counts.revoked).toBeGreaterThan(0);
    expect(typeof cm.timeToRevokeMs).toBe('number');
    const orgInvite = cm.actions.find((a: { kind: string }) => a.kind === 'cloudmanager_org_invitation');
    expect(orgInvite).toMatchObject({ outcome: 'revoked', email: DANA, ids: { orgId: CM_ORG } });
    // Per-vendor counts add up to the offboarding's.
    const sum = got.body.vendors.reduce(
      (n: number, v: { counts: { revoked: number } }) => n + v.counts.revoked,
      0,
    );
    expect(sum).toBe(got.body.counts.revoked);
    // The colleague who stays keeps their access.
    expect(JSON.stringify(got.body.vendors)).not.toContain(SAM);

    // Every audit record of the call names the API principal.
    const audit = await call('GET', `/v1/offboardings/${res.body.id}/audit`);
    expect(audit.body.records[0]).toMatchObject({ event: 'received', actor: 'local' });
    expect(audit.body.chain.valid).toBe(true);
  });

  it('schedules an offboarding for a later date and cancels it', async () => {
    const at = future();
    const res = await call('POST', '/v1/offboardings', {
      body: {
        email: 'later@example.com',
        aliases: ['Later.Alias@example.com'],
        effectiveAt: at,
        reason: 'notice period',
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('scheduled');
    expect(res.body.effectiveAt).toBe(at);
    expect(res.body.aliases).toEqual(['later.alias@example.com']);

    const cancelled = await call('POST', `/v1/offboardings/${res.body.id}/cancel`, {
      body: { reason: 'stays after all' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.vendors).toEqual([]);

    const again = await call('POST', `/v1/offboardings/${res.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('conflict');
    expect(again.body.detail).toContain('cancelled');

    const audit = await call('GET', `/v1/offboardings/${res.body.id}/audit`);
    const cancel = audit.body.records.find((r: { event: string }) => r.event === 'cancelled');
    expect(cancel).toMatchObject({ actor: 'local', detail: { reason: 'stays after all' } });
  });

  it('accepts a date without a time as midnight UTC', async () => {
    const res = await call('POST', '/v1/offboardings', {
      body: { email: 'dated@example.com', effectiveAt: '2099-01-31', reason: 'contract end' },
    });
    expect(res.status).toBe(202);
    expect(res.body.effectiveAt).toBe('2099-01-31T00:00:00.000Z');
  });

  it('an Idempotency-Key makes a retried start return the first offboarding, creating nothing new', async () => {
    const body = { email: 'retried@example.com', effectiveAt: '2099-02-01', reason: 'contract end' };
    const headers = { 'idempotency-key': 'hr-ticket-4711' };
    const first = await call('POST', '/v1/offboardings', { body, headers });
    const again = await call('POST', '/v1/offboardings', { body, headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const other = await call('POST', '/v1/offboardings', {
      body,
      headers: { 'idempotency-key': 'hr-ticket-4712' },
    });
    expect(other.body.id).not.toBe(first.body.id);
    const bad = await call('POST', '/v1/offboardings', {
      body,
      headers: { 'idempotency-key': 'has spaces' },
    });
    expect(bad.status).toBe(400);
  });

  it('answers a dry run with the plan (200) and creates nothing', async () => {
    const before = await call('GET', `/v1/offboardings?email=${encodeURIComponent(SAM)}`);
    const res = await call('POST', '/v1/offboardings', {
      body: { email: SAM, reason: 'what if', dryRun: true },
    });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(SAM);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.counts.revoke + res.body.counts.skip).toBe(res.body.items.length);
    const after = await call('GET', `/v1/offboardings?email=${encodeURIComponent(SAM)}`);
    expect(after.body.items).toEqual(before.body.items);
    expect(after.body.items).toEqual([]);
  });
});

describe('POST /v1/preview', () => {
  it('plans every grant of a subject, protected accounts skipped, without revoking', async () => {
    const res = await call('POST', '/v1/preview', { body: { email: 'breakglass-admin@example.com' } });
    expect(res.status).toBe(200);
    for (const item of res.body.items) {
      expect(item).toMatchObject({ action: 'skip', skipReason: 'protected_account' });
    }
    const sam = await call('POST', '/v1/preview', { body: { email: SAM } });
    expect(sam.body.items.length).toBeGreaterThan(0);
    const kinds = new Set(sam.body.items.map((i: { kind: string }) => i.kind));
    expect(kinds.size).toBeGreaterThan(1);
    // Invitations come first in the plan.
    const phases = sam.body.items.map((i: { phase: string }) => i.phase);
    expect(phases.indexOf('membership')).toBeGreaterThan(phases.lastIndexOf('invitation'));
    // Previewing twice finds the same grants: nothing was revoked.
    const again = await call('POST', '/v1/preview', { body: { email: SAM } });
    expect(again.body.items).toEqual(sam.body.items);
    expect(sam.body.failures).toEqual([]);
  });
});

describe('GET /v1/offboardings', () => {
  it('lists by email and status, paged with an opaque cursor bound to its filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/v1/offboardings', {
        body: { email: 'pager@example.com', effectiveAt: future(), reason: `page ${i}` },
      });
      ids.push(r.body.id);
    }
    const first = await call('GET', '/v1/offboardings?email=pager%40example.com&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.cursor).toBeTypeOf('string');
    expect(first.body.next).toContain('cursor=');
    const second = await call('GET', first.body.next);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.cursor).toBeUndefined();
    const seen = [...first.body.items, ...second.body.items].map((o: { id: string }) => o.id);
    expect(seen.sort()).toEqual([...ids].sort());

    // The cursor belongs to this listing: other filters or a tampered cursor are a 400.
    const other = await call('GET', `/v1/offboardings?email=other%40example.com&cursor=${first.body.cursor}`);
    expect(other.status).toBe(400);
    expect(other.body.errors[0].path).toBe('cursor');
    const tampered = await call(
      'GET',
      `/v1/offboardings?email=pager%40example.com&cursor=${first.body.cursor}x`,
    );
    expect(tampered.status).toBe(400);
    const garbage = await call('GET', '/v1/offboardings?email=pager%40example.com&cursor=%7B%7D');
    expect(garbage.status).toBe(400);

    const scheduled = await call('GET', '/v1/offboardings?status=scheduled&limit=200');
    const scheduledIds = scheduled.body.items.map((o: { id: string }) => o.id);
    for (const id of ids) expect(scheduledIds).toContain(id);
    for (const o of scheduled.body.items) expect(o.status).toBe('scheduled');

    const byBoth = await call('GET', '/v1/offboardings?email=pager%40example.com&status=cancelled');
    expect(byBoth.body.items).toEqual([]);
  });

  it('bounds the listing by a time window', async () => {
    const r = await call('POST', '/v1/offboardings', {
      body: { email: 'window@example.com', effectiveAt: future(), reason: 'window' },
    });
    const received = r.body.receivedAt as string;
    const before = new Date(Date.parse(received) - 60_000).toISOString();
    const after = new Date(Date.parse(received) + 60_000).toISOString();
    const inside = await call(
      'GET',
      `/v1/offboardings?email=window%40example.com&from=${before}&to=${after}`,
    );
    expect(inside.body.items.map((o: { id: string }) => o.id)).toEqual([r.body.id]);
    const outside = await call('GET', `/v1/offboardings?email=window%40example.com&from=${after}`);
    expect(outside.body.items).toEqual([]);
  });
});

describe('retry and release', () => {
  it('releases a quarantined offboarding and refuses a release of anything else', async () => {
    const r = await call('POST', '/v1/offboardings', {
      body: { email: 'quarantine@example.com', effectiveAt: future(), reason: 'mass layoff' },
    });
    const notQuarantined = await call('POST', `/v1/offboardings/${r.body.id}/release`);
    expect(notQuarantined.status).toBe(409);
    expect(notQuarantined.body.detail).toContain('scheduled');

    // The blast-radius guard is the worker's; here the store puts it in quarantine directly.
    await rt.deps.store.transition(r.body.id, ['scheduled'], 'quarantined');
    const released = await call('POST', `/v1/offboardings/${r.body.id}/release`);
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('scheduled');
    expect(released.body.releasedAt).toBeDefined();
    const audit = await call('GET', `/v1/offboardings/${r.body.id}/audit`);
    expect(audit.body.records.map((x: { event: string }) => x.event)).toContain('released');
  });

  it('retries an offboarding that ended with failures and refuses others (409)', async () => {
    const r = await call('POST', '/v1/offboardings', {
      body: { email: 'retry-me@example.com', effectiveAt: future(), reason: 'retry' },
    });
    const refused = await call('POST', `/v1/offboardings/${r.body.id}/retry`);
    expect(refused.status).toBe(409);

    await rt.deps.store.transition(r.body.id, ['scheduled'], 'running');
    await rt.deps.store.transition(r.body.id, ['running'], 'completed_with_failures', {
      finishedAt: new Date().toISOString(),
      effectiveAt: new Date().toISOString(),
    });
    const retried = await call('POST', `/v1/offboardings/${r.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(['scheduled', 'running', 'completed']).toContain(retried.body.status);
    await settle(rt);
    const after = await call('GET', `/v1/offboardings/${r.body.id}`);
    expect(after.body.status).toBe('completed');
    const audit = await call('GET', `/v1/offboardings/${r.body.id}/audit`);
    const manual = audit.body.records.find((x: { event: string }) => x.event === 'retry_scheduled');
    expect(manual).toMatchObject({ actor: 'local', detail: { manual: true } });
  });

  it('answers 404 for cancel, retry and release of an unknown id', async () => {
    for (const action of ['cancel', 'retry', 'release']) {
      const res = await call('POST', `/v1/offboardings/off_does_not_exist/${action}`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
  });
});
