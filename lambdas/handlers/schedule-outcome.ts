/**
 * How a scheduled function reports a run that did not do all its work: it throws, so Lambda counts
 * an error in its `Errors` metric (alarmed per function) instead of returning success. A due sweep
 * that could not enqueue means scheduled leavers do not start; reconciliation that could not read a
 * tenant or remove a re-invitation means a leaver may have access again. The work the run did
 * finish stays done, and the next tick runs the job again.
 */
import { LeaverError } from '../core/errors.ts';
import { logger } from './observability.ts';

/** Logs the run's result and throws `schedule_incomplete` when `problems` names anything. */
export function reportScheduleRun(job: string, result: object, problems: Record<string, number>): void {
  const failed = Object.entries(problems).filter(([, n]) => n > 0);
  if (failed.length === 0) {
    logger.info(`${job} finished`, { result });
    return;
  }
  const what = failed.map(([k, n]) => `${k}=${n}`).join(', ');
  logger.error(`${job} did not finish its work`, { result });
  throw new LeaverError('schedule_incomplete', `${job} did not finish its work (${what})`, {
    details: Object.fromEntries(failed),
  });
}
