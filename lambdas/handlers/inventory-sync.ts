/**
 * The inventory sync (an EventBridge schedule every 5 minutes at most; the local runtime's scheduler): lists the
 * tenants whose last complete sync is `inventory.syncMinutes` old (or whose pass is still open)
 * within the function's remaining time, at most `inventory.rateShare` of each tenant's rate budget.
 * One run at a time per tenant across every process (a lease in the inventory table). A run that
 * could not read a tenant fails (Lambda `Errors`, alarmed) after syncing every other tenant: that
 * tenant's inventory grows old meanwhile (offboardings still verify by listing it).
 */
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { syncInventory } from '../core/inventory-sync.ts';
import { withMiddleware } from './middleware.ts';
import { deadlineFrom, makeCtx } from './observability.ts';
import { getDeps } from './runtime-deps.ts';
import { reportScheduleRun } from './schedule-outcome.ts';

/** This process's name on the sync leases. */
const OWNER = `sync-${randomUUID()}`;

export async function runInventorySync(
  remainingMs: number,
  opts: { force?: boolean } = {},
): Promise<unknown> {
  const deps = await getDeps();
  const deadline = deadlineFrom(remainingMs, deps.clock.now().getTime());
  const result = await syncInventory(deps, makeCtx({ deadline }), { owner: OWNER, force: opts.force });
  reportScheduleRun('inventory sync', result, {
    unreadTenants: result.tenants.filter((t) => t.status === 'failed').length,
  });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, context: Context) =>
  runInventorySync(context.getRemainingTimeInMillis?.() ?? 15 * 60_000),
);
