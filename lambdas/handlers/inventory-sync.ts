/**
 * The inventory sync (EventBridge schedule every minute; the local runtime's scheduler): lists the
 * tenants whose last complete sync is `inventory.syncMinutes` old (or whose pass is still open)
 * within the function's remaining time, at most `inventory.rateShare` of each tenant's rate budget.
 * One run at a time per tenant across every process (a lease in the inventory table).
 */
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { syncInventory } from '../core/inventory-sync.ts';
import { withMiddleware } from './middleware.ts';
import { deadlineFrom, logger, makeCtx } from './observability.ts';
import { getDeps } from './wiring.ts';

/** This process's name on the sync leases. */
const OWNER = `sync-${randomUUID()}`;

export async function runInventorySync(
  remainingMs: number,
  opts: { force?: boolean } = {},
): Promise<unknown> {
  const deps = await getDeps();
  const deadline = deadlineFrom(remainingMs, deps.clock.now().getTime());
  const result = await syncInventory(deps, makeCtx({ deadline }), { owner: OWNER, force: opts.force });
  const failed = result.tenants.filter((t) => t.status === 'failed');
  if (failed.length > 0) {
    // The inventory of these tenants is older than it should be; offboardings still verify.
    logger.error('inventory sync could not read some tenants', {
      tenants: failed.map((t) => ({ tenantId: t.tenantId, errorCode: t.errorCode })),
    });
  }
  logger.info('inventory sync finished', { result });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, context: Context) =>
  runInventorySync(context.getRemainingTimeInMillis?.() ?? 15 * 60_000),
);
