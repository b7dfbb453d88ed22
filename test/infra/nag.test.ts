/**
 * cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement is specific (an exact
 * rule or rule[finding] id, on the construct it concerns, with a real reason).
 *
 * A synth plus a cdk-nag pass takes seconds alone and far longer on a loaded two-core machine: each
 * stack is built once (beforeAll) and every test has SLOW_TEST_TIMEOUT_MS.
 */
import { type CfnElement, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_SPECS } from '../../infra/leaver-construct.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import { type Built, buildStack, exampleConfigInput, SLOW_TEST_TIMEOUT_MS } from './support.ts';

const FUNCTIONS = Object.keys(FUNCTION_SPECS).length;

function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const out: Array<{ path: string; id: string; reason: string }> = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, value] of Object.entries(m.data as Record<string, unknown>)) {
        const reason = typeof value === 'string' ? value : JSON.stringify(value);
        out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

describe('cdk-nag AwsSolutions', { timeout: SLOW_TEST_TIMEOUT_MS }, () => {
  let example: Built;
  let exampleReport: PolicyValidationPluginReport;

  beforeAll(() => {
    example = buildStack();
    exampleReport = new AwsSolutionsChecks().validateScope(example.stack);
  }, SLOW_TEST_TIMEOUT_MS);

  it('the example stack has no unacknowledged finding', () => {
    expect(
      exampleReport.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`,
      ),
    ).toEqual([]);
    expect(exampleReport.success).toBe(true);
  });

  it('the JWT variant, with an alarm e-mail, passes too', () => {
    const input = exampleConfigInput();
    input.api = { auth: 'jwt', jwt: { issuer: 'https://login.example.com/', audience: ['leaver'] } };
    const { stack } = buildStack(parseConfig(input), { alarmEmail: 'secops@example.com' });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('only these acknowledgements exist, each on the construct it concerns, each with a reason', () => {
    const { stack, config } = example;
    const acks = acknowledgements(stack);
    const ids = [...new Set(acks.map((a) => a.id))].sort();
    const digestObjects = `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(
      stack.leaver.auditAnchor.bucket.node.defaultChild as CfnElement,
    )}.Arn>/digests/*]`;
    expect(ids).toEqual(
      [
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[Resource::*]',
        digestObjects,
        'AwsSolutions-L1',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
      ].sort(),
    );
    // never a blanket acknowledgement on the stack or the Leaver construct
    for (const a of acks) {
      expect(a.path.split('/').length, a.path).toBeGreaterThan(2);
      expect(a.reason.length, a.path).toBeGreaterThan(80);
    }
    const where = (id: string) => acks.filter((a) => a.id === id).map((a) => a.path);
    // APIG4 (no authoriser) only on the two public webhook routes and the two public /v1 routes
    expect(where('AwsSolutions-APIG4').sort()).toEqual([
      'Leaver/Leaver/HttpApi/GET--hooks--{source}',
      'Leaver/Leaver/HttpApi/GET--v1--health',
      'Leaver/Leaver/HttpApi/GET--v1--openapi.json',
      'Leaver/Leaver/HttpApi/POST--hooks--{source}',
    ]);
    // IAM5 only for Resource::* (X-Ray), on each function role
    expect(where('AwsSolutions-IAM5[Resource::*]')).toHaveLength(FUNCTIONS);
    for (const p of where('AwsSolutions-IAM5[Resource::*]')) expect(p).toMatch(/Role$/);
    // SMG4 on each secret
    const names = new Set([
      ...config.tenants.map((t) => t.secretName),
      ...config.sources.map((s) => s.secretName),
    ]);
    expect(where('AwsSolutions-SMG4')).toHaveLength(names.size);
    // L1 on each function
    expect(where('AwsSolutions-L1')).toHaveLength(FUNCTIONS);
    // IAM5 for the digests/ prefix only on the roles that write or read digests; S1 only on the
    // digest bucket's own access log bucket
    expect(where(digestObjects).sort()).toEqual([
      'Leaver/Leaver/ApiRole',
      'Leaver/Leaver/DigestRole',
      'Leaver/Leaver/WorkerRole',
    ]);
    expect(where('AwsSolutions-S1')).toEqual(['Leaver/Leaver/AuditDigests/AccessLogs']);
  });

  describe('the checks are live', () => {
    /** One stack with two careless additions, checked once: the checks must report both. */
    let carelessReport: PolicyValidationPluginReport;

    beforeAll(() => {
      const { stack } = buildStack();
      new Queue(stack, 'Careless', { encryption: undefined });
      stack.leaver.api.addRoutes({
        path: '/v1/open',
        integration: new HttpLambdaIntegration('Open', stack.leaver.functions.api),
      });
      carelessReport = new AwsSolutionsChecks().validateScope(stack);
    }, SLOW_TEST_TIMEOUT_MS);

    it('an unencrypted queue without a DLQ is reported', () => {
      const rules = carelessReport.violations.map((v) => v.ruleName);
      expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    });

    it('an acknowledged finding does not hide the same rule elsewhere: a /v1 route without auth is reported', () => {
      const apig4 = carelessReport.violations.filter((v) => v.ruleName === 'AwsSolutions-APIG4');
      expect(apig4).toHaveLength(1);
      expect(JSON.stringify(apig4[0]!.violatingResources)).toContain('open');
    });
  });
});
