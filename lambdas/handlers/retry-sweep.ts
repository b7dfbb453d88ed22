/**
 * Retry sweep (EventBridge schedule, every `schedules.retryMinutes`): offboardings that finished
 * `completed_with_failures` are enqueued again with backoff, up to the configured cap (then alerted).
 * A run that could not enqueue one fails (Lambda `Errors`, alarmed); the due sweep enqueues it later.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { retrySweep } from '../core/schedules.ts';
import { withMiddleware } from './middleware.ts';
import { getDeps } from './runtime-deps.ts';
import { reportScheduleRun } from './schedule-outcome.ts';

export async function runRetrySweep(): Promise<unknown> {
  const result = await retrySweep(await getDeps());
  reportScheduleRun('retry sweep', result, { notEnqueued: result.failed });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, _context: Context) =>
  runRetrySweep(),
);
