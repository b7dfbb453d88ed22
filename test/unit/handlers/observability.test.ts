import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashEmail } from '../../../lambdas/core/redact.ts';
import {
  coreLog,
  deadlineFrom,
  MetricsRecorder,
  makeCtx,
  onVendorCall,
  recorder,
  redactForLog,
} from '../../../lambdas/handlers/observability.ts';

/** Captures what Powertools writes to stdout while `fn` runs. */
function captureStdout(fn: () => void): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

afterEach(() => vi.restoreAllMocks());

describe('log redaction', () => {
  const logger = new Logger({ serviceName: 'leaver', jsonReplacerFn: redactForLog });

  it('hashes emails anywhere and drops secret-looking values', () => {
    const out = captureStdout(() =>
      logger.info('offboarding dana.leaver@example.com started', {
        subject: { email: 'Dana.Leaver@Example.com', aliases: ['dl@example.org'] },
        headers: { authorization: 'Bearer abc.def', 'webhook-signature': 'v1,xyz', host: 'h' },
        secret: { secret: 'whsec_abc' },
        clientSecret: 'shh',
        secretName: 'leaver/hooks/standard',
        error: new Error('could not reach sam.stays@example.com'),
      }),
    );
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(out).not.toMatch(/dana\.leaver@example\.com|Dana\.Leaver|dl@example\.org|sam\.stays/);
    expect(out).not.toContain('Bearer abc.def');
    expect(out).not.toContain('v1,xyz');
    expect(out).not.toContain('whsec_abc');
    expect(out).not.toContain('shh');
    expect(line.message).toBe(`offboarding ${hashEmail('dana.leaver@example.com')} started`);
    expect((line.subject as { email: string }).email).toBe(hashEmail('dana.leaver@example.com'));
    expect((line.headers as Record<string, string>).host).toBe('h');
    expect((line.headers as Record<string, string>).authorization).toBe('[redacted]');
    expect(line.secretName).toBe('leaver/hooks/standard');
    expect(JSON.stringify(line.error)).toContain(hashEmail('sam.stays@example.com'));
  });

  it('coreLog uses the offboarding id as correlation id', () => {
    const out = captureStdout(() => coreLog(logger).info('step', { offboardingId: 'off_1', n: 1 }));
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line.correlation_id).toBe('off_1');
    expect(line.offboardingId).toBe('off_1');
  });
});

describe('metrics', () => {
  it('aggregates counts per dimension set and publishes one EMF document each', () => {
    const rec = new MetricsRecorder(new Metrics({ namespace: 'Test', serviceName: 'leaver' }));
    rec.count('Actions', { vendor: 'atlas', outcome: 'revoked' });
    rec.count('Actions', { outcome: 'revoked', vendor: 'atlas' });
    rec.count('Actions', { vendor: 'itwin', outcome: 'failed' });
    onVendorCall(
      { vendor: 'itwin', tenantId: 't', method: 'GET', route: '/x', status: 429, durationMs: 1, attempt: 1 },
      rec,
    );
    onVendorCall(
      { vendor: 'itwin', tenantId: 't', method: 'GET', route: '/x', status: 200, durationMs: 1, attempt: 1 },
      rec,
    );
    expect(rec.pending()).toEqual([
      { name: 'Actions', dims: { vendor: 'atlas', outcome: 'revoked' }, values: [1, 1] },
      { name: 'Actions', dims: { vendor: 'itwin', outcome: 'failed' }, values: [1] },
      { name: 'VendorThrottled', dims: { vendor: 'itwin' }, values: [1] },
    ]);
    const out = captureStdout(() => rec.flush());
    const docs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs).toHaveLength(3);
    const atlas = docs.find((d) => d.vendor === 'atlas')!;
    expect(atlas.Actions).toBe(2);
    expect(atlas.outcome).toBe('revoked');
    expect(rec.pending()).toEqual([]);
  });
});

