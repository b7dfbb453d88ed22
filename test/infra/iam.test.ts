/**
 * IAM: each function's role holds exactly what that function needs. The Audit table is append
 * only (Put/Query allowed, every mutation denied explicitly; Query only for the digest function); no `*` action anywhere; the only
 * `*` resource is X-Ray's; secrets are readable only by the functions that need them.
 */
import { describe, expect, it } from 'vitest';
import {
  AUDIT_ALLOWED_ACTIONS,
  AUDIT_DENIED_ACTIONS,
  AUDIT_READ_ACTIONS,
  DATA_KEY_ACTIONS,
  DEAD_LETTER_ACTIONS,
  ENQUEUERS,
  FUNCTION_SPECS,
  type FunctionName,
  INVENTORY_READ_ACTIONS,
  INVENTORY_READERS,
  INVENTORY_WRITE_ACTIONS,
  INVENTORY_WRITERS,
  OFFBOARDINGS_ACTIONS,
  OFFBOARDINGS_SCANNERS,
  TENANT_SECRET_READERS,
} from '../../infra/leaver-construct.ts';
import {
  actionsOf,
  buildStack,
  logicalId,
  refersTo,
  resources,
  resourcesOf,
  SLOW_TEST_TIMEOUT_MS,
  type Statement,
  statementsOfRole,
} from './support.ts';

const { template, config } = buildStack();
const NAMES = Object.keys(FUNCTION_SPECS) as FunctionName[];
const pascal = (n: string) => n.charAt(0).toUpperCase() + n.slice(1);
const roleId = (n: FunctionName) => logicalId(template, 'AWS::IAM::Role', `${pascal(n)}Role`);
const auditId = logicalId(template, 'AWS::DynamoDB::Table', 'AuditTable');
const offboardingsId = logicalId(template, 'AWS::DynamoDB::Table', 'OffboardingsTable');
const queueId = logicalId(template, 'AWS::SQS::Queue', 'LeaverQueue');
const dlqId = logicalId(template, 'AWS::SQS::Queue', 'DeadLetterQueue');
const topicId = logicalId(template, 'AWS::SNS::Topic', 'AlertsTopic');
const dataKeyId = logicalId(template, 'AWS::KMS::Key', 'DataKey');
const secrets = resources(template, 'AWS::SecretsManager::Secret');
const secretIdByName = (name: string) => {
  const found = Object.entries(secrets).filter(([, r]) => r.Properties.Name === name);
  expect(found).toHaveLength(1);
  return found[0]![0];
};
const tenantSecretIds = config.tenants.map((t) => secretIdByName(t.secretName)).sort();
const sourceSecretIds = config.sources.map((s) => secretIdByName(s.secretName)).sort();

const allow = (n: FunctionName) => statementsOfRole(template, roleId(n)).filter((s) => s.Effect === 'Allow');
const deny = (n: FunctionName) => statementsOfRole(template, roleId(n)).filter((s) => s.Effect === 'Deny');
const onResource = (stmts: Statement[], id: string) =>
  stmts.filter((s) => resourcesOf(s).some((r) => refersTo(r, id)));
const actionsOn = (stmts: Statement[], id: string) =>
  [...new Set(onResource(stmts, id).flatMap(actionsOf))].sort();
const secretIdsReadBy = (n: FunctionName) =>
  Object.keys(secrets)
    .filter((id) => actionsOn(allow(n), id).includes('secretsmanager:GetSecretValue'))
    .sort();

