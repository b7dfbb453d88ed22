/**
 * Notifier on SNS: one message per notification, its text naming the kind, offboarding and vendor,
 * with message attributes (kind, offboardingId, vendor, tenantId) for subscription filters. A
 * failed publish is logged, never thrown: an alert must not fail the offboarding it reports on.
 */
import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Log, Notification, Notifier } from '../core/ports.ts';
import { awsErrorName } from './aws-errors.ts';
import { notificationText } from './notification-text.ts';

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
  log: Log;
}

export class SnsNotifier implements Notifier {
  constructor(private readonly opts: SnsNotifierOptions) {}

  async notify(n: Notification): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      kind: { DataType: 'String', StringValue: n.kind },
    };
    if (n.offboardingId) attributes.offboardingId = { DataType: 'String', StringValue: n.offboardingId };
    if (n.vendor) attributes.vendor = { DataType: 'String', StringValue: n.vendor };
    if (n.tenantId) attributes.tenantId = { DataType: 'String', StringValue: n.tenantId };
    try {
      await this.opts.client.send(
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
