import {
  CreateTopicCommand,
  type PublishCommandInput,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SnsNotifier } from '../../../lambdas/adapters/sns-notifier.ts';
import { parseJobMessage, SqsJobQueue } from '../../../lambdas/adapters/sqs-job-queue.ts';
import { hashEmail } from '../../../lambdas/core/redact.ts';
import { awsConfig, captureLog, uniqueName } from './support.ts';

const endpoint = inject('motoEndpoint');
const sqs = new SQSClient(awsConfig(endpoint));
const sns = new SNSClient(awsConfig(endpoint));

afterAll(() => {
  sqs.destroy();
  sns.destroy();
});

async function newQueue(): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('leaver-jobs') }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: attrs.Attributes!.QueueArn! };
}

async function receive(url: string, max = 10) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}

describe('SqsJobQueue', () => {
  let url: string;
  beforeAll(async () => {
    url = (await newQueue()).url;
  });

  it('sends {"offboardingId": ...} that the worker can parse', async () => {
    const queue = new SqsJobQueue({ client: sqs, queueUrl: url });
    await queue.enqueue('off_01J0000000000000000000000A');
    const msgs = await receive(url);
    expect(msgs).toHaveLength(1);
    expect(JSON.parse(msgs[0]!.Body!)).toEqual({ offboardingId: 'off_01J0000000000000000000000A' });
    expect(parseJobMessage(msgs[0]!.Body!)).toEqual({ offboardingId: 'off_01J0000000000000000000000A' });
  });

  it('delays a message (clamped to 900 s)', async () => {
    const queue = new SqsJobQueue({ client: sqs, queueUrl: url });
    await queue.enqueue('off_delayed', { delaySeconds: 5000 });
    // Not visible now: the delay holds it back.
    expect(await receive(url)).toHaveLength(0);
  });

  it('maps a missing queue to a retryable error', async () => {
    const queue = new SqsJobQueue({ client: sqs, queueUrl: `${endpoint}/123456789012/no-such-queue` });
    await expect(queue.enqueue('off_x')).rejects.toMatchObject({ name: 'LeaverError' });
  });

  it('parseJobMessage refuses other bodies', () => {
    expect(() => parseJobMessage('nope')).toThrow(/not JSON/);
    expect(() => parseJobMessage('{"id":"x"}')).toThrow(/no offboardingId/);
  });
});

describe('SnsNotifier', () => {
  it('publishes to the topic and a subscribed queue receives it, emails hashed', async () => {
    const q = await newQueue();
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('leaver-alerts') }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
    const log = captureLog();
    const notifier = new SnsNotifier({ client: sns, topicArn: TopicArn!, log });
    await notifier.notify({
      kind: 'failure',
      offboardingId: 'off_01J0000000000000000000000B',
      vendor: 'atlas',
      tenantId: 'acme-atlas',
      message: 'Removing dana.leaver@example.com from team failed: vendor_unavailable',
    });
    const msgs = await receive(q.url);
    expect(msgs).toHaveLength(1);
    const envelope = JSON.parse(msgs[0]!.Body!) as {
      Message: string;
      MessageAttributes?: Record<string, { Value: string }>;
    };
    expect(envelope.Message).toContain('failure');
    expect(envelope.Message).toContain('off_01J0000000000000000000000B');
    expect(envelope.Message).toContain('atlas');
    expect(envelope.Message).toContain(hashEmail('dana.leaver@example.com'));
    expect(envelope.Message).not.toContain('dana.leaver@example.com');
    expect(envelope.MessageAttributes?.kind?.Value).toBe('failure');
    expect(log.lines).toEqual([]);
  });

  it('logs a failed publish instead of throwing', async () => {
    const log = captureLog();
    const sent: PublishCommandInput[] = [];
    const failing = {
      send: async (cmd: { input: PublishCommandInput }) => {
        sent.push(cmd.input);
        throw Object.assign(new Error('boom'), { name: 'InternalErrorException' });
      },
    } as unknown as SNSClient;
    const notifier = new SnsNotifier({
      client: failing,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:x',
      log,
    });
    await expect(notifier.notify({ kind: 'quarantine', message: 'burst' })).resolves.toBeUndefined();
    expect(sent).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      level: 'error',
      extra: { kind: 'quarantine', error: 'InternalErrorException' },
    });
  });
});
