/**
 * Due sweep (EventBridge schedule, every `schedules.dueSweepMinutes`): scheduled offboardings whose
 * effective time has come are enqueued for the worker.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { dueSweep } from '../core/schedules.ts';
import { withMiddleware } from './middleware.ts';
import { logger } from './observability.ts';
import { getDeps } from './wiring.ts';

export async function runDueSweep(): Promise<unknown> {
  const result = await dueSweep(await getDeps());
  logger.info('due sweep finished', { result });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, _context: Context) =>
  runDueSweep(),
);
