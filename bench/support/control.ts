/** The sandbox's control plane over HTTP (`/_control`), for a sandbox running in another process. */
import type {
  FaultSpec,
  RateLimitSetting,
  RequestLogEntry,
  SandboxSeed,
  VendorName,
} from '../../sandbox/index.ts';
import { sandboxUrls } from '../../sandbox/index.ts';

export class SandboxClient {
  readonly urls: ReturnType<typeof sandboxUrls>;
  readonly url: string;

  /**
   * With `perVendorHosts` (sandbox bound to 0.0.0.0) each vendor is reached on its own loopback
   * address: iTwin 127.0.0.2, Atlas 127.0.0.3, Cloud Manager 127.0.0.4, as separate origins.
   */
  constructor(url: string, perVendorHosts = false) {
    const port = new URL(url).port;
    this.url = `http://127.0.0.1:${port}`;
    const at = (ip: string) => sandboxUrls(`http://${ip}:${port}`);
    this.urls = perVendorHosts
      ? {
          itwin: at('127.0.0.2').itwin,
          atlas: at('127.0.0.3').atlas,
          cloudmanager: at('127.0.0.4').cloudmanager,
          control: `${this.url}/_control`,
        }
      : sandboxUrls(this.url);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/_control${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox control ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  seed(doc: SandboxSeed): Promise<unknown> {
    return this.call('POST', '/seed', doc);
  }
  setRateLimit(vendor: VendorName, setting: RateLimitSetting | null): Promise<unknown> {
    return setting === null
      ? this.call('DELETE', `/rate-limits/${vendor}`)
      : this.call('PUT', `/rate-limits/${vendor}`, setting);
  }
  addFault(spec: FaultSpec): Promise<{ id: string }> {
    return this.call('POST', '/faults', spec);
  }
  removeFault(id: string): Promise<unknown> {
    return this.call('DELETE', `/faults/${encodeURIComponent(id)}`);
  }
  clearFaults(): Promise<unknown> {
    return this.call('DELETE', '/faults');
  }
  /** A scenario's state: no other fault, its seed, a rate limit for each vendor, every call `latencyMs` slower. */
  async prepare(
    seed: SandboxSeed,
    rates: Record<VendorName, RateLimitSetting | null>,
    latencyMs: number,
  ): Promise<void> {
    await this.clearFaults();
    await this.seed(seed);
    for (const [vendor, setting] of Object.entries(rates))
      await this.setRateLimit(vendor as VendorName, setting);
    await this.addFault({ type: 'latency', distribution: { kind: 'fixed', ms: latencyMs } });
  }
  async requests(): Promise<RequestLogEntry[]> {
    return (await this.call<{ requests: RequestLogEntry[] }>('GET', '/requests')).requests;
  }
  clearRequests(): Promise<unknown> {
    return this.call('DELETE', '/requests');
  }
  state<T = unknown>(vendor: VendorName): Promise<T> {
    return this.call('GET', `/state/${vendor}`);
  }
  async vendorAction<T = unknown>(vendor: VendorName, action: string, payload: unknown = {}): Promise<T> {
    return (await this.call<{ result: T }>('POST', `/${vendor}/${encodeURIComponent(action)}`, payload))
      .result;
  }
}
