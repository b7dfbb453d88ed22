import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../lambdas/core/config.ts';
import {
  DEFAULT_CONFIG_PATH,
  describeConfigError,
  loadConfig,
} from '../../../lambdas/handlers/config-loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaver-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(env: NodeJS.ProcessEnv): ConfigInvalidError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigInvalidError);
    return e as ConfigInvalidError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('loads the demo configuration by default', () => {
    const config = loadConfig({});
    expect(DEFAULT_CONFIG_PATH).toBe('local/demo-config.json');
    expect(config.tenants.map((t) => t.vendor).sort()).toEqual(['atlas', 'cloudmanager', 'itwin']);
    expect(config.sources.map((s) => s.type).sort()).toEqual(['bamboohr', 'hibob', 'okta', 'standard']);
    expect(config.safety.protectedEmails).toContain('breakglass-admin@example.com');
  });

  it('prefers LEAVER_CONFIG_JSON over the file', () => {
    const config = loadConfig({
      LEAVER_CONFIG_JSON: JSON.stringify({ sources: [{ id: 'hr', type: 'standard', secretName: 'x' }] }),
      LEAVER_CONFIG: '/does/not/exist.json',
    });
    expect(config.sources.map((s) => s.id)).toEqual(['hr']);
    expect(config.tenants).toEqual([]);
  });

  it('reads the file LEAVER_CONFIG names', () => {
    const path = file('ok.json', JSON.stringify({ safety: { killSwitch: true } }));
    expect(loadConfig({ LEAVER_CONFIG: path }).safety.killSwitch).toBe(true);
  });

  it('names the field and the rule of every problem, without a stack trace in the message', () => {
    const path = file(
      'bad.json',
      JSON.stringify({
        tenants: [{ id: 'cm', vendor: 'cloudmanager', baseUrl: 'ftp://x', secretName: 's', orgId: 'nope' }],
        safety: { killSwitch: 'yes' },
      }),
    );
    const e = failure({ LEAVER_CONFIG: path });
    const message = describeConfigError(e)!;
    expect(message).toContain(`${path}: tenants[0].baseUrl: must be an http(s) URL`);
    expect(message).toContain('tenants[0].orgId: must be a 24-hex ObjectId');
    expect(message).toContain('safety.killSwitch');
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('refuses invalid JSON and a missing file, naming the file', () => {
    const bad = file('broken.json', '{ "tenants": [');
    expect(failure({ LEAVER_CONFIG: bad }).message).toContain(`${bad}: not valid JSON`);
    const missing = join(dir, 'missing.json');
    expect(failure({ LEAVER_CONFIG: missing }).message).toContain(`${missing}: file not found`);
    expect(failure({ LEAVER_CONFIG_JSON: '[]' }).message).toContain('LEAVER_CONFIG_JSON: (root)');
  });

  it('never quotes the document in a JSON syntax error (it may hold a webhook URL)', () => {
    // V8's "Unexpected token" messages quote the text around the error.
    const docs = ['{"notifications":{"slackWebhookUrl":s3cr3tHookPart}}', 's3cr3tHookPart'];
    for (const doc of docs) {
      const message = failure({ LEAVER_CONFIG_JSON: doc }).message;
      expect(message).toContain('LEAVER_CONFIG_JSON: not valid JSON');
      expect(message).not.toContain('s3cr3t');
    }
    expect(failure({ LEAVER_CONFIG_JSON: '{"a":1,}' }).message).toContain('not valid JSON (at position 7)');
  });

  it('describeConfigError ignores other errors', () => {
    expect(describeConfigError(new Error('x'))).toBeUndefined();
  });
});

describe('shipped configuration files', () => {
  it('the single-machine example is valid and points at the real vendor APIs', () => {
    const config = loadConfig({ LEAVER_CONFIG: 'local/single-machine.example.json' });
    expect(config.tenants.map((t) => new URL(t.baseUrl).protocol)).toEqual(['https:', 'https:', 'https:']);
  });

  it('every secret the demo configuration names is in local/secrets.json with the shape its user reads', async () => {
    const config = loadConfig({});
    const secrets = (await import('../../../local/secrets.json', { with: { type: 'json' } }))
      .default as Record<string, Record<string, unknown>>;
    const shapes: Record<string, string[]> = {
      itwin: ['clientId', 'clientSecret'],
      atlas: ['clientId', 'clientSecret'],
      cloudmanager: ['publicKey', 'privateKey'],
      standard: ['secret'],
      okta: ['token'],
      bamboohr: ['privateKey'],
      hibob: ['secret'],
    };
    for (const t of config.tenants)
      expect(Object.keys(secrets[t.secretName] ?? {}).sort()).toEqual([...shapes[t.vendor]!].sort());
    for (const s of config.sources) expect(Object.keys(secrets[s.secretName] ?? {})).toEqual(shapes[s.type]);
    expect(typeof secrets[config.api.localTokenSecretName]?.token).toBe('string');
    expect(String(secrets['leaver/hooks/standard']?.secret)).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
  });
});