describe('the process logger', () => {
  it('is constructed on its first use, not when the module loads, and then logs as before', async () => {
    vi.resetModules(); // a fresh instance of the module, as a cold start has
    const fresh = await import('../../../lambdas/handlers/observability.ts');
    expect(fresh.processLoggerBuilt()).toBe(false);

    fresh.logger.appendKeys({ source: 'standard' });
    expect(fresh.processLoggerBuilt()).toBe(true);
    const out = captureStdout(() => fresh.logger.info('hello dana.leaver@example.com'));
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line.message).toBe(`hello ${hashEmail('dana.leaver@example.com')}`);
    expect(line.source).toBe('standard');
    expect(fresh.logger).toBeInstanceOf(Logger);

    const level = fresh.logger.getLevelName();
    fresh.logger.setLogLevel('ERROR');
    expect(captureStdout(() => fresh.logger.info('not written'))).toBe('');
    fresh.logger.setLogLevel(level);
  });
});

describe('the process-wide recorder', () => {
  it('loads Powertools Metrics at its first flush with something to publish, then publishes', async () => {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
    try {
      await recorder.flush(); // nothing recorded: nothing written
      expect(chunks).toEqual([]);
      recorder.count('ColdStartProbe', { vendor: 'atlas' });
      recorder.count('ColdStartProbe', { vendor: 'atlas' });
      await recorder.flush();
    } finally {
      spy.mockRestore();
    }
    const docs = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ ColdStartProbe: 2, vendor: 'atlas' });
    expect(recorder.pending()).toEqual([]);
  });
});

describe('deadlines', () => {
  it('keeps a safety margin of at most 10 s and a quarter of short budgets', () => {
    expect(deadlineFrom(300_000, 1_000)).toBe(1_000 + 290_000);
    expect(deadlineFrom(8_000, 0)).toBe(6_000);
    expect(deadlineFrom(0, 5)).toBe(5);
  });

  it('makeCtx reports vendor calls to the recorder', () => {
    const ctx = makeCtx({ deadline: 42 });
    expect(ctx.deadline).toBe(42);
    expect(typeof ctx.onVendorCall).toBe('function');
  });
});

describe('instrumentStore', () => {
  it('counts offboardings by status, actions by vendor and outcome, and records time-to-revoke', async () => {
    const { instrumentStore } = await import('../../../lambdas/handlers/wiring.ts');
    const rec = new MetricsRecorder(new Metrics({ namespace: 'Test', serviceName: 'leaver' }));
    const off = {
      id: 'off_1',
      status: 'completed',
      timeToRevokeMs: 900,
      timeToRevokeByVendorMs: { atlas: 400 },
    };
    const inner = {
      create: async () => ({ created: true, offboarding: { ...off, status: 'scheduled' } }),
      transition: async () => off,
      putAction: async () => {},
      get: async () => off,
    } as unknown as Parameters<typeof instrumentStore>[0];
    const store = instrumentStore(inner, rec);
    await store.create(off as never);
    await store.transition('off_1', ['running'], 'completed');
    await store.putAction('off_1', { grant: { vendor: 'itwin' }, outcome: 'revoked' } as never);
    expect(await store.get('off_1')).toBe(off);
    expect(rec.pending()).toEqual([
      { name: 'Offboardings', dims: { status: 'scheduled' }, values: [1] },
      { name: 'Offboardings', dims: { status: 'completed' }, values: [1] },
      { name: 'TimeToRevoke', dims: {}, values: [900] },
      { name: 'TimeToRevoke', dims: { vendor: 'atlas' }, values: [400] },
      { name: 'Actions', dims: { vendor: 'itwin', outcome: 'revoked' }, values: [1] },
    ]);
  });
});

describe('metrics with several values', () => {
  it('publishes every value of a non-count metric with its dimensions', () => {
    const rec = new MetricsRecorder(new Metrics({ namespace: 'Test', serviceName: 'leaver' }));
    rec.add('TimeToRevoke', 'Milliseconds', 100, { vendor: 'atlas' });
    rec.add('TimeToRevoke', 'Milliseconds', 300, { vendor: 'atlas' });
    const out = captureStdout(() => rec.flush());
    const docs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs.map((d) => [d.vendor, d.TimeToRevoke])).toEqual([
      ['atlas', 100],
      ['atlas', 300],
    ]);
  });
});
