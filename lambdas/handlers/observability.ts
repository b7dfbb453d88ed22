/**
 * Powertools logger and metrics for every handler, plus the glue core needs: a `Log` that uses the
 * offboarding id as correlation id, a `Ctx` factory whose `onVendorCall` feeds metrics, and a metrics
 * recorder that aggregates dimensional counts per invocation. Powertools Metrics loads at the first
 * flush (the end of the first invocation) and the tracer on the first invocation (tracing.ts), not
 * at init.
 *
 * Logs never carry a raw email or a secret: every serialized value passes `redactForLog`, which
 * replaces email addresses with their `hashEmail` pseudonym and the values of secret-looking keys
 * (core/redact.ts `isSecretKey`) with `[redacted]`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Ctx, Log, VendorCallInfo } from '../core/ports.ts';
import { isSecretKey, scrubEmails } from '../core/redact.ts';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
const COUNT: Unit = 'Count';

export const SERVICE_NAME = 'leaver';
export const METRICS_NAMESPACE = 'Leaver';

/** Keys whose names look secret but hold harmless data worth logging. */
const SAFE_KEYS = new Set(['secretName', 'localTokenSecretName', 'tokenUrl']);

/**
 * JSON replacer used by the logger: drops the values of secret-looking keys and replaces every
 * email address in any string (message, fields, error messages, stacks) with its hash.
 */
export function redactForLog(key: string, value: unknown): unknown {
  if (key && !SAFE_KEYS.has(key) && isSecretKey(key) && value !== undefined && value !== null) {
    return '[redacted]';
  }
  if (typeof value === 'string') return scrubEmails(value);
  return value;
}

/** Powertools' Logger, with its cold-start flag (protected there) open to `withInvocationLogger`. */
class LeaverLogger extends Logger {
  takeColdStart(): boolean {
    return this.getColdStart();
  }

  protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): LeaverLogger {
    return new LeaverLogger(options);
  }
}

let processInstance: LeaverLogger | undefined;

/**
 * The process's logger: its settings are every invocation's, and it writes what no invocation owns.
 * Constructed on first use (the first invocation), not at module load: its construction opens
 * process.stdout and a Console of its own, a few milliseconds of every start.
 */
function processLogger(): LeaverLogger {
  processInstance ??= new LeaverLogger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    jsonReplacerFn: redactForLog,
  });
  return processInstance;
}

const invocationLogger = new AsyncLocalStorage<Logger>();

/** The logger a call made now goes to: its invocation's, else the process's. */
const currentLogger = (): Logger => invocationLogger.getStore() ?? processLogger();

/**
 * The logger every handler and core write to. Each call goes to the logger of the invocation it
 * runs in (`withInvocationLogger`), so invocations sharing one process (the local runtime runs the
 * API, the worker and the schedules side by side) log under their own function name and request id
 * even when they interleave; one shared Lambda context would name whichever started last. Outside
 * an invocation it is the process's logger, with no function context.
 */
export const logger: Logger = new Proxy({} as Logger, {
  get(_target, key) {
    const current = currentLogger();
    const value = Reflect.get(current, key, current);
    // Bound to the real instance: Logger's methods read its private fields.
    return typeof value === 'function' ? value.bind(current) : value;
  },
  set: (_target, key, value) => Reflect.set(currentLogger(), key, value),
  has: (_target, key) => Reflect.has(currentLogger(), key),
  getPrototypeOf: () => Reflect.getPrototypeOf(currentLogger()),
});

/**
 * Runs one invocation with a logger of its own (the process's settings, log level and persistent
 * keys). The process is cold once: a fresh logger would report every invocation as a cold start.
 */
export function withInvocationLogger<T>(fn: () => T): T {
  const own = processLogger().createChild() as LeaverLogger;
  if (!processLogger().takeColdStart()) own.takeColdStart();
  return invocationLogger.run(own, fn);
}

/** Whether the process's logger has been constructed yet (tests). */
export function processLoggerBuilt(): boolean {
  return processInstance !== undefined;
}

let metrics: Promise<Metrics> | undefined;

/** The process's Powertools Metrics (EMF on stdout), built on first use. */
export function getMetrics(): Promise<Metrics> {
  metrics ??= import('./first-use.ts')
    .then(
      ({ Metrics }) =>
        new Metrics({
          namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
          serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
        }),
    )
    .catch((e: unknown) => {
      metrics = undefined;
      throw e;
    });
  return metrics;
}

