/** Ctx and Log doubles for connector tests; the log keeps every line so tests can search it. */
import type { Ctx, Log, VendorCallInfo } from '../../../lambdas/core/ports.ts';

export interface RecordingLog extends Log {
  lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }>;
}

export function recordingLog(): RecordingLog {
  const lines: RecordingLog['lines'] = [];
  const at =
    (level: string) =>
    (message: string, extra?: Record<string, unknown>): void => {
      lines.push({ level, message, extra });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function testCtx(opts: { deadlineMs?: number; signal?: AbortSignal } = {}): Ctx & {
  log: RecordingLog;
  calls: VendorCallInfo[];
} {
  const calls: VendorCallInfo[] = [];
  return {
    deadline: Date.now() + (opts.deadlineMs ?? 20_000),
    signal: opts.signal,
    log: recordingLog(),
    calls,
    onVendorCall: (i) => calls.push(i),
  };
}
