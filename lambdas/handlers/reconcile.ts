/**
 * Reconciliation (EventBridge schedule, every `schedules.reconcileMinutes`): leavers of the last
 * `schedules.reconcileLookbackDays` days are discovered again; any grant found (a re-invitation) is
 * revoked, audited as `reinvited` and alerted. Runs within the Lambda's remaining time. A run
 * that could not read a tenant or could not remove a re-invitation fails (Lambda `Errors`, alarmed)
 * after doing everything else it could.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { reconcile } from '../core/schedules.ts';
import { withMiddleware } from './middleware.ts';
import { deadlineFrom, makeCtx } from './observability.ts';
import { getDeps } from './runtime-deps.ts';
import { reportScheduleRun } from './schedule-outcome.ts';

export async function runReconcile(remainingMs: number): Promise<unknown> {
  const deps = await getDeps();
  const deadline = deadlineFrom(remainingMs, deps.clock.now().getTime());
  const result = await reconcile(deps, makeCtx({ deadline }));
  reportScheduleRun('reconciliation', result, {
    unreadTenants: result.unreadTenants,
    failedRevocations: result.failed,
  });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, context: Context) =>
  runReconcile(context.getRemainingTimeInMillis?.() ?? 15 * 60_000),
);
