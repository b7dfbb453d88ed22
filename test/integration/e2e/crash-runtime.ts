/**
 * The local runtime (`tsx local/main.ts`) as a child process that a test can kill -9 and start
 * again on the same data directory, keeping every line each life printed (its log).
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { spawnTs } from '../../../bench/support/processes.ts';

const MAIN = resolve(import.meta.dirname, '../../../local/main.ts');
const LISTENING = /Leaver local runtime listening on (http:\/\/[^\s]+)/;

export interface RuntimeLife {
  pid: number;
  url: string;
  /** Every line the process printed (stdout and stderr), in order. */
  lines: string[];
}

export class RuntimeProcess {
  readonly lives: RuntimeLife[] = [];
  private child?: ChildProcess;

  constructor(private readonly env: Record<string, string>) {}

  get url(): string {
    const life = this.lives.at(-1);
    if (!life) throw new Error('the runtime was never started');
    return life.url;
  }

  /** Starts a new life and resolves with its URL once it listens (recovery at start is done then). */
  async start(timeoutMs = 60_000): Promise<RuntimeLife> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      throw new Error('the runtime is already running');
    }
    const child = spawnTs(MAIN, { PORT: '0', LEAVER_SANDBOX: 'off', ...this.env });
    this.child = child;
    const lines: string[] = [];
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let buf = '';
      stream?.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
      });
    };
    collect(child.stdout);
    collect(child.stderr);
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(
        () =>
          fail(
            new Error(`the runtime did not listen within ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`),
          ),
        timeoutMs,
      );
      const check = setInterval(() => {
        const line = lines.find((l) => LISTENING.test(l));
        if (line) {
          clearTimeout(timer);
          clearInterval(check);
          done(LISTENING.exec(line)![1]!);
        }
      }, 20);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        clearInterval(check);
        fail(new Error(`the runtime exited (${code ?? signal}) before listening:\n${lines.join('\n')}`));
      });
    });
    const life = { pid: child.pid!, url, lines };
    this.lives.push(life);
    return life;
  }

  /** kill -9: no handler runs, nothing is flushed or released. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** A clean stop (SIGTERM: the runtime waits for running work), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill('SIGTERM');
    await gone;
    clearTimeout(timer);
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same kill plan. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
