/**
 * dynalite in this process on a loopback port: DynamoDB for the local runtime and tests. In memory
 * unless `path` names a directory (LevelDB). Only a dev dependency: never import this from a Lambda.
 */
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface DynaliteOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Directory for a persistent store; in memory when absent. */
  path?: string;
}

export interface RunningDynalite {
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(opts: DynaliteOptions = {}): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: opts.path });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
