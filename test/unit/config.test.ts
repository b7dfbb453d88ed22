import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfig } from '../../lambdas/core/config.ts';

describe('parseConfig', () => {
  it('fills safe defaults for an empty document', () => {
    const c = parseConfig({});
    expect(c.safety.killSwitch).toBe(false);
    expect(c.safety.blastRadius.maxOffboardings).toBe(50);
    expect(c.worker.verifyRounds).toBe(3);
  });

  it('names the field and the rule of every problem', () => {
    try {
      parseConfig({
        tenants: [{ vendor: 'cloudmanager', id: 'cm', baseUrl: 'ftp://x', secretName: 's', orgId: 'nothex' }],
        extra: true,
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigInvalidError);
      const problems = (e as ConfigInvalidError).problems;
      expect(problems).toContain('tenants[0].baseUrl: must be an http(s) URL');
      expect(problems).toContain('tenants[0].orgId: must be a 24-hex ObjectId');
      expect(problems.some((p) => p.includes('"extra"'))).toBe(true);
    }
  });

  it('refuses duplicate tenant ids', () => {
    const t = {
      vendor: 'cloudmanager',
      id: 'cm',
      baseUrl: 'http://x',
      secretName: 's',
      orgId: 'a'.repeat(24),
    };
    expect(() => parseConfig({ tenants: [t, t] })).toThrow(/duplicate tenant id/);
  });

  it('aliases: a map of primary email -> alias emails, each address listed once (case-insensitive)', () => {
    expect(parseConfig({}).aliases).toEqual({});
    expect(parseConfig({ aliases: { 'dana@example.com': ['d.leaver@example.org'] } }).aliases).toEqual({
      'dana@example.com': ['d.leaver@example.org'],
    });
    const problems = (value: unknown) => {
      try {
        parseConfig({ aliases: value });
      } catch (e) {
        return (e as ConfigInvalidError).problems;
      }
      return [];
    };
    expect(problems({ 'not-an-email': ['a@example.com'] })).toContain(
      'aliases.not-an-email: must be an email address (the primary email)',
    );
    expect(problems({ 'dana@example.com': ['nope'] })).toEqual([
      'aliases.dana@example.com[0]: must be an email address',
    ]);
    expect(problems({ 'dana@example.com': ['a@example.com', 'A@Example.com'] })).toEqual([
      'aliases.dana@example.com[1]: address listed more than once (as a primary email or an alias)',
    ]);
    expect(
      problems({ 'dana@example.com': ['a@example.com'], 'sam@example.com': ['a@example.com'] }),
    ).toHaveLength(1);
    expect(problems({ 'dana@example.com': ['sam@example.com'], 'Sam@example.com': [] })).toHaveLength(1);
    expect(problems({ 'dana@example.com': ['Dana@example.com'] })).toHaveLength(1);
  });
});
