/**
 * Where the audit's signed digests come from and go to: an asymmetric KMS key used only to sign
 * (ECC_NIST_P256, ECDSA_SHA_256; the private key never leaves KMS), and an S3 bucket with Object Lock
 * in compliance mode (every version kept for the retention period, by anyone, the root user
 * included), kept when the stack is deleted.
 *
 * The bucket policy refuses, for every principal: a PutObject without If-None-Match (so no digest is
 * ever replaced by a new version), deleting objects or versions (no delete markers hiding a digest),
 * changing retention or legal holds, and any request not over TLS. Writers get s3:PutObject on
 * `digests/*` and kms:Sign on the key; readers (verification) s3:GetObject, s3:ListBucket and
 * kms:GetPublicKey. Access to the bucket is logged to a second bucket.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';

/** Object key prefix of the digests (lambdas/core/digest.ts). */
export const DIGEST_PREFIX = 'digests/';
/** What a digest writer may do: add objects, sign. Nothing else. */
export const DIGEST_WRITE_S3_ACTIONS = ['s3:PutObject'];
export const DIGEST_SIGN_KMS_ACTIONS = ['kms:GetPublicKey', 'kms:Sign'];
/** What verification may do: read. */
export const DIGEST_READ_S3_ACTIONS = ['s3:GetObject', 's3:ListBucket'];
export const DIGEST_READ_KMS_ACTIONS = ['kms:GetPublicKey'];
/** Refused to every principal on the digest bucket (the bucket policy). */
export const DIGEST_BUCKET_DENIED_ACTIONS = [
  's3:BypassGovernanceRetention',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
];
/** Default Object Lock retention: one year. */
export const DEFAULT_DIGEST_RETENTION = Duration.days(365);

export interface AuditAnchorProps {
  /** Object Lock (compliance) retention of every digest. Default one year. */
  readonly retention?: Duration;
  /** Encrypts the digests (SSE-KMS with a bucket key). */
  readonly dataKey: IKey;
}

export class AuditAnchor extends Construct {
  readonly signingKey: Key;
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: AuditAnchorProps) {
    super(scope, id);
    // Log delivery is granted by a bucket policy, not the legacy LogDeliveryWrite ACL (cfn-lint W3045),
    // whatever the app's feature flags say.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const retention = props.retention ?? DEFAULT_DIGEST_RETENTION;
    if (retention.toDays() < 1) throw new Error('The audit digest retention must be at least one day');

    this.signingKey = new Key(this, 'SigningKey', {
      description: 'Leaver: signs audit digests (asymmetric, sign and verify only)',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Digests signed with it must stay verifiable after the stack is gone.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      // Server access logs can only be delivered to a bucket with S3-managed encryption.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: retention }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the audit digest bucket: logging its own access would need ' +
        'a third bucket, and so on. It holds only S3 access logs, is private, TLS only, and kept on deletion.',
    });

    this.bucket = new Bucket(this, 'DigestBucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(retention),
      versioned: true,
      encryption: BucketEncryption.KMS,
      encryptionKey: props.dataKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'digest-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DigestsAreNeverReplaced',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DigestsAreNeverDeletedOrUnlocked',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: DIGEST_BUCKET_DENIED_ACTIONS,
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
  }

  /** Lets a function write digests: PutObject under digests/ and Sign with the key, nothing else. */
  grantWrite(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AuditDigestsPut',
        actions: DIGEST_WRITE_S3_ACTIONS,
        resources: [this.bucket.arnForObjects(`${DIGEST_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AuditDigestsSign',
        actions: DIGEST_SIGN_KMS_ACTIONS,
        resources: [this.signingKey.keyArn],
      }),
    );
    this.acknowledgeObjectWildcard(role);
  }

  /** Lets a function read digests and the public key (verification, evidence packs). */
  grantRead(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AuditDigestsRead',
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${DIGEST_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AuditDigestsList',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${DIGEST_PREFIX}*`] } },
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AuditDigestsPublicKey',
        actions: DIGEST_READ_KMS_ACTIONS,
        resources: [this.signingKey.keyArn],
      }),
    );
    this.acknowledgeObjectWildcard(role);
  }

  private acknowledgeObjectWildcard(role: IRole): void {
    const stack = this.bucket.stack;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/digests/*]`,
      reason:
        'Digests are new objects named by their seq and time (digests/<seq>-<time>.json), so no grant can name ' +
        'them in advance: the grant is limited to the digests/ prefix of this one bucket, whose policy refuses ' +
        'any overwrite (If-None-Match required), deletion, or retention change.',
    });
  }
}
