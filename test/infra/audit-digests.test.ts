/**
 * The audit digests in the stack: an asymmetric KMS key used only to sign, an S3 bucket with Object
 * Lock in compliance mode (default one year, configurable) kept on stack deletion, a bucket policy
 * that refuses overwrites, deletions and retention changes to everyone, and grants that let only the
 * digest writers (the digest function, the worker) PutObject and Sign, and only the API read.
 */
import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  DIGEST_BUCKET_DENIED_ACTIONS,
  DIGEST_READ_KMS_ACTIONS,
  DIGEST_SIGN_KMS_ACTIONS,
} from '../../infra/audit-anchor.ts';
import {
  DIGEST_READERS,
  DIGEST_WRITERS,
  FUNCTION_SPECS,
  type FunctionName,
} from '../../infra/leaver-construct.ts';
import {
  actionsOf,
  buildStack,
  type CfnResource,
  logicalId,
  refersTo,
  resources,
  resourcesOf,
  SLOW_TEST_TIMEOUT_MS,
  type Statement,
  statementsOfRole,
} from './support.ts';

const { template } = buildStack();
const NAMES = Object.keys(FUNCTION_SPECS) as FunctionName[];
const pascal = (n: string) => n.charAt(0).toUpperCase() + n.slice(1);
const roleId = (n: FunctionName) => logicalId(template, 'AWS::IAM::Role', `${pascal(n)}Role`);
const bucketId = logicalId(template, 'AWS::S3::Bucket', 'DigestBucket');
const logsBucketId = logicalId(template, 'AWS::S3::Bucket', 'AccessLogs');
const signingKeyId = logicalId(template, 'AWS::KMS::Key', 'SigningKey');
const allow = (n: FunctionName) => statementsOfRole(template, roleId(n)).filter((s) => s.Effect === 'Allow');
const on = (stmts: Statement[], id: string) =>
  stmts.filter((s) => resourcesOf(s).some((r) => refersTo(r, id)));

describe('the signing key', () => {
  it('is an asymmetric ECC_NIST_P256 key for signing only, kept when the stack is deleted', () => {
    const key = resources(template, 'AWS::KMS::Key')[signingKeyId]!;
    expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  it('only the digest writers may Sign with it; only they and the API may read its public key; nobody anything else', () => {
    expect([...DIGEST_WRITERS].sort()).toEqual(['digest', 'worker']);
    expect([...DIGEST_READERS]).toEqual(['api']);
    for (const n of NAMES) {
      const actions = on(allow(n), signingKeyId).flatMap(actionsOf).sort();
      const expected = (DIGEST_WRITERS as readonly string[]).includes(n)
        ? DIGEST_SIGN_KMS_ACTIONS
        : (DIGEST_READERS as readonly string[]).includes(n)
          ? DIGEST_READ_KMS_ACTIONS
          : [];
      expect(actions, n).toEqual([...expected].sort());
      // kms:Sign is granted on this key and on nothing else
      for (const s of allow(n).filter((x) => actionsOf(x).includes('kms:Sign'))) {
        expect(resourcesOf(s), n).toEqual([{ 'Fn::GetAtt': [signingKeyId, 'Arn'] }]);
      }
    }
  });
});

describe('the digest bucket', () => {
  const bucket = resources(template, 'AWS::S3::Bucket')[bucketId]!;

  it('has Object Lock in compliance mode for a year by default, versioning, and is kept on deletion', () => {
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    // Access is logged to its own bucket, also kept
    expect(refersTo(bucket.Properties.LoggingConfiguration, logsBucketId)).toBe(true);
    expect(resources(template, 'AWS::S3::Bucket')[logsBucketId]!.DeletionPolicy).toBe('Retain');
  });

  it('takes its retention from the construct', { timeout: SLOW_TEST_TIMEOUT_MS }, () => {
    const { template: t } = buildStack(undefined, { leaver: { auditDigestRetention: Duration.days(2555) } });
    const b = Object.values(resources(t, 'AWS::S3::Bucket')).find(
      (r: CfnResource) => r.Properties.ObjectLockEnabled === true,
    )!;
    expect(b.Properties.ObjectLockConfiguration).toMatchObject({
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
    });
  });

  it('refuses to everyone: a put without If-None-Match, deletions, retention or legal-hold changes, plain HTTP', () => {
    const policy = Object.values(resources(template, 'AWS::S3::BucketPolicy')).find((p) =>
      refersTo(p.Properties.Bucket, bucketId),
    )!;
    const stmts = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const denies = stmts.filter((s) => s.Effect === 'Deny');
    const noOverwrite = denies.find((s) => s.Sid === 'DigestsAreNeverReplaced')!;
    expect(actionsOf(noOverwrite)).toEqual(['s3:PutObject']);
    expect(noOverwrite.Condition).toEqual({ Null: { 's3:if-none-match': 'true' } });
    expect((noOverwrite as Statement & { Principal: unknown }).Principal).toEqual({ AWS: '*' });
    const noDelete = denies.find((s) => s.Sid === 'DigestsAreNeverDeletedOrUnlocked')!;
    expect(actionsOf(noDelete).sort()).toEqual([...DIGEST_BUCKET_DENIED_ACTIONS].sort());
    expect(denies.some((s) => JSON.stringify(s.Condition ?? {}).includes('aws:SecureTransport'))).toBe(true);
    // the policy allows nothing: access comes from the roles' grants
    expect(stmts.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('functions may only PutObject under digests/ (the writers) or Get and List it (the API): no other S3 action', () => {
    for (const n of NAMES) {
      const s3 = allow(n).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
      const actions = s3.flatMap(actionsOf).sort();
      if ((DIGEST_WRITERS as readonly string[]).includes(n)) {
        expect(actions, n).toEqual(['s3:PutObject']);
        expect(JSON.stringify(resourcesOf(s3[0]!)), n).toContain('/digests/*');
        expect(refersTo(resourcesOf(s3[0]!), bucketId), n).toBe(true);
      } else if ((DIGEST_READERS as readonly string[]).includes(n)) {
        expect(actions, n).toEqual(['s3:GetObject', 's3:ListBucket']);
        for (const s of s3) expect(refersTo(resourcesOf(s), bucketId), n).toBe(true);
      } else {
        expect(actions, n).toEqual([]);
      }
    }
  });

  it('every function knows the bucket and the key; the digest schedule runs every 5 minutes by default', () => {
    for (const fn of Object.values(resources(template, 'AWS::Lambda::Function'))) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(refersTo(env.DIGEST_BUCKET, bucketId)).toBe(true);
      expect(refersTo(env.DIGEST_KEY_ID, signingKeyId)).toBe(true);
    }
    const digestFn = logicalId(template, 'AWS::Lambda::Function', 'DigestFunction');
    const rules = Object.values(resources(template, 'AWS::Events::Rule')).filter((r) =>
      refersTo(r.Properties.Targets, digestFn),
    );
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
  });
});
