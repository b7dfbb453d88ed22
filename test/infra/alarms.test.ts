/**
 * No silent failure in AWS: the alarms that see what Lambda's own Errors metric cannot (5xx answers
 * the intake and the API return, a webhook source without its secret), the scheduled functions'
 * errors, and the alerts topic's policy that lets CloudWatch alarms publish to it.
 */
import { describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../infra/metrics.ts';
import { INTAKE_SERVER_ERRORS_METRIC } from '../../lambdas/handlers/intake.ts';
import { SOURCE_SECRET_UNAVAILABLE_METRIC } from '../../lambdas/handlers/source-secret.ts';
import { buildStack, type CfnResource, logicalId, only, resources } from './support.ts';

const { template } = buildStack();
const topicId = logicalId(template, 'AWS::SNS::Topic', 'AlertsTopic');
const alarms = resources(template, 'AWS::CloudWatch::Alarm');
const alarm = (part: string): CfnResource => alarms[logicalId(template, 'AWS::CloudWatch::Alarm', part)]!;
const fnRef = (part: string) => ({ Ref: logicalId(template, 'AWS::Lambda::Function', part) });

function expectNotifiesTopic(a: CfnResource) {
  expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
  expect(a.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
}

describe('alarms on failures no function metric shows', () => {
  it('the metric names the handlers publish are the ones the alarms read', () => {
    expect(METRIC.intakeServerErrors).toBe(INTAKE_SERVER_ERRORS_METRIC);
    expect(METRIC.sourceSecretUnavailable).toBe(SOURCE_SECRET_UNAVAILABLE_METRIC);
  });

  it('intake 5xx answers: the custom IntakeServerErrors count', () => {
    const a = alarm('IntakeServerErrors');
    expectNotifiesTopic(a);
    expect(a.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'IntakeServerErrors',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
    });
  });

  it('a webhook source whose secret is missing or the placeholder: SourceSecretUnavailable', () => {
    const a = alarm('IntakeSourceSecretUnavailable');
    expectNotifiesTopic(a);
    expect(a.Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'SourceSecretUnavailable',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
    });
  });

  it("API 5xx: API Gateway's per-stage 5xx of this API's $default stage", () => {
    const a = alarm('ApiServerErrors');
    expectNotifiesTopic(a);
    const apiId = logicalId(template, 'AWS::ApiGatewayV2::Api', 'HttpApi');
    expect(a.Properties).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Statistic: 'Sum' });
    expect(a.Properties.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'ApiId', Value: { Ref: apiId } },
        { Name: 'Stage', Value: '$default' },
      ]),
    );
    expect(a.Properties.Dimensions).toHaveLength(2);
  });

  it.each([
    ['DueSweepErrors', 'DueSweepFunction'],
    ['RetrySweepErrors', 'RetrySweepFunction'],
    ['ReconcileErrors', 'ReconcileFunction'],
    ['InventorySyncErrors', 'InventorySyncFunction'],
  ])('%s: Lambda Errors of the scheduled function', (alarmPart, fnPart) => {
    const a = alarm(alarmPart);
    expectNotifiesTopic(a);
    expect(a.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'FunctionName', Value: fnRef(fnPart) }],
    });
  });
});

describe('the alerts topic policy', () => {
  const [, policy] = only(template, 'AWS::SNS::TopicPolicy');
  const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> })
    .Statement;

  it('allows CloudWatch alarms of this account and region, and no one else, to publish', () => {
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    const [allow] = allows;
    expect(allow).toMatchObject({
      Action: 'sns:Publish',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Resource: { Ref: topicId },
    });
    expect(allow!.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alarm:*',
            ],
          ],
        },
      },
    });
  });

  it('still refuses plain HTTP to everyone', () => {
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    );
  });

  it('the topic is the target of every alarm', () => {
    for (const a of Object.values(alarms)) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });
});
