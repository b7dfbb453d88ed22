/**
 * The configuration the stack is synthesized from: the example file is a valid production-shaped
 * configuration, and a bad file stops the synth with a message naming the file, field and rule.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInfraConfig } from '../../infra/load-config.ts';
import { ConfigInvalidError } from '../../lambdas/core/config.ts';
import { EXAMPLE_CONFIG_PATH } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaver-infra-config-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('infra/example-config.json', () => {
  const config = loadInfraConfig(EXAMPLE_CONFIG_PATH);

  it('covers all three vendors and the four HR sources, with IAM (not JWT) on the API', () => {
    expect(config.tenants.map((t) => t.vendor).sort()).toEqual(['atlas', 'cloudmanager', 'itwin']);
    expect(config.sources.map((s) => s.type).sort()).toEqual(['bamboohr', 'hibob', 'okta', 'standard']);
    expect(config.api.auth).toBe('iam');
    expect(config.api.jwt).toBeUndefined();
  });

  it('points at the real vendor endpoints over HTTPS', () => {
    for (const t of config.tenants) expect(t.baseUrl).toMatch(/^https:\/\//);
    expect(config.sources.every((s) => s.enabled)).toBe(true);
  });
});

describe('loadInfraConfig', () => {
  it('names the file, the field and the rule of an invalid configuration', () => {
    const p = write('bad.json', JSON.stringify({ tenants: [{ id: 'X', vendor: 'cloudmanager' }] }));
    try {
      loadInfraConfig(p);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigInvalidError);
      const message = (e as Error).message;
      expect(message).toContain(p);
      expect(message).toContain('tenants[0].id: must be 1-63 lower-case letters');
      expect(message).toContain('tenants[0].orgId');
      expect(message).not.toMatch(/\n\s+at /); // no stack trace in the message
    }
  });

  it('refuses unknown keys (a typo never falls back to a default)', () => {
    const p = write('typo.json', JSON.stringify({ schedule: { dueSweepMinutes: 1 } }));
    expect(() => loadInfraConfig(p)).toThrow(/Unrecognized key/);
  });

  it('reports a file that is not JSON', () => {
    const p = write('broken.json', '{ "tenants": [');
    expect(() => loadInfraConfig(p)).toThrow(/not valid JSON/);
  });

  it('parses with the shared input rules, and never quotes the document in a JSON error', () => {
    const ctl = write('ctl.json', JSON.stringify({ safety: { protectedEmails: ['a..b@example.com'] } }));
    expect(() => loadInfraConfig(ctl)).toThrow(/safety\.protectedEmails\[0\]: must be an email address/);
    // An unquoted value: JSON.parse's own message quotes the text around it.
    const leaky = write('leaky.json', '{"notifications": {"slackWebhookUrl": T0KEN-123}}');
    let message = '';
    try {
      loadInfraConfig(leaky);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain('T0KEN-123');
  });

  it('reports a missing file and how to choose another', () => {
    expect(() => loadInfraConfig(join(dir, 'nope.json'))).toThrow(/file not found \(set LEAVER_CONFIG\)/);
  });
});
