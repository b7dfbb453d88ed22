/**
 * Notifier for the local runtime: every notification goes to the log, and, when a Slack-compatible
 * incoming webhook is configured, is posted there as `{"text": ...}`. Webhook failures are logged
 * (without the URL, which is a secret), never thrown.
 */
import type { Log, Notification, Notifier } from '../core/ports.ts';
import { notificationText } from './notification-text.ts';

export interface LogNotifierOptions {
  log: Log;
  slackWebhookUrl?: string;
  fetchImpl?: typeof fetch;
  /** Per-post timeout. */
  timeoutMs?: number;
}

export class LogNotifier implements Notifier {
  private readonly log: Log;
  private readonly webhook?: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: LogNotifierOptions) {
    this.log = opts.log;
    this.webhook = opts.slackWebhookUrl || undefined;
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  async notify(n: Notification): Promise<void> {
    const text = notificationText(n);
    this.log.warn('notification', {
      kind: n.kind,
      offboardingId: n.offboardingId,
      vendor: n.vendor,
      tenantId: n.tenantId,
      text,
    });
    if (!this.webhook) return;
    try {
      const res = await this.fetchImpl(this.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) {
        this.log.error('notification webhook refused the message', { kind: n.kind, status: res.status });
      }
      await res.body?.cancel().catch(() => undefined);
    } catch (e) {
      this.log.error('notification webhook failed', {
        kind: n.kind,
        error: e instanceof Error ? e.name : 'Error',
      });
    }
  }
}
