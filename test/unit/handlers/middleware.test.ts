import { describe, expect, it, vi } from 'vitest';

const traced = vi.hoisted(() => ({ options: [] as unknown[] }));

vi.mock('@aws-lambda-powertools/tracer/middleware', () => ({
  captureLambdaHandler: (_tracer: unknown, options?: unknown) => {
    traced.options.push(options);
    return { before: async () => {}, after: async () => {}, onError: async () => {} };
  },
}));

// A stand-in tracer: the real one would load the X-Ray SDK into this test process.
vi.mock('@aws-lambda-powertools/tracer', () => ({
  Tracer: class {
    captureAWSv3Client<T>(client: T): T {
      return client;
    }
  },
}));

const { localContext, withMiddleware } = await import('../../../lambdas/handlers/middleware.ts');

describe('withMiddleware', () => {
  it('never copies a response (which can hold raw emails) into a trace', async () => {
    // In Lambda, where tracing can be on (tracing.ts).
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
    const handler = withMiddleware(async () => ({ subject: { email: 'dana.leaver@example.com' } }));
    await handler({}, localContext('test'));
    vi.unstubAllEnvs();
    expect(traced.options).toHaveLength(1);
    expect(traced.options[0]).toMatchObject({ captureResponse: false });
  });
});
