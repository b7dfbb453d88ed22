/**
 * The operator's commands against the local runtime: an offboarding held by the kill switch shows
 * as held in `leaver status` and `leaver list` and resumes on `leaver kill-switch off`; `leaver dlq
 * list` and `leaver dlq redrive` inspect and empty the in-process queue's dead-letter list.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocal } from '../../local/main.ts';
import { onlyMongoTenants, runCli } from './helpers.ts';

let rt: LocalRuntime;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  const config = JSON.parse(readFileSync('local/demo-config.json', 'utf8')) as Record<string, unknown>;
  onlyMongoTenants(config);
  rt = await startLocal({
    port: 0,
    sandboxPort: 0,
    schedules: false,
    banner: false,
    secretsFile: 'local/secrets.json',
    config,
    // Redeliveries a millisecond apart: a message reaches the dead-letter list in five quick tries.
    retryBaseMs: 1,
  });
  env = { LEAVER_URL: rt.url };
});

afterAll(async () => {
  await rt?.close();
});

describe('held by the kill switch', () => {
  it('status and list show it held; kill-switch off resumes it and it completes', async () => {
    expect((await cli('kill-switch', 'on', '--reason', 'incident')).code).toBe(0);
    const started = await cli('offboard', 'held.leaver@example.com', '--reason', 'left', '--json');
    expect(started.code).toBe(0);
    const id = JSON.parse(started.stdout).id as string;
    await rt.drain();
    expect(rt.queue.deadLetters()).toEqual([]); // held, not retried into the dead-letter list

    const status = await cli('status', id);
    expect(status.stdout).toMatch(/status\s+scheduled \(held\)/);
    expect(status.stdout).toMatch(/held\s+since \S+ by the kill switch/);
    const list = await cli('list', '--email', 'held.leaver@example.com');
    expect(list.stdout).toContain('scheduled (held)');
    expect(JSON.parse((await cli('status', id, '--json')).stdout).heldAt).toEqual(expect.any(String));

    const off = await cli('kill-switch', 'off', '--reason', 'resolved');
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('1 held offboarding(s) resumed');
    await rt.drain();
    const after = await cli('status', id);
    expect(after.stdout).toMatch(/status\s+completed\n/);
    expect(after.stdout).not.toMatch(/\(held\)|held\s+since/);
  });
});

describe('leaver dlq', () => {
  it('list shows what failed every delivery; redrive puts it back and it runs', async () => {
    expect((await cli('dlq', 'list')).stdout).toContain('The dead-letter queue is empty.');
    // A delivery whose offboarding cannot be read (storage trouble) answers 'retry' every time:
    // after the last one the message is dead-lettered.
    const { offboarding } = await rt.deps.store.create({
      id: 'off_01DLQTEST000000000000000000',
      subject: { email: 'stuck.leaver@example.com', aliases: [] },
      origin: { type: 'api', id: 'local' },
      sourceEventId: 'dlq-test',
      status: 'running',
      effectiveAt: new Date().toISOString(),
      receivedAt: new Date().toISOString(),
      counts: { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
      attempts: 1,
      version: 0,
    });
    const store = rt.deps.store;
    const realGet = store.get.bind(store);
    store.get = async (id) => {
      if (id === offboarding.id) throw new Error('storage unavailable');
      return realGet(id);
    };
    await rt.queue.enqueue(offboarding.id);
    await rt.drain();
    expect(rt.queue.deadLetters().map((m) => m.offboardingId)).toEqual([offboarding.id]);
    store.get = realGet; // storage is back: a redrive lets the worker take it over and finish it

    const listed = await cli('dlq', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${offboarding.id}\\s+running\\s+5\\s`));
    const json = JSON.parse((await cli('dlq', 'list', '--json')).stdout);
    expect(json).toMatchObject({
      more: false,
      items: [{ offboardingId: offboarding.id, status: 'running' }],
    });
    expect(rt.queue.deadLetters()).toHaveLength(1); // listing leaves it there

    const redrive = await cli('dlq', 'redrive');
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain('Moved 1 message(s)');
    await rt.drain();
    expect(rt.queue.deadLetters()).toEqual([]);
    expect((await rt.deps.store.get(offboarding.id))?.status).toBe('completed');
    expect((await cli('dlq', 'list')).stdout).toContain('empty');
  });

  it('bad usage exits 2', async () => {
    for (const args of [
      ['dlq'],
      ['dlq', 'purge'],
      ['dlq', 'list', '--limit', 'x'],
      ['dlq', 'redrive', 'now'],
    ]) {
      expect((await cli(...args)).code, args.join(' ')).toBe(2);
    }
  });
});
