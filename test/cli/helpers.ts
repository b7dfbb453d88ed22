/**
 * Runs the `leaver` CLI: in this process through `main(argv, io)` (fast; what most tests need), or
 * as the `cli/bin.js` child process a user runs (`spawnCli`, for the bin itself and its exit codes).
 */
import { execFile } from 'node:child_process';
import { main } from '../../cli/main.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (s) => {
      stdout += `${s}\n`;
    },
    write: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += `${s}\n`;
    },
    env: { ...process.env, LEAVER_TOKEN: undefined, LEAVER_URL: undefined, ...env },
  });
  return { code, stdout, stderr };
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['cli/bin.js', ...args],
      {
        cwd: process.cwd(),
        env: { ...process.env, LEAVER_TOKEN: undefined, LEAVER_URL: undefined, ...env },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Tenants of the demo configuration without iTwin (its demo runs are not needed here). */
export function onlyMongoTenants(c: Record<string, unknown>): void {
  c.tenants = (c.tenants as { vendor: string }[]).filter((t) => t.vendor !== 'itwin');
}
