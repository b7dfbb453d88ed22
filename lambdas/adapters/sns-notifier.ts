/**
 * Notifier on SNS: one message per notification, its text naming the kind, offboarding and vendor,
 * with message attributes (kind, offboardingId, vendor, tenantId) for subscription filters. A
 * failed publish is logged, never thrown: an alert must not fail the offboarding it reports on.
 */
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import type { Log, Notification, Notifier } from '../core/ports.ts';
import { awsErrorName } from './aws-errors.ts';
import { notificationText } from './notification-text.ts';

export interface SnsNotifierOptions {
  /** The client, or a factory called on the first notification (most runs never notify). */
  client: SNSClient | (() => Promise<SNSClient>);
  topicArn: string;
  log: Log;
}

export class SnsNotifier implements Notifier {
  private client?: Promise<SNSClient>;

  constructor(private readonly opts: SnsNotifierOptions) {}

  private sns(): Promise<SNSClient> {
    const c = this.opts.client;
    this.client ??= typeof c === 'function' ? c() : Promise.resolve(c);
    return this.client;
  }

  async notify(n: Notification): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      kind: { DataType: 'String', StringValue: n.kind },
    };
    if (n.offboardingId) attributes.offboardingId = { DataType: 'String', StringValue: n.offboardingId };
    if (n.vendor) attributes.vendor = { DataType: 'String', StringValue: n.vendor };
    if (n.tenantId) attributes.tenantId = { DataType: 'String', StringValue: n.tenantId };
    try {
      // Loaded on first use: a function that never alerts never loads the SNS client.
      const [{ PublishCommand }, client] = await Promise.all([import('@aws-sdk/client-sns'), this.sns()]);
      await client.send(
        new PublishCommand({
          TopicArn: this.opts.topicArn,
          Subject: `Leaver: ${n.kind}`,
          Message: notificationText(n),
          MessageAttributes: attributes,
        }),
      );
    } catch (e) {
      this.opts.log.error('notification not published', {
        kind: n.kind,
        offboardingId: n.offboardingId,
        vendor: n.vendor,
        error: awsErrorName(e) ?? 'Error',
      });
    }
  }
}
