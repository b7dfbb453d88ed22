import { describe, expect, it, vi } from 'vitest';

const traced = vi.hoisted(() => ({ options: [] as unknown[] }));

vi.mock('@aws-lambda-powertools/tracer/middleware', () => ({
  captureLambdaHandler: (_tracer: unknown, options?: unknown) => {
    traced.options.push(options);
    return { before: async () => {}, after: async () => {}, onError: async () => {} };
  },
}));

const { localContext, withMiddleware } = await import('../../../lambdas/handlers/middleware.ts');

describe('withMiddleware', () => {
  it('never copies a response (which can hold raw emails) into a trace', async () => {
    const handler = withMiddleware(async () => ({ subject: { email: 'dana.leaver@example.com' } }));
    await handler({}, localContext('test'));
    expect(traced.options).toHaveLength(1);
    expect(traced.options[0]).toMatchObject({ captureResponse: false });
  });
});
