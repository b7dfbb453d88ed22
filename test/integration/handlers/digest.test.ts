/**
 * The digest function as deployed: its dependencies built from the Lambda environment
 * (DIGEST_BUCKET, DIGEST_KEY_ID) against moto_server, a KMS ECC_NIST_P256 key and an S3 bucket with
 * Object Lock; the scheduled handler writes a digest that verifies with the key's public key, and
 * writes nothing when nothing was appended.
 */
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyDeps } from '../../../lambdas/core/anchor.ts';
import { verifyAudit } from '../../../lambdas/core/audit-verify.ts';
import { keyIdOf, openEnvelope, signatureValid } from '../../../lambdas/core/digest.ts';
import { handler as digestHandler } from '../../../lambdas/handlers/digest.ts';
import { localContext } from '../../../lambdas/handlers/middleware.ts';
import { getDeps, setDeps } from '../../../lambdas/handlers/wiring.ts';
import { applyEnv, credentials, type MotoEnv, region, setupMoto, uniqueName } from './support.ts';

const endpoint = inject('motoEndpoint');
let moto: MotoEnv;
let s3: S3Client;
let kms: KMSClient;
let bucket: string;
let keyArn: string;

const tick = (): ScheduledEvent =>
  ({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }) as unknown as ScheduledEvent;

beforeAll(async () => {
  moto = await setupMoto(endpoint, {}, () => ({}));
  const config = { endpoint, region, credentials };
  kms = new KMSClient(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  keyArn = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
    .KeyMetadata!.Arn!;
  bucket = uniqueName('digests');
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
      },
    }),
  );
  applyEnv({ ...moto.env, DIGEST_BUCKET: bucket, DIGEST_KEY_ID: keyArn });
  setDeps(undefined); // built from the Lambda environment, as a cold start does
});

afterAll(() => {
  setDeps(undefined);
  moto?.close();
  s3?.destroy();
  kms?.destroy();
});

describe('the digest function', () => {
  it('signs a digest with the KMS key and stores it in the Object Lock bucket', async () => {
    const deps = await getDeps();
    expect(deps.anchor).toBeDefined();
    expect(await digestHandler(tick(), localContext('leaver-digest'))).toMatchObject({
      written: [],
      chains: 0,
    });

    const rec = await deps.audit.append({
      streamId: 'global',
      event: 'kill_switch',
      at: new Date().toISOString(),
      actor: 'arn:aws:iam::000000000000:user/ops',
    });
    expect(await digestHandler(tick(), localContext('leaver-digest'))).toMatchObject({
      written: [1],
      chains: 1,
    });

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      expect.stringMatching(/^digests\/000000000001-\d{8}T\d{6}Z\.json$/),
    ]);
    const raw = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: listed.Contents![0]!.Key! }))
    ).Body!.transformToByteArray();
    const d = openEnvelope(raw);
    if (!d.ok) throw new Error(d.reason);
    expect(d.body.chains).toContainEqual({ chain: 'global', seq: rec.seq, hash: rec.hash });

    // The key KMS gives anyone allowed GetPublicKey is the one that verifies it.
    const der = (await kms.send(new GetPublicKeyCommand({ KeyId: keyArn }))).PublicKey!;
    const { createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    expect(d.body.keyId).toBe(keyIdOf(pem));
    expect(signatureValid(pem, d.bytes, d.signature)).toBe(true);

    const report = await verifyAudit(await verifyDeps(deps), { kind: 'all' });
    expect(report).toMatchObject({ valid: true, problems: [] });
  });
});
