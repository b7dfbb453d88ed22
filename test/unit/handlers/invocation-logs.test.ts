/**
 * Handlers sharing one process (the local runtime runs the API, the worker and the schedules side by
 * side) each log under their own function name and request id, even when their invocations
 * interleave: the logger's Lambda context belongs to the invocation, not to the process.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// As Lambda sets it for an on-demand instance (the logger reads it once, when created).
vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
const { localContext, withMiddleware } = await import('../../../lambdas/handlers/middleware.ts');
const { coreLog, logger } = await import('../../../lambdas/handlers/observability.ts');

interface Line {
  message: string;
  function_name?: string;
  function_request_id?: string;
  cold_start?: boolean;
}

let lines: Line[] = [];
const write = process.stdout.write.bind(process.stdout);
let level: string;

beforeAll(() => {
  level = logger.getLevelName();
  logger.setLogLevel('INFO');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const raw of text.split('\n')) {
      if (!raw.startsWith('{')) continue;
      const parsed = JSON.parse(raw) as Line;
      if (parsed.message?.startsWith('probe ')) {
        lines.push(parsed);
        return true;
      }
    }
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  });
});

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  logger.setLogLevel(level as 'INFO');
});

/** A promise and the function that settles it, to interleave two invocations step by step. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

describe('log lines carry the function that wrote them', () => {
  it('only the first invocation of the process is a cold start (this test runs first)', async () => {
    lines = [];
    const h = withMiddleware(async () => {
      logger.info('probe cold');
      return {};
    });
    await h({}, localContext('leaver-api'));
    await h({}, localContext('leaver-api'));
    const flags = lines.filter((l) => l.message === 'probe cold').map((l) => l.cold_start);
    expect(flags).toEqual([true, false]);
  });

  it('a worker run interleaved with an API call: each line names its own function and request', async () => {
    lines = [];
    const workerStarted = gate();
    const apiDone = gate();
    const log = coreLog();
    const worker = withMiddleware(async () => {
      logger.info('probe worker before');
      workerStarted.open();
      await apiDone.wait;
      // Written after the API call began and ended: still the worker's.
      logger.info('probe worker after');
      log.info('probe worker core', { offboardingId: 'off_1' });
      return {};
    });
    const api = withMiddleware(async () => {
      logger.info('probe api');
      return {};
    });
    const workerCtx = localContext('leaver-worker');
    const apiCtx = localContext('leaver-api');
    const running = worker({}, workerCtx);
    await workerStarted.wait;
    await api({}, apiCtx);
    apiDone.open();
    await running;
    // Outside any invocation: no function context at all.
    logger.info('probe outside');

    const by = (m: string) => lines.find((l) => l.message === m)!;
    for (const m of ['probe worker before', 'probe worker after', 'probe worker core']) {
      expect(by(m).function_name, m).toBe('leaver-worker');
      expect(by(m).function_request_id, m).toBe(workerCtx.awsRequestId);
    }
    expect(by('probe api').function_name).toBe('leaver-api');
    expect(by('probe api').function_request_id).toBe(apiCtx.awsRequestId);
    expect(by('probe outside').function_name).toBeUndefined();
  });
});
