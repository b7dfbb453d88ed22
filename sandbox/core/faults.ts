import { MANGLE_SHAPES, type MangleSpec } from './mangle.ts';
import type { SandboxClock, VendorName } from './types.ts';

/** How much latency to add: fixed, uniform between min and max, or normal (clamped at 0). */
export type LatencyDistribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'normal'; meanMs: number; stddevMs: number };

interface FaultBase {
  /** Vendor the fault applies to; leave out for every vendor. */
  vendor?: VendorName;
  /** Regex (source text) tested against the path below the vendor root. */
  pathPattern?: string;
  /** Upper-case HTTP method to match; leave out for every method. */
  method?: string;
  /** Share of matching requests hit, 0..1 (default 1). */
  share?: number;
  /**
   * The first `skip` matching requests pass untouched (not counted by `share` either), e.g. to let
   * a run's first listing through and mangle the listing of its verification round.
   */
  skip?: number;
}

/**
 * One fault rule. `latency` adds delay (all matching latency rules add up) and the request goes on;
 * the others decide the outcome (the first matching one wins): `error` answers a 5xx (default 500)
 * in the vendor's error body, `rate-limit` a 429 with `Retry-After`, `storm` a 429 for every
 * matching request (its `share` is ignored) for the next `requests` requests and/or `seconds` of the
 * sandbox clock and then removes itself, `reset` destroys the socket, `hang` never answers (until
 * the sandbox closes). `mangle` lets the emulator answer and rewrites its successful answer
 * (mangle.ts: a renamed field, a missing array, a wrong type, an HTML page, or extra fields); the
 * first matching mangle rule applies, and only when no other rule decided the outcome.
 */
export type FaultSpec = FaultBase &
  (
    | { type: 'latency'; distribution: LatencyDistribution }
    | { type: 'error'; status?: number }
    | { type: 'rate-limit'; retryAfterSeconds?: number }
    | { type: 'storm'; requests?: number; seconds?: number; retryAfterSeconds?: number }
    | { type: 'reset' }
    | { type: 'hang' }
    | ({ type: 'mangle' } & MangleSpec)
  );

export type FaultRule = FaultSpec & { id: string };

/** What the framework must do to one request before (or instead of) the emulator. */
export interface FaultDecision {
  delayMs: number;
  action?:
    | { kind: 'error'; status: number; ruleId: string }
    | { kind: 'rate-limit'; retryAfterSeconds: number; ruleId: string }
    | { kind: 'reset'; ruleId: string }
    | { kind: 'hang'; ruleId: string };
  /** Rewrite the emulator's successful answer (only when there is no `action`). */
  mangle?: MangleSpec & { ruleId: string };
}

interface CompiledRule {
  rule: FaultRule;
  regex?: RegExp;
  /** Storm state: requests left and/or end time on the sandbox clock. */
  stormLeft?: number;
  stormEndsAt?: number;
  /** Matching requests still to let through untouched. */
  skipLeft: number;
}

const NO_FAULT: FaultDecision = { delayMs: 0 };

/** The fault table: rules added by the control plane, evaluated per request. */
export class FaultInjector {
  private rules: CompiledRule[] = [];
  private nextId = 1;

  constructor(
    private readonly clock: SandboxClock,
    private readonly random: () => number = Math.random,
  ) {}

  get active(): boolean {
    return this.rules.length > 0;
  }

