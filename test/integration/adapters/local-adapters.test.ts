import { describe, expect, it } from 'vitest';
import { OFFBOARDING_ID_PATTERN, UlidIds } from '../../../lambdas/adapters/ids.ts';
import { LogNotifier } from '../../../lambdas/adapters/log-notifier.ts';
import { ManualClock, systemClock } from '../../../lambdas/adapters/system-clock.ts';
import { hashEmail } from '../../../lambdas/core/redact.ts';
import { type MemoryJobMessage, MemoryJobQueue } from '../../../local/adapters/memory-job-queue.ts';
import { captureLog } from './support.ts';

describe('UlidIds', () => {
  it('makes off_ ids that sort by time, also within one millisecond', () => {
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const ids = new UlidIds({ clock });
    const made: string[] = [];
    for (let i = 0; i < 1000; i++) made.push(ids.offboardingId());
    clock.advance(1);
    made.push(ids.offboardingId());
    clock.set('2026-03-01T09:00:00.000Z'); // the clock going back never breaks the order
    made.push(ids.offboardingId());
    for (const id of made) expect(id).toMatch(OFFBOARDING_ID_PATTERN);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });

  it('encodes the time in the first 10 characters', () => {
    const a = new UlidIds({ clock: new ManualClock('2026-03-01T10:00:00.000Z') }).offboardingId();
    const b = new UlidIds({ clock: new ManualClock('2026-03-01T10:00:00.000Z') }).offboardingId();
    const later = new UlidIds({ clock: new ManualClock('2026-03-01T10:00:00.001Z') }).offboardingId();
    expect(a.slice(0, 14)).toBe(b.slice(0, 14));
    expect(a).not.toBe(b);
    expect(later.slice(0, 14) > a.slice(0, 14)).toBe(true);
    expect(systemClock.now()).toBeInstanceOf(Date);
  });
});

describe('LogNotifier', () => {
  it('logs with the email hashed and posts {text} to the webhook', async () => {
    const log = captureLog();
    const posts: Array<{ url: string; body: string }> = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      posts.push({ url, body: String(init.body) });
      return new Response('ok', { status: 200 });
    }) as unknown as typeof fetch;
    const n = new LogNotifier({
      log,
      slackWebhookUrl: 'https://hooks.example.com/T/B/secretpath',
      fetchImpl,
    });
    await n.notify({
      kind: 'reinvited',
      offboardingId: 'off_1',
      vendor: 'itwin',
      message: 'sam.x@example.com re-invited',
    });
    expect(posts).toHaveLength(1);
    const text = (JSON.parse(posts[0]!.body) as { text: string }).text;
    expect(text).toContain('reinvited');
    expect(text).toContain('off_1');
    expect(text).toContain(hashEmail('sam.x@example.com'));
    expect(text).not.toContain('sam.x@example.com');
    expect(JSON.stringify(log.lines)).not.toContain('sam.x@example.com');
    expect(log.lines[0]).toMatchObject({ level: 'warn', message: 'notification' });
  });

  it('logs webhook failures (without the URL) and never throws', async () => {
    const log = captureLog();
    const refusing = (async () => new Response('no', { status: 500 })) as unknown as typeof fetch;
    const throwing = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const url = 'https://hooks.example.com/T/B/secretpath';
    await new LogNotifier({ log, slackWebhookUrl: url, fetchImpl: refusing }).notify({
      kind: 'failure',
      message: 'x',
    });
    await new LogNotifier({ log, slackWebhookUrl: url, fetchImpl: throwing }).notify({
      kind: 'failure',
      message: 'x',
    });
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]!.extra).toMatchObject({ status: 500 });
    expect(JSON.stringify(log.lines)).not.toContain('secretpath');
  });

  it('only logs without a webhook', async () => {
    const log = captureLog();
    let called = false;
    const fetchImpl = (async () => {
      called = true;
      return new Response('');
    }) as unknown as typeof fetch;
    await new LogNotifier({ log, fetchImpl }).notify({ kind: 'rehire', message: 'm' });
    expect(called).toBe(false);
    expect(log.lines).toHaveLength(1);
  });
});

