import type { Notification } from '../core/ports.ts';
import { scrubEmails } from '../core/redact.ts';

/** One line naming the kind, the offboarding and the vendor; emails in the message are hashed. */
export function notificationText(n: Notification): string {
  const parts = [`[leaver] ${n.kind}`];
  if (n.offboardingId) parts.push(`offboarding ${n.offboardingId}`);
  if (n.vendor) parts.push(`vendor ${n.vendor}${n.tenantId ? ` (tenant ${n.tenantId})` : ''}`);
  return `${parts.join(', ')}: ${scrubEmails(n.message)}`;
}
