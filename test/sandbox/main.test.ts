/**
 * `npm run sandbox` (sandbox/main.ts as a process): a port already taken, typically by `npm start`,
 * which embeds the sandbox on the same port, ends it with one line naming the port, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let taken: Server;
let port: number;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((done) => taken.close(done));
});

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('npm run sandbox: start-up problems', () => {
  it('a taken port: exit 1 and one line naming the port, no stack trace', () => {
    const r = run({ PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Sandbox cannot start: port ${port} is already in use (is \`npm start\` running? It includes the sandbox; or set PORT)\n`,
    );
  });

  it('a PORT that is not a port number: exit 1 and one line', () => {
    const r = run({ PORT: 'eighty' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Sandbox cannot start: PORT must be a port number (0-65535)\n');
  });
});