/**
 * Aggregates dimensional metrics during one invocation and publishes one EMF document per
 * (metric, dimensions) at the end, so a batch of 100 actions costs a handful of log lines.
 */
export class MetricsRecorder {
  readonly #counts = new Map<
    string,
    { name: string; unit: Unit; dims: Record<string, string>; values: number[] }
  >();

  /** `target` defaults to the process's Metrics (getMetrics), loaded by the first flush. */
  constructor(private readonly target?: Metrics) {}

  add(name: string, unit: Unit, value: number, dims: Record<string, string> = {}): void {
    const key = JSON.stringify([name, unit, Object.entries(dims).sort()]);
    const entry = this.#counts.get(key);
    if (entry) entry.values.push(value);
    else this.#counts.set(key, { name, unit, dims, values: [value] });
  }

  count(name: string, dims: Record<string, string> = {}, value = 1): void {
    this.add(name, COUNT, value, dims);
  }

  /**
   * Writes everything recorded so far (EMF on stdout) and forgets it. Never throws. With a target
   * given it writes before returning; otherwise once the process's Metrics has loaded (nothing
   * recorded: nothing loaded). What is recorded meanwhile waits for the next flush.
   */
  async flush(): Promise<void> {
    const pending = [...this.#counts.values()];
    this.#counts.clear();
    if (pending.length === 0) return;
    try {
      const target = this.target ?? (await getMetrics());
      for (const { name, unit, dims, values } of pending) {
        // A single metric publishes (and forgets its dimensions) on every addMetric: one per value.
        const points = unit === COUNT ? [values.reduce((a, b) => a + b, 0)] : values;
        for (const value of points) {
          const single = target.singleMetric();
          for (const [k, v] of Object.entries(dims)) single.addDimension(k, v);
          single.addMetric(name, unit, value);
        }
      }
    } catch (e) {
      logger.warn('metrics flush failed', { error: (e as Error).message });
    }
  }

  /** What is pending (tests). */
  pending(): Array<{ name: string; dims: Record<string, string>; values: number[] }> {
    return [...this.#counts.values()].map(({ name, dims, values }) => ({ name, dims, values }));
  }
}

/** The process-wide recorder the middleware flushes after each invocation. */
export const recorder = new MetricsRecorder();

/** Counts vendor 429s and errors from the connectors' per-call reports. */
export function onVendorCall(info: VendorCallInfo, rec: MetricsRecorder = recorder): void {
  if (info.status === 429) rec.count('VendorThrottled', { vendor: info.vendor });
  if (
    info.status === 'network' ||
    info.status === 'timeout' ||
    (typeof info.status === 'number' && info.status >= 500)
  ) {
    rec.count('VendorErrors', { vendor: info.vendor });
  }
}

/**
 * Adapts a Powertools logger to core's `Log`. When a log line names an offboarding, that id becomes
 * its correlation id, so one offboarding's lines can be followed across intake, worker and schedules.
 */
export function coreLog(base: Logger = logger): Log {
  const withCorrelation = (extra?: Record<string, unknown>): Record<string, unknown> => {
    if (!extra) return {};
    const id = extra.offboardingId;
    return typeof id === 'string' && extra.correlation_id === undefined
      ? { correlation_id: id, ...extra }
      : extra;
  };
  return {
    debug: (m, e) => base.debug(m, withCorrelation(e)),
    info: (m, e) => base.info(m, withCorrelation(e)),
    warn: (m, e) => base.warn(m, withCorrelation(e)),
    error: (m, e) => base.error(m, withCorrelation(e)),
  };
}

/** Milliseconds kept back from the Lambda's remaining time so the worker can save its state. */
export const DEADLINE_SAFETY_MS = 10_000;

/**
 * The deadline for core: the Lambda's remaining time minus a safety margin (at most a quarter of
 * what remains, so short budgets still get work done).
 */
export function deadlineFrom(remainingMs: number, now: number = Date.now()): number {
  const margin = Math.min(DEADLINE_SAFETY_MS, Math.floor(remainingMs / 4));
  return now + Math.max(0, remainingMs - margin);
}

export function makeCtx(opts: { deadline: number; log?: Log; signal?: AbortSignal }): Ctx {
  return {
    deadline: opts.deadline,
    log: opts.log ?? coreLog(),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onVendorCall: (info) => onVendorCall(info),
  };
}
