/**
 * Bentley iTwin Access Control v2 emulator (with Bentley IMS client credentials and the iTwins list),
 * a VendorEmulator for the sandbox framework. Paths are below the `/itwin` root:
 * `/ims/connect/token`, `/itwins`, `/accesscontrol/itwins/...`. See sandbox/itwin/README.md and the
 * header comments of each file for the choices made where the vendor docs are silent.
 */
import type {
  EmulatorEnv,
  RateLimitSetting,
  SandboxRequest,
  SandboxResponse,
  VendorEmulator,
} from '../core/types.ts';
import { TokenStore } from './auth.ts';
import { runControl } from './control.ts';
import { apiError } from './errors.ts';
import { RateLimiter, rateLimited, toLimit } from './rate-limit.ts';
import { route } from './router.ts';
import { loadSeed } from './seed.ts';
import { toState } from './state-view.ts';
import { ItwinStore } from './store.ts';
import type { ItwinSeed, ItwinState } from './types.ts';

export type * from './types.ts';

export function createItwinEmulator(env: EmulatorEnv): VendorEmulator<ItwinSeed, ItwinState> {
  const store = new ItwinStore(env.clock);
  const tokens = new TokenStore(store);
  const limiter = new RateLimiter(store);
  const deps = { store, tokens, limiter };
  return {
    name: 'itwin',
    handle(req: SandboxRequest): SandboxResponse {
      return route(req, deps);
    },
    seed(seed: ItwinSeed): void {
      tokens.clear();
      limiter.clear();
      loadSeed(store, seed);
    },
    reset(): void {
      tokens.clear();
      limiter.clear();
      store.clear();
    },
    state(): ItwinState {
      return toState(store, tokens.activeCount());
    },
    control(action: string, payload: unknown): unknown {
      return runControl(action, payload, deps);
    },
    /** Framework rate-limit control: one bucket setting for every client (clears per-client overrides). */
    setRateLimit(setting: RateLimitSetting | null): void {
      store.rateLimit = toLimit(setting);
      for (const c of store.clients.values()) c.rateLimit = undefined;
      limiter.clear();
    },
    /** Injected faults in the vendor's error body. */
    faultResponse(status: number, retryAfterSeconds?: number): SandboxResponse {
      if (status === 429) return rateLimited(retryAfterSeconds ?? 60, limiter.tier ?? 'Basic');
      const code =
        status === 503 ? 'ServiceUnavailable' : status === 504 ? 'GatewayTimeout' : 'InternalServerError';
      return apiError(status, code, 'The service encountered an unexpected error. Please try again later.');
    },
  };
}
