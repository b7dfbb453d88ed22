/**
 * Starts one moto server for the whole run on a free loopback port and hands its URL to the tests
 * (`inject('motoEndpoint')`). moto is required: when it is missing the run fails loudly, never skips.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms`);
}

let moto: ChildProcess | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.MOTO_ENDPOINT;
  if (existing) {
    project.provide('motoEndpoint', existing);
    return async () => {};
  }
  // moto is driven through its Python API (see moto-serial.py: requests applied one at a time, as
  // DynamoDB applies them), so the interpreter that has moto installed is the one to find.
  const probe = spawnSync('python3', ['-c', 'import moto.moto_server.werkzeug_app'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      'moto (the moto_server package) is required by the integration tests and python3 cannot import it. Install it with `python3 -m pip install "moto[server]==5.2.1"`.',
    );
  }
  const port = await freePort();
  const script = fileURLToPath(new URL('./moto-serial.py', import.meta.url));
  moto = spawn('python3', [script, '127.0.0.1', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url, moto, 30_000);
  project.provide('motoEndpoint', url);
  return async () => {
    moto?.kill('SIGTERM');
  };
}
