/**
 * Sending notifications without ever failing the caller (a notifier outage must not stop an
 * offboarding) and without raw emails (subjects appear as hashEmail pseudonyms).
 */
import type { EngineDeps } from './deps.ts';
import type { Notification } from './ports.ts';
import { hashEmail } from './redact.ts';

export async function notify(deps: Pick<EngineDeps, 'notifier' | 'log'>, n: Notification): Promise<void> {
  try {
    await deps.notifier.notify(n);
  } catch (e) {
    deps.log.warn('notification failed', {
      kind: n.kind,
      offboardingId: n.offboardingId,
      error: e instanceof Error ? e.name : 'unknown',
    });
  }
}

/** "subject e_1234abcd..." for messages. */
export const subjectRef = (email: string) => `subject ${hashEmail(email)}`;
