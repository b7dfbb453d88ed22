import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSource } from '../../../lambdas/sources/index.ts';
import { codeOf, errorOf, raw } from './helpers.ts';

const source = getSource('standard');

// The Standard Webhooks specification's published test vector (docs/hr-sources.md#standard-webhooks).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const vectorNow = new Date(VECTOR.timestamp * 1000);
const vectorRaw = (signature = VECTOR.signature, over: Record<string, string> = {}) =>
  raw({
    body: VECTOR.body,
    headers: {
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': signature,
      ...over,
    },
  });

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = new Date('2026-11-23T12:00:00Z');

function signed(body: unknown, opts: { id?: string; at?: Date; secret?: string } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const id = opts.id ?? 'msg_1';
  const at = opts.at ?? NOW;
  const signature = new Webhook(opts.secret ?? SECRET).sign(id, at, text);
  return raw({
    body: text,
    sourceId: 'standard',
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  });
}

const terminated = (data: Record<string, unknown>, type = 'employee.terminated') => ({ type, data });

describe('standard source: verification', () => {
  afterEach(() => vi.useRealTimers());

  it('accepts the published test vector with the clock frozen at its timestamp', () => {
    expect(() => source.verify(vectorRaw(), { secret: VECTOR.secret }, vectorNow)).not.toThrow();
  });

  it('agrees with the reference library on the vector (library clock frozen with fake timers)', () => {
    vi.useFakeTimers();
    vi.setSystemTime(vectorNow);
    const wh = new Webhook(VECTOR.secret);
    expect(() => wh.verify(VECTOR.body, vectorRaw().headers as Record<string, string>)).not.toThrow();
    const changed = VECTOR.signature.slice(0, -2) + (VECTOR.signature.at(-2) === 'E' ? 'F' : 'E') + '=';
    expect(() => wh.verify(VECTOR.body, vectorRaw(changed).headers as Record<string, string>)).toThrow();
  });

  it('refuses the vector with its last signature character changed', () => {
    const sig = VECTOR.signature;
    // Change the last significant base64 character (before the padding).
    const changed = `${sig.slice(0, -2)}${sig.at(-2) === 'E' ? 'F' : 'E'}=`;
    expect(codeOf(() => source.verify(vectorRaw(changed), { secret: VECTOR.secret }, vectorNow))).toBe(
      'invalid_signature',
    );
  });

  it('refuses a changed body', () => {
    const r = vectorRaw();
    r.body = '{"test": 2432232315}';
    expect(codeOf(() => source.verify(r, { secret: VECTOR.secret }, vectorNow))).toBe('invalid_signature');
  });

  it('refuses missing headers with no detail', () => {
    for (const h of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const r = vectorRaw();
      delete r.headers[h];
      const e = errorOf(() => source.verify(r, { secret: VECTOR.secret }, vectorNow));
      expect(e.code).toBe('invalid_signature');
      expect(e.message).toBe('Invalid signature');
      expect(e.details).toBeUndefined();
    }
  });

  it('refuses stale and future timestamps beyond 300 s, accepts within', () => {
    const s = { secret: VECTOR.secret };
    expect(codeOf(() => source.verify(vectorRaw(), s, new Date((VECTOR.timestamp + 301) * 1000)))).toBe(
      'invalid_signature',
    );
    expect(codeOf(() => source.verify(vectorRaw(), s, new Date((VECTOR.timestamp - 301) * 1000)))).toBe(
      'invalid_signature',
    );
    expect(() => source.verify(vectorRaw(), s, new Date((VECTOR.timestamp + 300) * 1000))).not.toThrow();
    expect(() => source.verify(vectorRaw(), s, new Date((VECTOR.timestamp - 300) * 1000))).not.toThrow();
  });

  it('refuses a non-numeric timestamp', () => {
    const r = vectorRaw(VECTOR.signature, { 'webhook-timestamp': '1614265330abc' });
    expect(codeOf(() => source.verify(r, { secret: VECTOR.secret }, vectorNow))).toBe('invalid_signature');
  });

  it('passes when any v1 entry matches (sender-side rotation) and skips other versions', () => {
    const r = vectorRaw(
      `v2,${VECTOR.signature.slice(3)} v1,AAAA${VECTOR.signature.slice(7)} ${VECTOR.signature}`,
    );
    expect(() => source.verify(r, { secret: VECTOR.secret }, vectorNow)).not.toThrow();
    const onlyV2 = vectorRaw(`v2,${VECTOR.signature.slice(3)}`);
    expect(codeOf(() => source.verify(onlyV2, { secret: VECTOR.secret }, vectorNow))).toBe(
      'invalid_signature',
    );
  });

  it('accepts either secret while rotating on the receiving side', () => {
    const other = 'whsec_' + Buffer.from('another-secret-of-32-bytes-long!').toString('base64');
    const r = signed(terminated({ email: 'a@example.com' }), { secret: other });
    expect(() => source.verify(r, { secrets: [SECRET, other] }, NOW)).not.toThrow();
    expect(codeOf(() => source.verify(r, { secret: SECRET }, NOW))).toBe('invalid_signature');
  });

  it('reports a malformed secret value as a configuration problem, not a bad signature', () => {
    expect(codeOf(() => source.verify(vectorRaw(), { token: 'x' }, vectorNow))).toBe('config_invalid');
  });

  it('refuses a body over 64 KiB before hashing', () => {
    const r = signed('x'.repeat(64 * 1024 + 1));
    expect(codeOf(() => source.verify(r, { secret: SECRET }, NOW))).toBe('payload_too_large');
  });
});

