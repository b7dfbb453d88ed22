/**
 * The tracer loads only where tracing can be on. Its X-Ray SDK registers async hooks on every
 * promise of the process once imported, so loading it where tracing is off costs CPU for nothing.
 * Each case runs in a fresh process: a module once loaded stays loaded.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tracingWanted } from '../../../lambdas/handlers/tracing.ts';

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };

/** In a fresh process: what getTracer gives, and whether the X-Ray SDK was loaded. */
function probe(env: Record<string, string>): { tracer: boolean; xrayLoaded: boolean } {
  const script = `
    import { createRequire } from 'node:module';
    const { getTracer, traceHandler } = await import('./lambdas/handlers/tracing.ts');
    const tracer = await getTracer();
    await traceHandler().before({ event: {}, context: {}, response: undefined, error: undefined, internal: {} });
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ tracer: tracer !== undefined, xrayLoaded: cache.some((k) => k.includes('aws-xray-sdk-core')) }));
  `;
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of ['AWS_EXECUTION_ENV', 'POWERTOOLS_TRACE_ENABLED', 'AWS_SAM_LOCAL']) delete base[name];
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    // Without a Lambda invocation the X-Ray SDK finds no segment: its complaint is not the test's.
    env: { ...base, AWS_REGION: 'us-east-1', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { tracer: boolean; xrayLoaded: boolean };
}

describe('tracingWanted', () => {
  it('follows the rule of Powertools: on only in Lambda, and never when switched off', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted(LAMBDA)).toBe(true);
    expect(tracingWanted({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(tracingWanted({ ...LAMBDA, AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingWanted({ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' })).toBe(false);
  });
});

describe('the tracer module', () => {
  it('is not loaded outside Lambda (the local runtime, tests, benchmarks)', () => {
    expect(probe({})).toEqual({ tracer: false, xrayLoaded: false });
  });

  it('is not loaded in Lambda with tracing switched off', () => {
    expect(probe({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual({
      tracer: false,
      xrayLoaded: false,
    });
  });

  it('is loaded and traces in Lambda', () => {
    expect(probe(LAMBDA)).toEqual({ tracer: true, xrayLoaded: true });
  });
});
