/**
 * The local stand-in for EventBridge schedules: runs each job every `everyMs`, never two runs of
 * the same job at once, and waits for running jobs on stop.
 */
import type { Log } from '../lambdas/core/ports.ts';

export interface ScheduledJob {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

export interface Scheduler {
  /** Runs one job now (skipped when it is already running); resolves when it finishes. */
  runNow(name: string): Promise<void>;
  stop(): Promise<void>;
}

export function startScheduler(jobs: readonly ScheduledJob[], log: Log): Scheduler {
  const running = new Map<string, Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;

  const runJob = (job: ScheduledJob): Promise<void> => {
    const current = running.get(job.name);
    if (current) return current;
    const p = job
      .run()
      .then(
        () => undefined,
        (e: unknown) =>
          log.error('scheduled job failed', { job: job.name, error: (e as Error)?.message ?? String(e) }),
      )
      .finally(() => running.delete(job.name));
    running.set(job.name, p);
    return p;
  };

  for (const job of jobs) {
    const timer = setInterval(() => {
      if (!stopped) void runJob(job);
    }, job.everyMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    runNow: (name) => {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new Error(`no scheduled job ${name}`));
      return runJob(job);
    },
    stop: async () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await Promise.all([...running.values()]);
    },
  };
}
