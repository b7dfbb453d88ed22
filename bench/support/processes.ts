/**
 * Child processes the benchmarks and the chaos run start: the sandbox, dynalite, moto_server, and
 * worker processes. Each announces its URL as one JSON line on stdout. Every child started here is
 * killed (by its own pid) when the parent exits.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const HERE = import.meta.dirname;
const children = new Set<ChildProcess>();

process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
});

export interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Runs a TypeScript file of this repo in a fresh Node process (tsx loader). */
export function spawnTs(file: string, env: Record<string, string> = {}, inherit = false): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(file)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', inherit ? 'inherit' : 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Resolves with the first JSON line `{url}` the child prints. */
export function waitForUrl(child: ChildProcess, what: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start within ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        const { url } = JSON.parse(buf.slice(0, nl)) as { url: string };
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolveUrl(url);
      } catch (e) {
        clearTimeout(timer);
        reject(new Error(`${what} printed no URL: ${(e as Error).message}`));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code}: ${err}`));
    });
  });
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const t = setTimeout(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(t);
      done();
    });
    child.kill(signal);
  });
}

async function startTsChild(file: string, what: string, env: Record<string, string> = {}): Promise<Child> {
  const child = spawnTs(resolve(HERE, file), env);
  const url = await waitForUrl(child, what);
  return { process: child, url, stop: () => stopChild(child) };
}

/** The sandbox in a child process; `perVendorHosts` binds all interfaces (see SandboxClient). */
export const startSandboxProcess = (perVendorHosts = false) =>
  startTsChild('sandbox-child.ts', 'sandbox', perVendorHosts ? { SANDBOX_HOST: '0.0.0.0' } : {});
export const startDynaliteProcess = () => startTsChild('dynalite-child.ts', 'dynalite');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** moto_server on a free loopback port; fails loudly when it is not installed. */
export async function startMoto(): Promise<Child> {
  const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (which.status !== 0) {
    throw new Error('moto_server is required (pip install "moto[server]==5.2.1") and was not found on PATH');
  }
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`moto_server did not answer on ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, url, stop: () => stopChild(child) };
}
