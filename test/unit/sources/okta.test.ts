import { describe, expect, it } from 'vitest';
import { getSource } from '../../../lambdas/sources/index.ts';
import { codeOf, errorOf, raw } from './helpers.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const TOKEN = { token: 'Bearer okta-shared-secret-123' };
const source = getSource('okta');

const event = (over: Record<string, unknown> = {}) => ({
  uuid: 'evt-1',
  eventType: 'user.lifecycle.deactivate',
  published: '2026-11-23T11:59:58.000Z',
  target: [{ type: 'User', alternateId: 'Dana.Leaver@example.com', id: '00u1', displayName: 'Dana Leaver' }],
  ...over,
});
const delivery = (events: unknown[], headers: Record<string, string> = { authorization: TOKEN.token }) =>
  raw({
    sourceId: 'okta',
    headers,
    body: JSON.stringify({ eventType: 'com.okta.event_hook', data: { events } }),
  });

describe('okta source', () => {
  it('verifies the static secret header in constant time', () => {
    expect(() => source.verify(delivery([event()]), TOKEN, NOW)).not.toThrow();
    expect(
      codeOf(() =>
        source.verify(delivery([event()], { authorization: 'Bearer okta-shared-secret-124' }), TOKEN, NOW),
      ),
    ).toBe('invalid_signature');
    expect(codeOf(() => source.verify(delivery([event()], { authorization: 'Bearer' }), TOKEN, NOW))).toBe(
      'invalid_signature',
    );
    expect(codeOf(() => source.verify(delivery([event()], {}), TOKEN, NOW))).toBe('invalid_signature');
  });

  it('reads the secret from the configured header name', () => {
    const custom = getSource('okta', { headerName: 'X-Leaver-Secret' });
    expect(() =>
      custom.verify(delivery([event()], { 'x-leaver-secret': TOKEN.token }), TOKEN, NOW),
    ).not.toThrow();
    expect(codeOf(() => custom.verify(delivery([event()]), TOKEN, NOW))).toBe('invalid_signature');
  });

  it('answers the one-time GET verification challenge', () => {
    const get = raw({
      method: 'GET',
      headers: { authorization: TOKEN.token, 'x-okta-verification-challenge': 'abc123' },
    });
    expect(() => source.verify(get, TOKEN, NOW)).not.toThrow();
    expect(source.challenge!(get)).toEqual({ status: 200, body: { verification: 'abc123' } });
    expect(source.challenge!(delivery([event()]))).toBeUndefined();
    expect(codeOf(() => source.challenge!(raw({ method: 'GET', headers: {} })))).toBe('invalid_request');
  });

  it('normalises a batch: deactivate/suspend terminate, activate/reactivate rehire, others ignored, uuid dedupe', () => {
    const events = source.parse(
      delivery([
        event(),
        event({ uuid: 'evt-1' }),
        event({
          uuid: 'evt-2',
          eventType: 'user.lifecycle.suspend',
          target: [
            { type: 'AppInstance', alternateId: 'app' },
            { type: 'User', alternateId: 'sam@example.com' },
          ],
        }),
        event({ uuid: 'evt-3', eventType: 'user.lifecycle.reactivate' }),
        event({ uuid: 'evt-4', eventType: 'user.session.start' }),
        event({ uuid: 'evt-5', eventType: 'user.lifecycle.activate', unknownField: 1 }),
      ]),
      NOW,
    );
    expect(events.map((e) => [e.sourceEventId, e.kind, e.subject.email])).toEqual([
      ['evt-1', 'terminate', 'dana.leaver@example.com'],
      ['evt-2', 'terminate', 'sam@example.com'],
      ['evt-3', 'rehire', 'dana.leaver@example.com'],
      ['evt-5', 'rehire', 'dana.leaver@example.com'],
    ]);
    expect(events[0]).toMatchObject({
      source: 'okta',
      occurredAt: '2026-11-23T11:59:58.000Z',
      subject: { employeeId: '00u1', name: 'Dana Leaver', aliases: [] },
    });
    expect(events[0]!.effectiveAt).toBeUndefined();
  });

  it('refuses malformed JSON and a body without data.events', () => {
    expect(errorOf(() => source.parse(raw({ body: '{' }), NOW)).message).toBe('body is not valid JSON');
    expect(errorOf(() => source.parse(raw({ body: '{"data":{}}' }), NOW)).message).toBe(
      'data.events is required and must be an array',
    );
  });

  it('refuses an acted-on event whose user has no email login, naming it', () => {
    const e = errorOf(() =>
      source.parse(delivery([event({ target: [{ type: 'User', alternateId: 'dleaver' }] })]), NOW),
    );
    expect(e.code).toBe('invalid_request');
    expect(e.message).toBe('data.events[0].target[].alternateId must be an email address');
    expect(errorOf(() => source.parse(delivery([event({ target: [] })]), NOW)).message).toBe(
      'data.events[0].target has no User',
    );
  });

  it('checks published against the calendar and refuses control characters in the display name', () => {
    expect(
      errorOf(() => source.parse(delivery([event({ published: '2026-02-30T11:59:58Z' })]), NOW)).message,
    ).toBe('data.events[0].published is not a calendar date');
    const named = event({
      target: [{ type: 'User', alternateId: 'a@example.com', displayName: 'Dana\u009b2J' }],
    });
    expect(errorOf(() => source.parse(delivery([named]), NOW)).message).toBe(
      'data.events[0].target[].displayName must not contain control characters (tabs, newlines, escapes)',
    );
  });

  it('ignores a batch of events Leaver does not act on', () => {
    expect(source.parse(delivery([event({ eventType: 'user.account.update_profile' })]), NOW)).toEqual([]);
  });
});