describe('MemoryJobQueue', () => {
  it('delivers every message with at most `concurrency` handlers at once', async () => {
    let active = 0;
    let peak = 0;
    const seen: string[] = [];
    const q = new MemoryJobQueue({
      concurrency: 3,
      onMessage: async (m) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(m.offboardingId);
        active--;
      },
    });
    for (let i = 0; i < 10; i++) await q.enqueue(`off_${i}`);
    await q.drain();
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `off_${i}`).sort());
    expect(peak).toBe(3);
    await q.close();
  });

  it('redelivers failed handling with backoff, then dead-letters', async () => {
    const attempts: MemoryJobMessage[] = [];
    const dead: MemoryJobMessage[] = [];
    const q = new MemoryJobQueue({
      maxAttempts: 3,
      retryBaseMs: 1,
      onMessage: async (m) => {
        attempts.push(m);
        if (m.offboardingId === 'off_flaky' && m.attempt < 2) throw new Error('transient');
        if (m.offboardingId === 'off_bad') return 'retry';
      },
      onDeadLetter: (m) => dead.push(m),
    });
    await q.enqueue('off_flaky');
    await q.enqueue('off_bad');
    await q.drain();
    expect(attempts.filter((m) => m.offboardingId === 'off_flaky').map((m) => m.attempt)).toEqual([1, 2]);
    expect(attempts.filter((m) => m.offboardingId === 'off_bad').map((m) => m.attempt)).toEqual([1, 2, 3]);
    expect(dead.map((m) => m.offboardingId)).toEqual(['off_bad']);
    expect(q.deadLetters()).toHaveLength(1);
    await q.close();
  });

  it('a message waiting for a live run is delivered again when that run ends, using no attempt', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let running = false;
    const seen: Array<{ id: string; attempt: number; answer: string }> = [];
    const q = new MemoryJobQueue({
      // One failed delivery would dead-letter: waiting must not count as one.
      maxAttempts: 1,
      concurrency: 4,
      onMessage: async (m) => {
        if (m.offboardingId === 'off_run' && !running && seen.length === 0) {
          running = true;
          seen.push({ id: 'run', attempt: m.attempt, answer: 'started' });
          await gate;
          running = false;
          return 'done';
        }
        // The duplicate: its offboarding is busy for ten minutes as far as it can tell.
        const answer = running ? 'wait' : 'done';
        seen.push({ id: 'dup', attempt: m.attempt, answer });
        return running ? { waitMs: 600_000 } : 'done';
      },
    });
    await q.enqueue('off_run');
    await new Promise((r) => setImmediate(r));
    await q.enqueue('off_run');
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(seen.map((s) => s.answer)).toEqual(['started', 'wait']);
    release();
    // Resolves only because the run's end woke the duplicate (its own timer is ten minutes away).
    await q.drain();
    expect(seen).toEqual([
      { id: 'run', attempt: 1, answer: 'started' },
      { id: 'dup', attempt: 1, answer: 'wait' },
      { id: 'dup', attempt: 1, answer: 'done' },
    ]);
    expect(q.deadLetters()).toEqual([]);
    await q.close();
  });

  it('a wait also ends by its own timer', async () => {
    const attempts: number[] = [];
    const q = new MemoryJobQueue({
      maxAttempts: 1,
      onMessage: async (m) => {
        attempts.push(m.attempt);
        return attempts.length < 3 ? { waitMs: 1 } : 'done';
      },
    });
    await q.enqueue('off_wait');
    await q.drain();
    expect(attempts).toEqual([1, 1, 1]);
    expect(q.deadLetters()).toEqual([]);
    await q.close();
  });

  it('holds a delayed message until its time', async () => {
    const seen: string[] = [];
    const q = new MemoryJobQueue({ onMessage: async (m) => void seen.push(m.offboardingId) });
    await q.enqueue('off_later', { delaySeconds: 0.05 });
    await q.enqueue('off_now');
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['off_now']);
    expect(q.pending).toBe(1);
    await q.drain();
    expect(seen).toEqual(['off_now', 'off_later']);
    await q.close();
  });

  it('close() waits for running handlers, drops delayed ones and refuses new messages', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let finished = false;
    const q = new MemoryJobQueue({
      onMessage: async (m) => {
        if (m.offboardingId === 'off_slow') {
          await gate;
          finished = true;
        }
      },
    });
    await q.enqueue('off_slow');
    await q.enqueue('off_delayed', { delaySeconds: 600 });
    await new Promise((r) => setImmediate(r));
    const closing = q.close();
    release();
    await closing;
    expect(finished).toBe(true);
    expect(q.pending).toBe(0);
    await expect(q.enqueue('off_x')).rejects.toThrow(/closed/);
  });
});
