import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEntry, Offboarding } from '../../../lambdas/core/model.ts';
import type { Log } from '../../../lambdas/core/ports.ts';

export const region = 'us-east-1';
export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export function awsConfig(endpoint: string) {
  return { endpoint, region, credentials };
}

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ ...awsConfig(endpoint), maxAttempts: 2 });
}

/** A unique name per test file and run, so files can share one moto_server. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

let n = 0;
export function offboarding(over: Partial<Offboarding> = {}): Offboarding {
  n++;
  return {
    id: `off_${String(n).padStart(4, '0')}_${randomUUID().slice(0, 8)}`,
    subject: { email: 'Dana.Leaver@Example.com', aliases: [] },
    origin: { type: 'hr', id: 'standard' },
    sourceEventId: `evt_${randomUUID()}`,
    status: 'running',
    effectiveAt: '2026-03-01T10:00:00.000Z',
    receivedAt: '2026-03-01T09:59:00.000Z',
    counts: { planned: 0, revoked: 0, alreadyAbsent: 0, skipped: 0, failed: 0 },
    attempts: 0,
    version: 1,
    ...over,
  };
}

export function entry(streamId: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    streamId,
    event: 'action_finished',
    at: '2026-03-01T10:00:00.000Z',
    email: 'dana.leaver@example.com',
    actor: 'worker',
    ...over,
  };
}

export interface CapturedLog extends Log {
  lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }>;
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({ level, message, extra });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
