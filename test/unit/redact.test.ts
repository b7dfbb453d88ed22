import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashEmail, isSecretKey, redact, scrubEmails } from '../../lambdas/core/redact.ts';
import { GOOD_EMAILS } from '../support/edge-cases.ts';

describe('hashEmail', () => {
  it('is e_ + 16 hex of sha256 of the trimmed lower-cased email, stable across spellings', () => {
    const expected = `e_${createHash('sha256').update('dana.leaver@example.com').digest('hex').slice(0, 16)}`;
    expect(hashEmail('dana.leaver@example.com')).toBe(expected);
    expect(hashEmail('  Dana.Leaver@EXAMPLE.com ')).toBe(expected);
    expect(hashEmail('sam.stays@example.com')).not.toBe(expected);
    expect(expected).toMatch(/^e_[0-9a-f]{16}$/);
  });
});

describe('redact', () => {
  it('drops secret-looking keys at any depth and keeps the rest', () => {
    const input = {
      clientId: 'service-leaver-demo',
      clientSecret: 'itwin-demo-secret-0001',
      privateKey: 'cm-demo-private-key-0001',
      private_key: 'x',
      headers: { Authorization: 'Digest abc', 'x-request-id': 'r1', cookie: 'c' },
      access_token: 't',
      refreshToken: 't2',
      password: 'p',
      apiKey: 'k',
      list: [{ secret: 's', keep: 1 }, 'plain'],
      count: 3,
      nothing: null,
    };
    const out = redact(input);
    expect(out).toEqual({
      clientId: 'service-leaver-demo',
      headers: { 'x-request-id': 'r1' },
      list: [{ keep: 1 }, 'plain'],
      count: 3,
      nothing: null,
    });
    // The input is untouched.
    expect(input.clientSecret).toBe('itwin-demo-secret-0001');
    expect(JSON.stringify(out)).not.toMatch(/secret-0001|private-key|Digest/);
  });

  it('keeps ordinary keys that merely look close', () => {
    expect(isSecretKey('grantKey')).toBe(false);
    expect(isSecretKey('publicKey')).toBe(false);
    expect(isSecretKey('invitationId')).toBe(false);
    expect(isSecretKey('secretName')).toBe(true);
    expect(isSecretKey('X-Api-Key')).toBe(true);
  });

  it('passes primitives through and cuts cycles', () => {
    expect(redact('text')).toBe('text');
    expect(redact(5)).toBe(5);
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[circular]' });
    const shared = { v: 1 };
    expect(redact({ x: shared, y: shared })).toEqual({ x: { v: 1 }, y: { v: 1 } });
  });
});

describe('scrubEmails', () => {
  it('replaces every email in free text by its hash', () => {
    const text = scrubEmails('Dana.Leaver@Example.com and sam.stays@example.com were seen');
    expect(text).toBe(
      `${hashEmail('dana.leaver@example.com')} and ${hashEmail('sam.stays@example.com')} were seen`,
    );
    expect(scrubEmails('no address here')).toBe('no address here');
  });

  it('scrubs whole every address the email rule accepts', () => {
    for (const [input, normal] of GOOD_EMAILS) {
      expect(scrubEmails(`seen ${normal} here`), input).toBe(`seen ${hashEmail(normal)} here`);
    }
  });
});
