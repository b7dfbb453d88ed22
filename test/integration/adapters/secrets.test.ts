import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  type GetSecretValueCommandInput,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SecretsManagerStore } from '../../../lambdas/adapters/secrets-manager-store.ts';
import { ManualClock } from '../../../lambdas/adapters/system-clock.ts';
import { LeaverError } from '../../../lambdas/core/errors.ts';
import { FileSecretStore } from '../../../local/adapters/file-secret-store.ts';
import { awsConfig, uniqueName } from './support.ts';

const endpoint = inject('motoEndpoint');
const raw = new SecretsManagerClient(awsConfig(endpoint));

/** Counts GetSecretValue calls going through to moto. */
function countingClient(): { client: SecretsManagerClient; calls: GetSecretValueCommandInput[] } {
  const calls: GetSecretValueCommandInput[] = [];
  const client = {
    send: (cmd: { input: GetSecretValueCommandInput }) => {
      calls.push(cmd.input);
      // biome-ignore lint/suspicious/noExplicitAny: forwarding the command as is.
      return raw.send(cmd as any);
    },
  } as unknown as SecretsManagerClient;
  return { client, calls };
}

async function rejection(p: Promise<unknown>): Promise<LeaverError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LeaverError);
  return e as LeaverError;
}

afterAll(() => raw.destroy());

describe('SecretsManagerStore', () => {
  const name = `leaver/${uniqueName('itwin')}`;
  beforeAll(async () => {
    await raw.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ clientId: 'service-leaver-demo', clientSecret: 'first-secret-value' }),
      }),
    );
  });

  it('reads the JSON value, caches it, shares concurrent reads, and picks up a rotation after invalidate', async () => {
    const { client, calls } = countingClient();
    const clock = new ManualClock();
    const store = new SecretsManagerStore({ client, clock, maxAgeMs: 60_000 });
    const [a, b, c] = await Promise.all([store.get(name), store.get(name), store.get(name)]);
    expect(a).toEqual({ clientId: 'service-leaver-demo', clientSecret: 'first-secret-value' });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(calls).toHaveLength(1);
    await store.get(name);
    expect(calls).toHaveLength(1);

    await raw.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ clientId: 'service-leaver-demo', clientSecret: 'rotated-value' }),
      }),
    );
    expect((await store.get<{ clientSecret: string }>(name)).clientSecret).toBe('first-secret-value');
    store.invalidate(name);
    expect((await store.get<{ clientSecret: string }>(name)).clientSecret).toBe('rotated-value');
    expect(calls).toHaveLength(2);
  });

  it('refetches once the value is older than maxAgeMs', async () => {
    const { client, calls } = countingClient();
    const clock = new ManualClock();
    const store = new SecretsManagerStore({ client, clock, maxAgeMs: 1000 });
    await store.get(name);
    clock.advance(999);
    await store.get(name);
    expect(calls).toHaveLength(1);
    clock.advance(2);
    await store.get(name);
    expect(calls).toHaveLength(2);
  });

  it('a missing secret is secret_unavailable naming the secret only', async () => {
    const store = new SecretsManagerStore({ client: raw });
    const e = await rejection(store.get('leaver/does-not-exist'));
    expect(e.code).toBe('secret_unavailable');
    expect(e.message).toContain('leaver/does-not-exist');
    expect(e.cause).toBeUndefined();
  });

  it('a value that is not a JSON object fails without echoing it', async () => {
    const bad = `leaver/${uniqueName('bad')}`;
    await raw.send(new CreateSecretCommand({ Name: bad, SecretString: 'hunter2-plain-text' }));
    const store = new SecretsManagerStore({ client: raw });
    const e = await rejection(store.get(bad));
    expect(e.code).toBe('secret_unavailable');
    expect(e.message).not.toContain('hunter2');
    expect(JSON.stringify(e.details)).not.toContain('hunter2');
  });

  it('does not cache failures', async () => {
    const later = `leaver/${uniqueName('later')}`;
    const store = new SecretsManagerStore({ client: raw });
    await rejection(store.get(later));
    await raw.send(new CreateSecretCommand({ Name: later, SecretString: '{"token":"t1"}' }));
    expect(await store.get(later)).toEqual({ token: 't1' });
  });
});

describe('FileSecretStore', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'leaver-secrets-'));
    path = join(dir, 'secrets.json');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a named value and picks up a rotated file after invalidate', async () => {
    await writeFile(path, JSON.stringify({ 'leaver/api': { token: 'one' }, other: { secret: 'whsec_x' } }));
    const store = new FileSecretStore({ path });
    expect(await store.get('leaver/api')).toEqual({ token: 'one' });
    await writeFile(path, JSON.stringify({ 'leaver/api': { token: 'two' } }));
    expect(await store.get('leaver/api')).toEqual({ token: 'one' });
    store.invalidate('leaver/api');
    expect(await store.get('leaver/api')).toEqual({ token: 'two' });
  });

  it('re-reads the file when the cached copy is older than maxAgeMs', async () => {
    await writeFile(path, JSON.stringify({ a: { v: 1 } }));
    const clock = new ManualClock();
    const store = new FileSecretStore({ path, maxAgeMs: 100, clock });
    expect(await store.get('a')).toEqual({ v: 1 });
    await writeFile(path, JSON.stringify({ a: { v: 2 } }));
    clock.advance(101);
    expect(await store.get('a')).toEqual({ v: 2 });
  });

  it('names a missing name and a missing file, never a value', async () => {
    await writeFile(path, JSON.stringify({ present: { secret: 'whsec_do_not_print' } }));
    const store = new FileSecretStore({ path });
    const missingName = await rejection(store.get('absent'));
    expect(missingName.code).toBe('secret_unavailable');
    expect(missingName.message).toContain('absent');
    expect(missingName.message).toContain(path);
    expect(missingName.message).not.toContain('whsec_do_not_print');
    const noFile = await rejection(new FileSecretStore({ path: join(dir, 'nope.json') }).get('x'));
    expect(noFile.message).toContain(join(dir, 'nope.json'));
    expect(noFile.message).toMatch(/not found/);
  });

  it('reports malformed JSON without quoting the file', async () => {
    await writeFile(path, '{"a": {"secret": "whsec_leak_me" ');
    const e = await rejection(new FileSecretStore({ path }).get('a'));
    expect(e.message).toContain('not valid JSON');
    expect(e.message).not.toContain('whsec_leak_me');
    expect(e.cause).toBeUndefined();
  });

  it('refuses a value that is not an object, and inherited names', async () => {
    await writeFile(path, JSON.stringify({ str: 'plain' }));
    const store = new FileSecretStore({ path });
    expect((await rejection(store.get('str'))).message).not.toContain('plain');
    expect((await rejection(store.get('constructor'))).code).toBe('secret_unavailable');
  });
});