describe('function roles', () => {
  it('one role per function, each with no managed policy and only inline statements', () => {
    const roles = resources(template, 'AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(NAMES.length);
    for (const role of Object.values(roles)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
    }
    // each function runs as its own role
    for (const n of NAMES) {
      const fnId = logicalId(template, 'AWS::Lambda::Function', `${pascal(n)}Function`);
      const fn = resources(template, 'AWS::Lambda::Function')[fnId]!;
      expect(refersTo(fn.Properties.Role, roleId(n))).toBe(true);
    }
  });

  it('no statement anywhere allows a wildcard action', () => {
    for (const n of NAMES) {
      for (const s of allow(n)) {
        for (const a of actionsOf(s)) expect(a, `${n}: ${a}`).not.toMatch(/\*/);
      }
    }
  });

  it('the only Resource "*" is X-Ray (which has no resource-level permissions)', () => {
    for (const n of NAMES) {
      const star = allow(n).filter((s) => resourcesOf(s).includes('*'));
      expect(star.flatMap(actionsOf).sort(), n).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    }
  });

  it('each function may write only its own log group', () => {
    for (const n of NAMES) {
      const logs = allow(n).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toHaveLength(1);
      expect(actionsOf(logs[0]!).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const own = logicalId(template, 'AWS::Logs::LogGroup', `${pascal(n)}Logs`);
      expect(resourcesOf(logs[0]!)).toEqual([{ 'Fn::GetAtt': [own, 'Arn'] }]);
    }
  });
});

describe('Audit table: append only', () => {
  it.each(NAMES)(
    '%s may only PutItem and Query it (the digest function only Query; table and indexes)',
    (n) => {
      const stmts = onResource(allow(n), auditId);
      const expected = n === 'digest' ? AUDIT_READ_ACTIONS : AUDIT_ALLOWED_ACTIONS;
      expect(actionsOn(allow(n), auditId)).toEqual([...expected].sort());
      expect([...AUDIT_ALLOWED_ACTIONS].sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
      expect(AUDIT_READ_ACTIONS).toEqual(['dynamodb:Query']);
      // the statement names the table and both indexes, and nothing else
      expect(stmts).toHaveLength(1);
      const res = JSON.stringify(resourcesOf(stmts[0]!));
      expect(resourcesOf(stmts[0]!)).toHaveLength(3);
      expect(res).toContain('/index/byEmail');
      expect(res).toContain('/index/byDay');
    },
  );

  it.each(NAMES)('%s is explicitly denied every mutation of it', (n) => {
    const denied = onResource(deny(n), auditId);
    expect(denied).toHaveLength(1);
    const actions = actionsOf(denied[0]!);
    for (const a of [
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:UpdateTimeToLive',
      'dynamodb:PartiQLInsert',
      'dynamodb:PartiQLUpdate',
      'dynamodb:PartiQLDelete',
      'dynamodb:PartiQLSelect',
    ]) {
      expect(actions, `${n} deny ${a}`).toContain(a);
    }
    expect(actions.sort()).toEqual([...AUDIT_DENIED_ACTIONS].sort());
    // the deny covers the table and its indexes
    expect(resourcesOf(denied[0]!)).toHaveLength(3);
    // and nothing allowed overlaps the deny
    expect(actionsOn(allow(n), auditId).filter((a) => actions.includes(a))).toEqual([]);
  });
});

describe('data access', () => {
  it.each(NAMES)('%s reads and writes Offboardings with named actions only (table + 3 GSIs)', (n) => {
    const scans = (OFFBOARDINGS_SCANNERS as readonly string[]).includes(n);
    const expected = [...OFFBOARDINGS_ACTIONS, ...(scans ? ['dynamodb:Scan'] : [])].sort();
    expect(actionsOn(allow(n), offboardingsId)).toEqual(expected);
    expect([...OFFBOARDINGS_ACTIONS].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const stmt = onResource(allow(n), offboardingsId).find((s) => actionsOf(s).includes('dynamodb:PutItem'))!;
    expect(resourcesOf(stmt)).toHaveLength(4);
  });

  it('the inventory: the sync and the worker read and write it, the API reads it, nobody else touches it', () => {
    const inventoryId = logicalId(template, 'AWS::DynamoDB::Table', 'InventoryTable');
    for (const n of NAMES) {
      const actions = actionsOn(allow(n), inventoryId);
      if (INVENTORY_WRITERS.includes(n as never))
        expect(actions, n).toEqual([...INVENTORY_WRITE_ACTIONS].sort());
      else if (INVENTORY_READERS.includes(n as never))
        expect(actions, n).toEqual([...INVENTORY_READ_ACTIONS].sort());
      else expect(actions, n).toEqual([]);
    }
    expect(INVENTORY_READ_ACTIONS.filter((a) => !/Get|Query/.test(a))).toEqual([]);
    expect(INVENTORY_WRITE_ACTIONS.some((a) => /Scan|PartiQL|Table/.test(a))).toBe(false);
  });

  it('only the API and the due sweep (its recovery pass) may Scan, and only the Offboardings table itself', () => {
    expect([...OFFBOARDINGS_SCANNERS].sort()).toEqual(['api', 'dueSweep']);
    for (const n of NAMES) {
      const scans = allow(n).filter((s) => actionsOf(s).includes('dynamodb:Scan'));
      if (!(OFFBOARDINGS_SCANNERS as readonly string[]).includes(n)) {
        expect(scans, n).toEqual([]);
        continue;
      }
      expect(scans).toHaveLength(1);
      expect(actionsOf(scans[0]!)).toEqual(['dynamodb:Scan']);
      expect(resourcesOf(scans[0]!)).toEqual([{ 'Fn::GetAtt': [offboardingsId, 'Arn'] }]);
    }
  });

  it.each(NAMES)('%s uses the data key with Decrypt/Encrypt/GenerateDataKey/DescribeKey only', (n) => {
    const kms = actionsOn(allow(n), dataKeyId);
    expect(kms.filter((a) => !DATA_KEY_ACTIONS.includes(a))).toEqual([]);
    expect(kms).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
  });

  it.each(NAMES)('%s: only the enqueuers send, only the worker consumes, every function may alert', (n) => {
    // The worker consumes, and queues a full batch's verifications again (they share one listing).
    const expectedQueue =
      n === 'worker'
        ? [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
            'sqs:SendMessage',
          ]
        : ['intake', 'api', 'apiVendor', 'dueSweep', 'retrySweep'].includes(n)
          ? ['sqs:SendMessage']
          : [];
    expect(actionsOn(allow(n), queueId)).toEqual(expectedQueue);
    // Only the API touches the DLQ: peeking (receive, then release) and redriving it.
    expect(actionsOn(allow(n), dlqId)).toEqual(n === 'api' ? [...DEAD_LETTER_ACTIONS].sort() : []);
    expect(actionsOn(allow(n), topicId)).toEqual(['sns:Publish']);
  });
});

describe('secrets', () => {
  it('one secret per distinct name in tenants and sources, encrypted with the data key', () => {
    const names = new Set([
      ...config.tenants.map((t) => t.secretName),
      ...config.sources.map((s) => s.secretName),
    ]);
    expect(Object.keys(secrets)).toHaveLength(names.size);
    for (const s of Object.values(secrets)) {
      expect(names.has(s.Properties.Name as string)).toBe(true);
      expect(s.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [dataKeyId, 'Arn'] });
      // a placeholder value that no source or connector accepts
      expect(s.Properties.GenerateSecretString).toMatchObject({
        SecretStringTemplate: '{"placeholder":true}',
      });
    }
  });

  it('only the intake reads HR source secrets', () => {
    expect(secretIdsReadBy('intake')).toEqual(sourceSecretIds);
    for (const n of NAMES.filter((x) => x !== 'intake')) {
      expect(
        secretIdsReadBy(n).filter((id) => sourceSecretIds.includes(id)),
        n,
      ).toEqual([]);
    }
  });

  it("only the vendor callers (worker, the API's vendor-calling function, reconciliation, inventory sync) read vendor tenant secrets", () => {
    expect([...TENANT_SECRET_READERS].sort()).toEqual(['apiVendor', 'inventorySync', 'reconcile', 'worker']);
    // the worker queues a full batch's verifications again (they share one listing later)
    expect([...ENQUEUERS].sort()).toEqual(['api', 'apiVendor', 'dueSweep', 'intake', 'retrySweep', 'worker']);
    for (const n of TENANT_SECRET_READERS) expect(secretIdsReadBy(n), n).toEqual(tenantSecretIds);
    // the general API function never calls a vendor: no vendor credentials
    for (const n of ['intake', 'api', 'dueSweep', 'retrySweep'] as const) {
      expect(
        secretIdsReadBy(n).filter((id) => tenantSecretIds.includes(id)),
        n,
      ).toEqual([]);
    }
  });

  it('secret statements allow GetSecretValue only', () => {
    for (const n of NAMES) {
      for (const id of Object.keys(secrets)) {
        const a = actionsOn(allow(n), id);
        if (a.length) expect(a).toEqual(['secretsmanager:GetSecretValue']);
      }
    }
  });

  it('a secret shared by two tenants is created once', { timeout: SLOW_TEST_TIMEOUT_MS }, () => {
    const input = JSON.parse(JSON.stringify(config)) as typeof config;
    input.tenants[1]!.secretName = input.tenants[0]!.secretName;
    const { template: t } = buildStack(input);
    expect(Object.keys(resources(t, 'AWS::SecretsManager::Secret'))).toHaveLength(
      Object.keys(secrets).length - 1,
    );
  });
});
