/**
 * The vendor sandbox: one node:http server with path roots `/itwin`, `/atlas`, `/cloudmanager`
 * (the emulators) and `/_control` (the control plane connectors never call).
 *
 *   const sb = await startSandbox({ seed: 'demo' });
 *   sb.urls.cloudmanager.base  // http://127.0.0.1:PORT/cloudmanager/api/public/v1.0
 *   sb.control.vendorAction('cloudmanager', 'accept-invitation', { invitationId });
 *   await sb.close();
 */
import type { AddressInfo } from 'node:net';
import { createAtlasEmulator } from './atlas/index.ts';
import { createCloudManagerEmulator } from './cloudmanager/index.ts';
import { ControllableClock } from './core/clock.ts';
import { type SandboxControl, SandboxController, type SeedDocument } from './core/control.ts';
import { createControlHttpHandler } from './core/control-http.ts';
import { FaultInjector } from './core/faults.ts';
import { RequestLog } from './core/request-log.ts';
import { createSandboxServer } from './core/server.ts';
import type { VendorEmulator } from './core/types.ts';
import { demoSeed, emptySeed, type SandboxSeed } from './demo.ts';
import { createItwinEmulator } from './itwin/index.ts';

export type { SandboxControl } from './core/control.ts';
export type { FaultRule, FaultSpec, LatencyDistribution } from './core/faults.ts';
export type { RequestLogEntry, RequestLogFilter } from './core/request-log.ts';
export type { RateLimitSetting, VendorName } from './core/types.ts';
export type { SandboxSeed } from './demo.ts';

export interface StartSandboxOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'demo'. */
  seed?: 'demo' | 'empty' | SandboxSeed;
  /** Maximum request-log entries kept (oldest dropped; default 100,000). */
  maxLogEntries?: number;
}

export interface SandboxUrls {
  itwin: { accessControl: string; token: string; itwins: string };
  atlas: { base: string; token: string };
  cloudmanager: { base: string };
  control: string;
}

export interface Sandbox {
  url: string;
  urls: SandboxUrls;
  control: SandboxControl;
  close(): Promise<void>;
}

export async function startSandbox(opts: StartSandboxOptions = {}): Promise<Sandbox> {
  const clock = new ControllableClock();
  const env = { clock };
  const emulators = new Map<string, VendorEmulator>([
    ['itwin', createItwinEmulator(env) as VendorEmulator],
    ['atlas', createAtlasEmulator(env) as VendorEmulator],
    ['cloudmanager', createCloudManagerEmulator(env) as VendorEmulator],
  ]);
  const faults = new FaultInjector(clock);
  const log = new RequestLog(opts.maxLogEntries);
  const resolveSeed = (s: 'demo' | 'empty' | SeedDocument): SeedDocument =>
    s === 'demo' ? demoSeed : s === 'empty' ? emptySeed : s;
  const control = new SandboxController({
    emulators,
    clock,
    faults,
    log,
    resolveSeed,
    initialSeed: resolveSeed(opts.seed ?? 'demo'),
  });
  const sb = createSandboxServer({
    emulators,
    faults,
    log,
    clock,
    control: createControlHttpHandler(control),
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    sb.server.once('error', reject);
    sb.server.listen(opts.port ?? 0, host, () => {
      sb.server.off('error', reject);
      resolve();
    });
  });
  const { port } = sb.server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { url, urls: sandboxUrls(url), control, close: () => sb.close() };
}

export function sandboxUrls(url: string): SandboxUrls {
  return {
    itwin: {
      accessControl: `${url}/itwin/accesscontrol`,
      token: `${url}/itwin/ims/connect/token`,
      itwins: `${url}/itwin/itwins`,
    },
    atlas: { base: `${url}/atlas`, token: `${url}/atlas/api/oauth/token` },
    cloudmanager: { base: `${url}/cloudmanager/api/public/v1.0` },
    control: `${url}/_control`,
  };
}
