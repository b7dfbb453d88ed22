/**
 * Sandbox capacity benchmark: how many simple authenticated requests per second the sandbox serves
 * (single process, no faults). Hammers `GET /api/atlas/v2/orgs/{orgId}/invites` on the Atlas
 * emulator with a pre-fetched service-account Bearer token over keep-alive connections (undici
 * Pool) from the same process, so the figure includes the client's own CPU cost (a lower bound).
 * The Atlas rate limit is lifted to a huge bucket (still exercised: headers on every answer).
 *
 *   npx tsx bench/sandbox-capacity.ts [seconds=5] [connections=16]
 */
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { ATLAS_DEMO } from '../sandbox/demo.ts';
import { startSandbox } from '../sandbox/index.ts';

export interface CapacityResult {
  requestsPerSecond: number;
  requests: number;
  errors: number;
  seconds: number;
  connections: number;
}

export async function measureSandboxCapacity(opts: {
  seconds: number;
  connections: number;
}): Promise<CapacityResult> {
  const sb = await startSandbox({ seed: 'demo', maxLogEntries: 10_000 });
  try {
    sb.control.setRateLimit('atlas', { capacity: 1e12, refillPerSecond: 1e12 });
    const tokenRes = await fetch(sb.urls.atlas.token, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ATLAS_DEMO.clientId}:${ATLAS_DEMO.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const pool = new Pool(sb.url, { connections: opts.connections, pipelining: 1 });
    const path = `/atlas/api/atlas/v2/orgs/${ATLAS_DEMO.orgId}/invites`;
    const headers = {
      authorization: `Bearer ${access_token}`,
      accept: 'application/vnd.atlas.2023-01-01+json',
    };
    let requests = 0;
    let errors = 0;
    const started = performance.now();
    const deadline = started + opts.seconds * 1000;
    const worker = async () => {
      while (performance.now() < deadline) {
        try {
          const res = await pool.request({ origin: sb.url, path, method: 'GET', headers });
          await res.body.dump();
          if (res.statusCode === 200) requests++;
          else errors++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, worker));
    const elapsed = (performance.now() - started) / 1000;
    await pool.close();
    return {
      requestsPerSecond: Math.round(requests / elapsed),
      requests,
      errors,
      seconds: Math.round(elapsed * 100) / 100,
      connections: opts.connections,
    };
  } finally {
    await sb.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.argv[2] ?? 5);
  const connections = Number(process.argv[3] ?? 16);
  const r = await measureSandboxCapacity({ seconds, connections });
  process.stdout.write(
    `sandbox capacity: ${r.requestsPerSecond} requests/s (${r.requests} ok, ${r.errors} errors, ` +
      `${r.connections} keep-alive connections, ${r.seconds} s, one process)\n`,
  );
}
