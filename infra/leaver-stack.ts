/**
 * The deployable stack: one `Leaver` construct, synthesized from a validated configuration.
 * Environment-agnostic (no account/region lookups), so `cdk synth` works offline.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LeaverConfig } from '../lambdas/core/config.ts';
import { Leaver, type LeaverProps } from './leaver-construct.ts';

export interface LeaverStackProps extends StackProps {
  readonly config: LeaverConfig;
  readonly alarmEmail?: string;
  /** Passed through to the construct (see LeaverProps). */
  readonly leaver?: Omit<LeaverProps, 'config' | 'alarmEmail'>;
}

export class LeaverStack extends Stack {
  readonly leaver: Leaver;

  constructor(scope: Construct, id: string, props: LeaverStackProps) {
    super(scope, id, {
      description: "Leaver: revokes departing people's vendor access when HR says they have left",
      ...props,
    });
    this.leaver = new Leaver(this, 'Leaver', {
      dataRemovalPolicy: RemovalPolicy.RETAIN,
      ...props.leaver,
      config: props.config,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });

    // Outputs at stack level keep readable keys (WebhookUrlOkta, not a hashed construct path).
    const { leaver } = this;
    new CfnOutput(this, 'ApiUrl', {
      value: leaver.api.apiEndpoint,
      description: 'HTTP API base URL (/v1/...)',
    });
    for (const [sourceId, url] of Object.entries(leaver.webhookUrls)) {
      new CfnOutput(this, `WebhookUrl${outputSuffix(sourceId)}`, {
        value: url,
        description: `Webhook URL for HR source "${sourceId}"`,
      });
    }
    if (leaver.console) {
      new CfnOutput(this, 'ConsoleUrl', {
        value: leaver.console.url,
        description: 'The web console (sign in with the OpenID Connect provider of api.jwt)',
      });
    }
    new CfnOutput(this, 'OffboardingsTableName', { value: leaver.offboardingsTable.tableName });
    new CfnOutput(this, 'AuditTableName', { value: leaver.auditTable.tableName });
    new CfnOutput(this, 'AlertsTopicArn', { value: leaver.topic.topicArn });
    new CfnOutput(this, 'QueueUrl', { value: leaver.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: leaver.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DashboardName', { value: leaver.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'AuditDigestBucketName', { value: leaver.auditAnchor.bucket.bucketName });
    new CfnOutput(this, 'AuditSigningKeyArn', {
      value: leaver.auditAnchor.signingKey.keyArn,
      description: 'aws kms get-public-key --key-id <this> gives the key digests are signed with',
    });
  }
}

/** `bamboo-hr` -> `BambooHr`: output keys allow letters and digits only. */
export function outputSuffix(sourceId: string): string {
  return sourceId
    .split('-')
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
