import type { ControllableClock } from './clock.ts';
import type { FaultInjector, FaultRule, FaultSpec } from './faults.ts';
import type { RequestLog, RequestLogEntry, RequestLogFilter } from './request-log.ts';
import type { RateLimitSetting, VendorEmulator, VendorName } from './types.ts';

/** Seed document: one entry per vendor; a vendor left out is reset to empty. */
export type SeedDocument = Partial<Record<VendorName, unknown>>;

/** The control plane in process (the same operations are served over HTTP under `/_control`). */
export interface SandboxControl {
  /** Clears faults, request log, clock offset, and re-seeds every vendor with the current seed. */
  reset(): void;
  /** Replaces all vendor state with this seed ('demo', 'empty' or a seed document); it becomes the current seed. */
  seed(seed: 'demo' | 'empty' | SeedDocument): void;
  /** State of one vendor, or of all (`{ itwin, atlas, cloudmanager }`). */
  state(vendor?: VendorName): unknown;
  requests(filter?: RequestLogFilter): RequestLogEntry[];
  clearRequests(): void;
  /** Moves the sandbox clock forward; returns the new time (ms since epoch). */
  advanceClock(ms: number): number;
  now(): number;
  /** Sets (or with `null` disables) a vendor's rate limit. */
  setRateLimit(vendor: VendorName, setting: RateLimitSetting | null): void;
  addFault(spec: FaultSpec): string;
  removeFault(id: string): boolean;
  /** Clears all faults, or those bound to one vendor. */
  clearFaults(vendor?: VendorName): void;
  faults(): FaultRule[];
  /** Forwards to the vendor emulator's `control(action, payload)`. */
  vendorAction(vendor: VendorName, action: string, payload?: unknown): unknown;
}

export interface ControllerDeps {
  emulators: ReadonlyMap<string, VendorEmulator>;
  clock: ControllableClock;
  faults: FaultInjector;
  log: RequestLog;
  resolveSeed(seed: 'demo' | 'empty' | SeedDocument): SeedDocument;
  initialSeed: SeedDocument;
}

export class SandboxController implements SandboxControl {
  private currentSeed: SeedDocument;

  constructor(private readonly deps: ControllerDeps) {
    this.currentSeed = deps.initialSeed;
    this.applySeed(this.currentSeed);
  }

  reset(): void {
    this.deps.faults.clear();
    this.deps.log.clear();
    this.deps.clock.reset();
    this.applySeed(this.currentSeed);
  }

  seed(seed: 'demo' | 'empty' | SeedDocument): void {
    const doc = this.deps.resolveSeed(seed);
    this.applySeed(doc);
    this.currentSeed = doc;
  }

  state(vendor?: VendorName): unknown {
    if (vendor) return this.emulator(vendor).state();
    const out: Record<string, unknown> = {};
    for (const [name, e] of this.deps.emulators) out[name] = e.state();
    return out;
  }

  requests(filter?: RequestLogFilter): RequestLogEntry[] {
    return this.deps.log.list(filter);
  }

  clearRequests(): void {
    this.deps.log.clear();
  }

  advanceClock(ms: number): number {
    return this.deps.clock.advance(ms);
  }

  now(): number {
    return this.deps.clock.now();
  }

  setRateLimit(vendor: VendorName, setting: RateLimitSetting | null): void {
    if (setting !== null) {
      // Infinity = unlimited for that scope (the HTTP route uses it for DELETE ?scope=).
      if (!(typeof setting.capacity === 'number' && setting.capacity >= 0)) {
        throw new ControlError(400, 'capacity must be a number >= 0');
      }
      if (!(Number.isFinite(setting.refillPerSecond) && setting.refillPerSecond >= 0)) {
        throw new ControlError(400, 'refillPerSecond must be a number >= 0');
      }
    }
    const e = this.emulator(vendor);
    if (e.setRateLimit) e.setRateLimit(setting);
    else e.control('set-rate-limit', setting);
  }

  addFault(spec: FaultSpec): string {
    try {
      return this.deps.faults.add(spec);
    } catch (err) {
      throw new ControlError(400, (err as Error).message);
    }
  }

  removeFault(id: string): boolean {
    return this.deps.faults.remove(id);
  }

  clearFaults(vendor?: VendorName): void {
    this.deps.faults.clear(vendor);
  }

  faults(): FaultRule[] {
    return this.deps.faults.list();
  }

  vendorAction(vendor: VendorName, action: string, payload?: unknown): unknown {
    return this.emulator(vendor).control(action, payload ?? {});
  }

  private applySeed(doc: SeedDocument): void {
    for (const [name, e] of this.deps.emulators) {
      e.reset();
      const s = doc[name as VendorName];
      if (s !== undefined) e.seed(s);
    }
  }

  private emulator(vendor: string): VendorEmulator {
    const e = this.deps.emulators.get(vendor);
    if (!e) throw new ControlError(404, `unknown vendor ${vendor}`);
    return e;
  }
}

/** A control-plane failure with the HTTP status the control route answers. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
