/** Runs the `leaver` bin as a child process (the way a user runs it). */
import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
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
