/**
 * Alarms and the dashboard. Every alarm notifies the alerts topic (and through it the optional
 * e-mail subscription). Thresholds are chosen for a revocation system: anything that means "a
 * leaver may still have access" alarms on the first occurrence.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LeaverConfig } from '../lambdas/core/config.ts';
import { METRIC, METRICS_NAMESPACE, OUTCOMES, SERVICE_NAME, type Vendor } from './metrics.ts';

export interface LeaverMonitoringProps {
  readonly config: LeaverConfig;
  readonly topic: ITopic;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly functions: Record<
    'intake' | 'worker' | 'api' | 'dueSweep' | 'reconcile' | 'retrySweep' | 'inventorySync',
    LambdaFn
  >;
  readonly api: HttpApi;
  /** The API's stage: its 5xx metric counts every server error a caller saw, the gateway's own too. */
  readonly stage: HttpStage;
}

/** Thresholds, exported so the tests and docs/operations.md quote the same numbers. */
export const THRESHOLDS = {
  /** Seconds a message may wait in the work queue before the age alarm fires. */
  oldestMessageAgeSeconds: 900,
  /** Per-vendor share of failed actions (percent of attempted actions) over 15 minutes. */
  vendorFailureRatePercent: 20,
} as const;

const FIVE_MINUTES = Duration.minutes(5);

function leaverMetric(metricName: string, dimensions: Record<string, string>, statistic = 'Sum'): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    statistic,
    period: FIVE_MINUTES,
  });
}

/** A dashboard-only search over every dimension combination of one Leaver metric. */
function search(
  metricName: string,
  dims: string[],
  filter: string,
  statistic: string,
  label: string,
): MathExpression {
  const schema = ['Leaver', 'service', ...dims].join(',');
  return new MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metricName}"${filter ? ` ${filter}` : ''}', '${statistic}', 300)`,
    usingMetrics: {},
    label,
    period: FIVE_MINUTES,
  });
}

