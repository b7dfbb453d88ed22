/**
 * cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement is specific (an exact
 * rule or rule[finding] id, on the construct it concerns, with a real reason).
 */
import { Validations } from 'aws-cdk-lib';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config.ts';
import { buildStack, exampleConfigInput } from './support.ts';

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

describe('cdk-nag AwsSolutions', () => {
  it('the example stack has no unacknowledged finding', () => {
    const { stack } = buildStack();
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId)}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('the JWT variant, with an alarm e-mail, passes too', () => {
    const input = exampleConfigInput();
    input.api = { auth: 'jwt', jwt: { issuer: 'https://login.example.com/', audience: ['leaver'] } };
    const { stack } = buildStack(parseConfig(input), { alarmEmail: 'secops@example.com' });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it('the checks are live: an unencrypted queue without a DLQ is reported', () => {
    const { stack } = buildStack();
    new Queue(stack, 'Careless', { encryption: undefined });
    const rules = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });

  it('only these acknowledgements exist, each on the construct it concerns, each with a reason', () => {
    const { stack, config } = buildStack();
    const acks = acknowledgements(stack);
    const ids = [...new Set(acks.map((a) => a.id))].sort();
    expect(ids).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
    ]);
    // never a blanket acknowledgement on the stack or the Leaver construct
    for (const a of acks) {
      expect(a.path.split('/').length, a.path).toBeGreaterThan(2);
      expect(a.reason.length, a.path).toBeGreaterThan(80);
    }
    const where = (id: string) => acks.filter((a) => a.id === id).map((a) => a.path);
    // APIG4 (no authoriser) only on the two public webhook routes
    expect(where('AwsSolutions-APIG4').sort()).toEqual([
      'Leaver/Leaver/HttpApi/GET--hooks--{source}',
      'Leaver/Leaver/HttpApi/POST--hooks--{source}',
    ]);
    // IAM5 only for Resource::* (X-Ray), on each function role
    expect(where('AwsSolutions-IAM5[Resource::*]')).toHaveLength(6);
    for (const p of where('AwsSolutions-IAM5[Resource::*]')) expect(p).toMatch(/Role$/);
    // SMG4 on each secret
    const names = new Set([
      ...config.tenants.map((t) => t.secretName),
      ...config.sources.map((s) => s.secretName),
    ]);
    expect(where('AwsSolutions-SMG4')).toHaveLength(names.size);
    // L1 on each function
    expect(where('AwsSolutions-L1')).toHaveLength(6);
  });

  it('an acknowledged finding does not hide the same rule elsewhere: a /v1 route without auth is reported', () => {
    const { stack } = buildStack();
    const { leaver } = stack;
    leaver.api.addRoutes({
      path: '/v1/open',
      integration: new HttpLambdaIntegration('Open', leaver.functions.api),
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-APIG4');
  });
});