describe('standard source: parsing', () => {
  it('normalises a termination with aliases, employee id, name and effective time', () => {
    const events = source.parse(
      signed(
        terminated({
          email: 'Dana.Leaver@Example.com',
          aliases: ['dana@old.example.com', 'DANA.LEAVER@example.com'],
          employeeId: 'E42',
          name: 'Dana Leaver',
          effectiveAt: '2026-12-01T09:00:00+01:00',
          futureField: { tolerated: true },
        }),
        { id: 'msg_abc' },
      ),
      NOW,
    );
    expect(events).toEqual([
      {
        kind: 'terminate',
        source: 'standard',
        sourceEventId: 'msg_abc',
        subject: {
          email: 'dana.leaver@example.com',
          aliases: ['dana@old.example.com'],
          employeeId: 'E42',
          name: 'Dana Leaver',
        },
        effectiveAt: '2026-12-01T08:00:00.000Z',
        occurredAt: NOW.toISOString(),
      },
    ]);
  });

  it('maps cancellation and rehire types', () => {
    expect(
      source.parse(signed(terminated({ email: 'a@example.com' }, 'employee.termination_cancelled')), NOW)[0]!
        .kind,
    ).toBe('cancel');
    expect(
      source.parse(signed(terminated({ email: 'a@example.com' }, 'employee.rehired')), NOW)[0]!.kind,
    ).toBe('rehire');
  });

  it('treats a date without time as 00:00 UTC', () => {
    const [e] = source.parse(signed(terminated({ email: 'a@example.com', effectiveAt: '2026-12-24' })), NOW);
    expect(e!.effectiveAt).toBe('2026-12-24T00:00:00.000Z');
  });

  it('refuses malformed JSON, naming the problem', () => {
    const e = errorOf(() => source.parse(signed('{"type": '), NOW));
    expect(e.code).toBe('invalid_request');
    expect(e.message).toBe('body is not valid JSON');
  });

  it('refuses a body without an email, naming the field', () => {
    const e = errorOf(() => source.parse(signed(terminated({ name: 'x' })), NOW));
    expect(e.code).toBe('invalid_request');
    expect(e.message).toBe('data.email is required');
    expect(errorOf(() => source.parse(signed(terminated({ email: 'not-an-email' })), NOW)).message).toBe(
      'data.email must be an email address',
    );
    expect(errorOf(() => source.parse(signed({ type: 'employee.terminated' }), NOW)).message).toMatch(
      /data is required/,
    );
  });

  it('refuses an unknown event type (a typo must not drop a termination)', () => {
    const e = errorOf(() =>
      source.parse(signed(terminated({ email: 'a@example.com' }, 'employee.terminate')), NOW),
    );
    expect(e.code).toBe('invalid_request');
    expect(e.message).toMatch(/type must be one of/);
  });

  it('refuses an effective time without an offset', () => {
    const e = errorOf(() =>
      source.parse(signed(terminated({ email: 'a@example.com', effectiveAt: '2026-12-01T09:00:00' })), NOW),
    );
    expect(e.message).toMatch(/data.effectiveAt/);
  });

  it('refuses an empty effectiveAt (never "run at once") and 30 February (never 2 March), naming the field', () => {
    const at = (effectiveAt: unknown) => () =>
      source.parse(signed(terminated({ email: 'a@example.com', effectiveAt })), NOW);
    expect(errorOf(at('')).message).toBe('data.effectiveAt must not be empty');
    expect(errorOf(at('2027-02-30')).message).toBe('data.effectiveAt is not a calendar date');
    expect(errorOf(at('2027-02-30T09:00:00+01:00')).message).toBe('data.effectiveAt is not a calendar date');
    expect(errorOf(at('2027-02-30')).details?.errors).toEqual([
      { path: 'data.effectiveAt', message: 'is not a calendar date' },
    ]);
    // Absent (or null) means now.
    expect(source.parse(signed(terminated({ email: 'a@example.com' })), NOW)[0]!.effectiveAt).toBeUndefined();
    expect(
      source.parse(signed(terminated({ email: 'a@example.com', effectiveAt: null })), NOW)[0]!.effectiveAt,
    ).toBeUndefined();
  });

  it('takes timestamp as a date-time only', () => {
    const e = errorOf(() =>
      source.parse(signed({ ...terminated({ email: 'a@example.com' }), timestamp: '2026-11-23' }), NOW),
    );
    expect(e.message).toMatch(/^timestamp must be an ISO-8601 date-time with an offset/);
  });

  it('refuses control characters in the name and employee id, naming the field', () => {
    expect(
      errorOf(() => source.parse(signed(terminated({ email: 'a@example.com', name: 'Dana\u001b[2J' })), NOW))
        .message,
    ).toBe('data.name must not contain control characters (tabs, newlines, escapes)');
    expect(
      errorOf(() => source.parse(signed(terminated({ email: 'a@example.com', employeeId: 'E-1\n2' })), NOW))
        .message,
    ).toBe('data.employeeId must not contain control characters (tabs, newlines, escapes)');
  });

  it('accepts the addresses the API looks up, and only those', () => {
    expect(source.parse(signed(terminated({ email: '=1+2@Example.com' })), NOW)[0]!.subject.email).toBe(
      '=1+2@example.com',
    );
    expect(errorOf(() => source.parse(signed(terminated({ email: 'a..b@example.com' })), NOW)).message).toBe(
      'data.email must be an email address',
    );
  });

  it('keeps the webhook-id as the event id whatever the timestamp (a retry is the same event)', () => {
    const body = terminated({ email: 'a@example.com' });
    const a = source.parse(signed(body, { id: 'msg_same', at: NOW }), NOW)[0]!;
    const b = source.parse(signed(body, { id: 'msg_same', at: new Date(NOW.getTime() + 60_000) }), NOW)[0]!;
    expect(a.sourceEventId).toBe(b.sourceEventId);
  });
});