export class LeaverMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: LeaverMonitoringProps) {
    super(scope, id);
    const { functions, queue, deadLetterQueue, topic } = props;
    const action = new SnsAction(topic);
    const alarm = (alarmId: string, a: ConstructorParameters<typeof Alarm>[2]): Alarm => {
      const created = new Alarm(this, alarmId, { treatMissingData: TreatMissingData.NOT_BREACHING, ...a });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    // A message in the DLQ is an offboarding that failed five times: a person may keep access.
    alarm('DeadLetterQueueNotEmpty', {
      alarmDescription: 'Leaver: offboardings reached the dead-letter queue (a leaver may still have access)',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('WorkerErrors', {
      alarmDescription: 'Leaver: the worker function failed (unhandled error or timeout)',
      metric: functions.worker.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('IntakeErrors', {
      alarmDescription: 'Leaver: the webhook intake failed (HR events may not have been stored)',
      metric: functions.intake.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    // Lambda's Errors metric never sees a 5xx the intake answers itself: the intake counts them.
    alarm('IntakeServerErrors', {
      alarmDescription:
        'Leaver: the webhook intake answered 5xx (HR systems retry, but events are not stored yet)',
      metric: leaverMetric(METRIC.intakeServerErrors, {}),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('IntakeSourceSecretUnavailable', {
      alarmDescription:
        "Leaver: webhooks refused 503 because a source's secret is missing, unreadable, still the placeholder or malformed",
      metric: leaverMetric(METRIC.sourceSecretUnavailable, {}),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    // Per stage: every 5xx a caller of the HTTP API saw, the management API's and the gateway's own
    // (a throttled or timed-out integration), which no function metric shows.
    alarm('ApiServerErrors', {
      alarmDescription: 'Leaver: the HTTP API answered 5xx (management API, webhooks, or the gateway itself)',
      metric: props.stage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    // The scheduled functions throw when a run could not do its work, so Errors counts it.
    const scheduled: Array<[string, LambdaFn, string]> = [
      ['DueSweepErrors', functions.dueSweep, 'the due sweep failed (scheduled offboardings may not start)'],
      [
        'RetrySweepErrors',
        functions.retrySweep,
        'the retry sweep failed (failed offboardings are not retried)',
      ],
      [
        'ReconcileErrors',
        functions.reconcile,
        'reconciliation failed (re-invited leavers may not be found or removed)',
      ],
      [
        'InventorySyncErrors',
        functions.inventorySync,
        'the inventory sync could not read a tenant (its known access grows old; offboardings still verify)',
      ],
    ];
    for (const [alarmId, fn, what] of scheduled) {
      alarm(alarmId, {
        alarmDescription: `Leaver: ${what}`,
        metric: fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    alarm('QueueOldestMessageAge', {
      alarmDescription: `Leaver: an offboarding has waited over ${THRESHOLDS.oldestMessageAgeSeconds / 60} minutes in the queue`,
      metric: queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES }),
      threshold: THRESHOLDS.oldestMessageAgeSeconds,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('Quarantines', {
      alarmDescription: 'Leaver: an offboarding was quarantined by the blast-radius guard (needs a human)',
      metric: leaverMetric(METRIC.offboardings, { status: 'quarantined' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const vendors = [...new Set(props.config.tenants.map((t) => t.vendor))] as Vendor[];
    for (const vendor of vendors) {
      const m = (outcome: string) => leaverMetric(METRIC.actions, { vendor, outcome });
      // Attempted actions: skipped ones (dry run, protected, last owner) are not attempts.
      const attempted = 'FILL(r,0)+FILL(a,0)+FILL(f,0)';
      alarm(`VendorFailureRate-${vendor}`, {
        alarmDescription: `Leaver: over ${THRESHOLDS.vendorFailureRatePercent}% of ${vendor} revocations failed in 15 minutes`,
        metric: new MathExpression({
          expression: `IF((${attempted}) > 0, 100 * FILL(f,0) / (${attempted}), 0)`,
          usingMetrics: { r: m('revoked'), a: m('already_absent'), f: m('failed') },
          label: `${vendor} failed actions (%)`,
          period: Duration.minutes(15),
        }),
        threshold: THRESHOLDS.vendorFailureRatePercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    // ---------------------------------------------------------------- dashboard
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    const ttr = (stat: string) =>
      leaverMetric(METRIC.timeToRevoke, {}, stat).with({ label: `time to revoke ${stat}` });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Leaver\nTime from the HR event to the last revocation, actions by outcome, and the queue. ' +
          'Alarms notify the alerts topic.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Time to revoke (ms)',
        left: [ttr('p50'), ttr('p90'), ttr('Maximum')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Time to revoke by vendor, p90 (ms)',
        left: [search(METRIC.timeToRevoke, ['vendor'], '', 'p90', '')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Actions by outcome',
        left: OUTCOMES.map(
          (outcome) =>
            new MathExpression({
              expression: `SUM(${search(METRIC.actions, ['outcome', 'vendor'], `outcome="${outcome}"`, 'Sum', '').expression})`,
              usingMetrics: {},
              label: outcome,
              period: FIVE_MINUTES,
            }),
        ),
        stacked: true,
        width: 12,
      }),
      new GraphWidget({
        title: 'Actions by vendor and outcome',
        left: [search(METRIC.actions, ['outcome', 'vendor'], '', 'Sum', '')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Offboardings by status',
        left: [search(METRIC.offboardings, ['status'], '', 'Sum', '')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Vendor throttling (429) and errors',
        left: [
          search(METRIC.vendorThrottled, ['vendor'], '', 'Sum', ''),
          search(METRIC.vendorErrors, ['vendor'], '', 'Sum', ''),
        ],
        width: 8,
      }),
      new SingleValueWidget({
        title: 'Queue',
        metrics: [
          queue.metricApproximateNumberOfMessagesVisible({ label: 'waiting' }),
          queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)', statistic: 'Maximum' }),
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: 'dead letters',
            statistic: 'Maximum',
          }),
        ],
        width: 8,
      }),
    );
    const perFunction = (f: (fn: LambdaFn) => IMetric) =>
      Object.entries(functions).map(([name, fn]) => (f(fn) as Metric).with({ label: name }));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors',
        left: perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration p90 (ms)',
        left: perFunction((fn) => fn.metricDuration({ statistic: 'p90' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'HTTP API requests and errors',
        left: [
          props.api.metricCount({ statistic: 'Sum', label: 'requests' }),
          props.api.metricClientError({ statistic: 'Sum', label: '4xx' }),
          props.api.metricServerError({ statistic: 'Sum', label: '5xx' }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}
