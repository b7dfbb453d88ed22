/** Stable short hash of an email for logs (never the raw address). */
import { createHash } from 'node:crypto';

export function emailHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);
}