  add(spec: FaultSpec): string {
    validateSpec(spec);
    const id = `fault-${this.nextId++}`;
    const rule = { ...spec, id } as FaultRule;
    const compiled: CompiledRule = { rule, skipLeft: spec.skip ?? 0 };
    if (spec.pathPattern) compiled.regex = new RegExp(spec.pathPattern);
    if (spec.type === 'storm') {
      if (spec.requests !== undefined) compiled.stormLeft = spec.requests;
      if (spec.seconds !== undefined) compiled.stormEndsAt = this.clock.now() + spec.seconds * 1000;
    }
    this.rules.push(compiled);
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.rule.id !== id);
    return this.rules.length !== before;
  }

  /** Removes all rules, or only those bound to `vendor` (global rules stay then). */
  clear(vendor?: VendorName): void {
    this.rules = vendor ? this.rules.filter((r) => r.rule.vendor !== vendor) : [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r.rule }));
  }

  decide(vendor: VendorName, method: string, path: string): FaultDecision {
    if (this.rules.length === 0) return NO_FAULT;
    let delayMs = 0;
    let action: FaultDecision['action'];
    let mangle: FaultDecision['mangle'];
    const now = this.clock.now();
    for (const c of [...this.rules]) {
      const r = c.rule;
      if (r.vendor && r.vendor !== vendor) continue;
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (c.regex && !c.regex.test(path)) continue;
      if (c.skipLeft > 0) {
        c.skipLeft -= 1;
        continue;
      }
      if (r.type === 'storm') {
        if (action) continue;
        if (c.stormEndsAt !== undefined && now >= c.stormEndsAt) {
          this.remove(r.id);
          continue;
        }
        if (c.stormLeft !== undefined) {
          c.stormLeft -= 1;
          if (c.stormLeft <= 0) this.remove(r.id);
        }
        action = { kind: 'rate-limit', retryAfterSeconds: r.retryAfterSeconds ?? 1, ruleId: r.id };
        continue;
      }
      if (!this.hit(r.share)) continue;
      if (r.type === 'latency') {
        delayMs += sampleLatency(r.distribution, this.random);
        continue;
      }
      if (r.type === 'mangle') {
        mangle ??= { shape: r.shape, field: r.field, to: r.to, ruleId: r.id };
        continue;
      }
      if (action) continue;
      if (r.type === 'error') action = { kind: 'error', status: r.status ?? 500, ruleId: r.id };
      else if (r.type === 'rate-limit') {
        action = { kind: 'rate-limit', retryAfterSeconds: r.retryAfterSeconds ?? 1, ruleId: r.id };
      } else if (r.type === 'reset') action = { kind: 'reset', ruleId: r.id };
      else action = { kind: 'hang', ruleId: r.id };
    }
    if (action) return { delayMs, action };
    return mangle ? { delayMs, mangle } : { delayMs };
  }

  private hit(share: number | undefined): boolean {
    const s = share ?? 1;
    if (s >= 1) return true;
    if (s <= 0) return false;
    return this.random() < s;
  }
}

export function sampleLatency(d: LatencyDistribution, random: () => number): number {
  switch (d.kind) {
    case 'fixed':
      return Math.max(0, d.ms);
    case 'uniform':
      return Math.max(0, d.minMs + random() * (d.maxMs - d.minMs));
    case 'normal': {
      // Box-Muller.
      const u = 1 - random();
      const v = random();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, d.meanMs + z * d.stddevMs);
    }
  }
}

const TYPES = new Set(['latency', 'error', 'rate-limit', 'storm', 'reset', 'hang', 'mangle']);

function validateSpec(spec: FaultSpec): void {
  if (!spec || typeof spec !== 'object' || !TYPES.has(spec.type)) {
    throw new TypeError(`fault type must be one of ${[...TYPES].join(', ')}`);
  }
  if (spec.share !== undefined && !(spec.share >= 0 && spec.share <= 1)) {
    throw new RangeError('share must be between 0 and 1');
  }
  if (spec.pathPattern !== undefined) new RegExp(spec.pathPattern);
  if (spec.skip !== undefined && !(Number.isSafeInteger(spec.skip) && spec.skip >= 0)) {
    throw new RangeError('skip must be an integer >= 0');
  }
  if (spec.type === 'mangle') {
    if (!MANGLE_SHAPES.includes(spec.shape)) {
      throw new TypeError(`mangle shape must be one of ${MANGLE_SHAPES.join(', ')}`);
    }
    if (spec.field !== undefined && (typeof spec.field !== 'string' || spec.field === '')) {
      throw new TypeError('mangle field must be a non-empty string');
    }
    if (spec.shape === 'rename-field' && spec.field === undefined) {
      throw new TypeError('mangle rename-field needs field');
    }
    if (spec.to !== undefined && (typeof spec.to !== 'string' || spec.to === '')) {
      throw new TypeError('mangle to must be a non-empty string');
    }
  }
  if (spec.type === 'latency') {
    const d = spec.distribution;
    const ok =
      d &&
      ((d.kind === 'fixed' && Number.isFinite(d.ms)) ||
        (d.kind === 'uniform' &&
          Number.isFinite(d.minMs) &&
          Number.isFinite(d.maxMs) &&
          d.maxMs >= d.minMs) ||
        (d.kind === 'normal' && Number.isFinite(d.meanMs) && Number.isFinite(d.stddevMs)));
    if (!ok) throw new TypeError('latency needs distribution {kind: fixed|uniform|normal, ...}');
  }
  if (spec.type === 'error' && spec.status !== undefined && !(spec.status >= 500 && spec.status <= 599)) {
    throw new RangeError('error status must be 5xx');
  }
  if (spec.type === 'storm' && spec.requests === undefined && spec.seconds === undefined) {
    throw new TypeError('storm needs requests or seconds');
  }
}
