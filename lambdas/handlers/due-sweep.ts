/**
 * Due sweep (EventBridge schedule, every `schedules.dueSweepMinutes`): scheduled offboardings whose
 * effective time has come are enqueued for the worker. A run that could not enqueue every one of
 * them fails (Lambda `Errors`, alarmed): scheduled leavers would otherwise never start unnoticed.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { dueSweep } from '../core/schedules.ts';
import { withMiddleware } from './middleware.ts';
import { getDeps } from './runtime-deps.ts';
import { reportScheduleRun } from './schedule-outcome.ts';

export async function runDueSweep(): Promise<unknown> {
  const result = await dueSweep(await getDeps());
  reportScheduleRun('due sweep', result, { notEnqueued: result.failed });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, _context: Context) =>
  runDueSweep(),
);
