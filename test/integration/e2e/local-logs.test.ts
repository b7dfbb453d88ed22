/**
 * The local runtime runs every function in one process: its log lines still name the function that
 * wrote them. The demo polls the API while the worker runs (their invocations interleave, which
 * once made worker lines say `leaver-api`); afterwards an API call that logs (the kill switch).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/handlers/observability.ts';
import { runDemo } from '../../../local/demo.ts';
import { type LocalRuntime, startLocal } from '../../../local/main.ts';
import { DANA } from './pipeline.ts';

interface Line {
  message?: string;
  function_name?: string;
}

let rt: LocalRuntime;
const lines: Line[] = [];
const level = logger.getLevelName();

beforeAll(async () => {
  logger.setLogLevel('INFO');
  // The logger writes INFO to stdout and WARN/ERROR to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const json = text.split('\n').filter((l) => l.startsWith('{"level"'));
      if (json.length === 0) return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      for (const l of json) lines.push(JSON.parse(l) as Line);
      return true;
    });
  }
  rt = await startLocal({ port: 0, sandboxPort: 0, schedules: false, banner: false });
});

afterAll(async () => {
  await rt?.close();
  vi.restoreAllMocks();
  logger.setLogLevel(level as 'INFO');
});

describe('the local runtime logs each line under the function that wrote it', () => {
  it('intake lines say leaver-intake, worker runs leaver-worker, API calls leaver-api', async () => {
    const demo = await runDemo({
      email: DANA,
      baseUrl: rt.url,
      config: rt.config,
      secretsFile: 'local/secrets.json',
      pollMs: 20,
      write: () => {},
    });
    expect(demo.status).toBe('completed');
    // The worker logs "offboarding processed" after it stored `completed` (and after the batch's
    // digest): wait for its invocation to end, not just for the status the demo polls.
    await rt.drain();
    const res = await fetch(`${rt.url}/v1/kill-switch`, {
      method: 'PUT',
      headers: { authorization: 'Bearer leaver-local-demo-token', 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false, reason: 'log test' }),
    });
    expect(res.status).toBe(200);

    const named = (message: string) => lines.filter((l) => l.message === message).map((l) => l.function_name);
    const processed = named('offboarding processed');
    expect(processed.length).toBeGreaterThan(0);
    expect(new Set(processed)).toEqual(new Set(['leaver-worker']));
    expect(named('webhook accepted')).toEqual(['leaver-intake']);
    expect(named('kill switch set')).toEqual(['leaver-api']);
  });
});
