/**
 * The worker (SQS batch, partial batch failures). The whole batch goes to one
 * `processOffboardings` call so that each tenant is listed once for all the leavers in it; the
 * records whose offboarding needs another pass come back in `batchItemFailures` and SQS redelivers
 * them after the visibility timeout (then the dead-letter queue after maxReceiveCount).
 *
 * A message that names no offboarding is logged and dropped (not failed): retrying it could never
 * succeed. The deadline core gets is the Lambda's remaining time minus a safety margin, so a run
 * cut short saves its progress and asks for redelivery instead of being killed mid-write.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseJobMessage } from '../adapters/sqs-job-queue.ts';
import { digestDeps } from '../core/anchor.ts';
import { anchorNow } from '../core/digest-writer.ts';
import { isLeaverError } from '../core/errors.ts';
import { processOffboardings } from '../core/worker.ts';
import { withMiddleware } from './middleware.ts';
import { coreLog, deadlineFrom, logger, makeCtx } from './observability.ts';
import { getDeps } from './runtime-deps.ts';
import type { HandlerDeps } from './wiring.ts';

const log = coreLog();

/** The offboarding id a queue message names, or undefined for a malformed message. */
export function offboardingIdOf(body: string | undefined): string | undefined {
  try {
    return parseJobMessage(body ?? '').offboardingId;
  } catch {
    return undefined;
  }
}

export async function handleBatch(
  event: SQSEvent,
  deps: HandlerDeps,
  remainingMs: () => number,
): Promise<SQSBatchResponse> {
  const records: Array<{ record: SQSRecord; id: string }> = [];
  for (const record of event.Records ?? []) {
    const id = offboardingIdOf(record.body);
    if (id) records.push({ record, id });
    else logger.error('dropping a malformed queue message', { messageId: record.messageId });
  }
  if (records.length === 0) return { batchItemFailures: [] };

  const ids = [...new Set(records.map((r) => r.id))];
  // Measured on the engine's clock (the system clock in Lambda), which core compares it with.
  const ctx = makeCtx({ deadline: deadlineFrom(remainingMs(), deps.clock.now().getTime()), log });
  const verdicts = new Map<string, 'done' | 'retry'>();
  try {
    for (const r of await processOffboardings(deps, ids, ctx)) verdicts.set(r.id, r.result);
  } catch (e) {
    // Nothing is lost: every record goes back to the queue.
    logger.error('worker batch failed', { error: e as Error, offboardings: ids.length });
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.record.messageId })) };
  }
  await anchorFinished(
    deps,
    ids.filter((id) => verdicts.get(id) === 'done'),
  );
  const failures = records.filter((r) => verdicts.get(r.id) !== 'done');
  for (const id of ids) {
    log.info('offboarding processed', {
      offboardingId: id,
      verdict: verdicts.get(id) ?? 'retry',
    });
  }
  return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.record.messageId })) };
}

/**
 * A signed digest naming the chains of the offboardings this batch finished, so their audit is
 * anchored now rather than at the next periodic digest (or, when another writer holds the digest
 * lease, left for it to name: the batch does not wait). Never fails the batch: the revocations are
 * done, and the periodic digest anchors whatever this could not.
 */
async function anchorFinished(deps: HandlerDeps, ids: string[]): Promise<void> {
  const digest = digestDeps(deps);
  if (!digest || ids.length === 0) return;
  try {
    await anchorNow(digest, ids);
  } catch (e) {
    log.warn('could not write the audit digest; the periodic digest will', {
      errorCode: isLeaverError(e) ? e.code : 'internal',
    });
  }
}

export const handler = withMiddleware<SQSEvent, SQSBatchResponse>(async (event: SQSEvent, context: Context) =>
  handleBatch(event, await getDeps(), () => context.getRemainingTimeInMillis?.() ?? 60_000),
);
