/**
 * Audit digests (EventBridge schedule, every `schedules.digestMinutes`): writes a signed digest
 * naming every chain appended to since the last one (none when nothing was), and stores it where
 * the functions cannot change it (S3 Object Lock). The worker also writes one as soon as an
 * offboarding finishes (handlers/worker.ts).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { digestDeps } from '../core/anchor.ts';
import { writeDigest } from '../core/digest-writer.ts';
import { withMiddleware } from './middleware.ts';
import { logger } from './observability.ts';
import { getDeps } from './runtime-deps.ts';

export async function runDigest(): Promise<unknown> {
  const deps = digestDeps(await getDeps());
  if (!deps) {
    logger.warn('audit digests are not configured (DIGEST_BUCKET, DIGEST_KEY_ID): nothing written');
    return { written: 0 };
  }
  const run = await writeDigest(deps, { reason: 'periodic' });
  const result = { written: run.written.map((r) => r.seq), chains: run.chains, busy: run.busy ?? false };
  logger.info('audit digest run finished', { result });
  return result;
}

export const handler = withMiddleware<ScheduledEvent, unknown>((_event: ScheduledEvent, _context: Context) =>
  runDigest(),
);
