/**
 * Retry sweep (EventBridge schedule, every `schedules.retryMinutes`): offboardings that finished
 * `completed_with_failures` are enqueued again with backoff, up to the configured cap (then alerted).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { retrySweep } from '../core/schedules.ts';
import { withMiddleware } from './middleware.ts';
import { logger } from './observability.ts';
import { getDeps } from './wiring.ts';

export async function runRetrySweep(): Promise<unknown> {
  const result = await retrySweep(await getDeps());
  logger.info('retry sweep finished', { result });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, _context: Context) =>
  runRetrySweep(),
);
