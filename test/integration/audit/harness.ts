/**
 * The audit as deployed, on two backends, for the tamper matrix: the real DynamoDB adapters (audit
 * log, offboardings, digest writer state) with the engine and fake connectors, plus signed digests:
 *   dynalite  a key pair and a digests folder (the local runtime's parts)
 *   moto      a KMS ECC_NIST_P256 signing key and an S3 bucket with Object Lock (the AWS parts)
 * and the means to tamper as someone with direct write access would.
 */

import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoAuditLog } from '../../../lambdas/adapters/dynamo-audit-log.ts';
import { DynamoDigestState } from '../../../lambdas/adapters/dynamo-digest-state.ts';
import { DynamoOffboardingStore } from '../../../lambdas/adapters/dynamo-offboarding-store.ts';
import { FolderDigestArchive } from '../../../lambdas/adapters/folder-digest-archive.ts';
import { UlidIds } from '../../../lambdas/adapters/ids.ts';
import { KeyPairDigestSigner } from '../../../lambdas/adapters/key-pair-digest-signer.ts';
import { KmsDigestSigner } from '../../../lambdas/adapters/kms-digest-signer.ts';
import { S3DigestArchive } from '../../../lambdas/adapters/s3-digest-archive.ts';
import { systemClock } from '../../../lambdas/adapters/system-clock.ts';
import { digestDeps, verifyDeps } from '../../../lambdas/core/anchor.ts';
import { type VerifyReport, type VerifyScope, verifyAudit } from '../../../lambdas/core/audit-verify.ts';
import { parseConfig } from '../../../lambdas/core/config.ts';
import type { EngineDeps } from '../../../lambdas/core/deps.ts';
import {
  bodyBytes,
  type DigestBody,
  type DigestEnvelope,
  ENVELOPE_FORMAT,
  envelopeBytes,
  keyIdOf,
  openEnvelope,
  sha256Bytes,
} from '../../../lambdas/core/digest.ts';
import type { DigestArchive, DigestSigner } from '../../../lambdas/core/digest-ports.ts';
import { type DigestRun, writeDigest } from '../../../lambdas/core/digest-writer.ts';
import { type EvidencePack, evidenceText } from '../../../lambdas/core/evidence.ts';
import { exportEvidence } from '../../../lambdas/core/evidence-export.ts';
import { acceptHrEvents } from '../../../lambdas/core/intake.ts';
import { idsOf } from '../../../lambdas/core/model.ts';
import { processOffboardings } from '../../../lambdas/core/worker.ts';
import { createTables } from '../../../local/adapters/table-setup.ts';
import { AuditTamper } from '../../support/audit-tamper.ts';
import { type FakeConnector, fakeRegistry, grants } from '../../support/fake-connector.ts';
import { MemoryLog, MemoryNotifier, MemoryQueue, TEST_TENANTS } from '../../support/memory-ports.ts';
import { awsConfig, dynamoClient } from '../adapters/support.ts';

/** Changes stored digests as someone with write access to the archive could. */
export interface ArchiveTamper {
  /** Deletes (S3: hides behind a delete marker) the digest with this seq. */
  remove(seq: number): Promise<void>;
  /** Stores other bytes at that digest's key (S3: a new version). */
  replace(seq: number, bytes: Uint8Array): Promise<void>;
  read(seq: number): Promise<Uint8Array>;
}

export interface Backend {
  name: 'dynalite' | 'moto';
  deps: EngineDeps & { queue: MemoryQueue };
  fakes: ReturnType<typeof fakeRegistry>;
  archive: DigestArchive;
  tamper: AuditTamper;
  digests: ArchiveTamper;
  /** Sets fields of an offboarding's stored item directly. */
  setOffboarding(id: string, fields: Record<string, unknown>): Promise<void>;
  /** Deletes an offboarding's stored item (an administrator could; the functions cannot). */
  deleteOffboarding(id: string): Promise<void>;
}

function engineDeps(
  client: DynamoDBClient,
  tables: { offboardingsTable: string; auditTable: string },
  signer: DigestSigner,
  archive: DigestArchive,
) {
  const fakes = fakeRegistry();
  const deps = {
    config: parseConfig({ tenants: TEST_TENANTS }),
    store: new DynamoOffboardingStore({ client, tableName: tables.offboardingsTable }),
    audit: new DynamoAuditLog({ client, tableName: tables.auditTable, clock: systemClock }),
    queue: new MemoryQueue(),
    notifier: new MemoryNotifier(),
    connectors: fakes,
    clock: systemClock,
    ids: new UlidIds(),
    log: new MemoryLog(),
    anchor: {
      signer,
      archive,
      state: new DynamoDigestState({ client, tableName: tables.offboardingsTable }),
    },
  };
  return { deps, fakes };
}

function setter(client: DynamoDBClient, table: string) {
  return async (id: string, fields: Record<string, unknown>) => {
    const names: Record<string, string> = {};
    const values: Record<string, { S: string } | { N: string } | { M: Record<string, { N: string }> }> = {};
    const sets = Object.entries(fields).map(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:v${i}`] =
        typeof v === 'number'
          ? { N: String(v) }
          : typeof v === 'object' && v !== null
            ? { M: Object.fromEntries(Object.entries(v).map(([ck, cv]) => [ck, { N: String(cv) }])) }
            : { S: String(v) };
      return `#f${i} = :v${i}`;
    });
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: `OFF#${id}` }, sk: { S: 'META' } },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  };
}

function deleter(client: DynamoDBClient, table: string) {
  return async (id: string) => {
    await client.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: `OFF#${id}` }, sk: { S: 'META' } } }),
    );
  };
}

async function tables(client: DynamoDBClient) {
  const p = `t${randomUUID().slice(0, 8)}`;
  const names = { offboardingsTable: `${p}-offboardings`, auditTable: `${p}-audit` };
  await createTables(client, names);
  return names;
}

/** The local runtime's parts on dynalite (`endpoint`): a key pair and a digests folder. */
export async function dynaliteBackend(client: DynamoDBClient): Promise<Backend> {
  const names = await tables(client);
  const dir = mkdtempSync(join(tmpdir(), 'leaver-audit-'));
  const archive = new FolderDigestArchive(dir);
  const { deps, fakes } = engineDeps(client, names, KeyPairDigestSigner.open(dir), archive);
  const pathOf = async (seq: number) => {
    const ref = (await archive.list()).find((r) => r.seq === seq);
    if (!ref) throw new Error(`no digest ${seq}`);
    return join(dir, ref.key);
  };
  return {
    name: 'dynalite',
    deps,
    fakes,
    archive,
    tamper: new AuditTamper(client, names.auditTable),
    setOffboarding: setter(client, names.offboardingsTable),
    deleteOffboarding: deleter(client, names.offboardingsTable),
    digests: {
      remove: async (seq) => unlinkSync(await pathOf(seq)),
      replace: async (seq, bytes) => {
        const path = await pathOf(seq);
        chmodSync(path, 0o644);
        writeFileSync(path, bytes);
      },
      read: async (seq) => new Uint8Array(readFileSync(await pathOf(seq))),
    },
  };
}

/** The AWS parts on moto: a KMS signing key and an S3 bucket with Object Lock (compliance, 1 day). */
export async function motoBackend(endpoint: string): Promise<Backend> {
  const client = dynamoClient(endpoint);
  const names = await tables(client);
  const kms = new KMSClient(awsConfig(endpoint));
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  const s3 = new S3Client({ ...awsConfig(endpoint), forcePathStyle: true });
  const bucket = `leaver-digests-${randomUUID().slice(0, 8)}`;
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
  const archive = new S3DigestArchive({ client: s3, bucket });
  const signer = new KmsDigestSigner({ client: kms, keyId: key.KeyMetadata!.KeyId! });
  const { deps, fakes } = engineDeps(client, names, signer, archive);
  const keyOf = async (seq: number) => {
    const ref = (await archive.list()).find((r) => r.seq === seq);
    if (!ref) throw new Error(`no digest ${seq}`);
    return ref.key;
  };
  return {
    name: 'moto',
    deps,
    fakes,
    archive,
    tamper: new AuditTamper(client, names.auditTable),
    setOffboarding: setter(client, names.offboardingsTable),
    deleteOffboarding: deleter(client, names.offboardingsTable),
    digests: {
      remove: async (seq) => {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: await keyOf(seq) }));
      },
      replace: async (seq, bytes) => {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: await keyOf(seq),
            Body: bytes,
            ChecksumAlgorithm: 'SHA256',
          }),
        );
      },
      read: async (seq) => {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: await keyOf(seq) }));
        return out.Body!.transformToByteArray();
      },
    },
  };
}

let n = 0;

/**
 * Offboards a new leaver with seven grants across three vendors (one of them failing when asked),
 * through intake and the worker, to the end: returns the offboarding id.
 */
export async function offboard(b: Backend, opts: { failOne?: boolean } = {}): Promise<string> {
  const email = `leaver-${++n}-${randomUUID().slice(0, 6)}@example.com`;
  const f = b.fakes as Record<'itwin' | 'atlas' | 'cloudmanager', FakeConnector>;
  const failing = grants.cmOrgUser(email);
  f.itwin.add(grants.itwinInvitation(email), grants.itwinMember(email));
  f.atlas.add(grants.atlasInvitation(email), grants.atlasOrgUser(email), grants.atlasTeamUser(email));
  f.cloudmanager.add(grants.cmInvitation(email), failing);
  if (opts.failOne) {
    const { LeaverError } = await import('../../../lambdas/core/errors.ts');
    f.cloudmanager.failRevoke = (g) =>
      idsOf(g).userId === idsOf(failing).userId ? new LeaverError('vendor_forbidden', 'refused') : undefined;
  }
  const [r] = await acceptHrEvents(
    b.deps,
    [
      {
        kind: 'terminate',
        source: 'standard',
        sourceEventId: `evt-${randomUUID()}`,
        subject: { email, aliases: [] },
        occurredAt: new Date().toISOString(),
      },
    ],
    { type: 'hr', id: 'standard' },
  );
  await processOffboardings(b.deps, b.deps.queue.drain(), { deadline: Date.now() + 60_000, log: b.deps.log });
  f.cloudmanager.failRevoke = undefined;
  return r!.offboardingId!;
}

export async function anchor(b: Backend): Promise<DigestRun> {
  return writeDigest(digestDeps(b.deps)!, { reason: 'periodic' });
}

export async function verify(b: Backend, scope: VerifyScope | string): Promise<VerifyReport> {
  return verifyAudit(
    await verifyDeps(b.deps),
    typeof scope === 'string' ? { kind: 'offboarding', id: scope } : scope,
  );
}

export async function evidence(b: Backend, id: string): Promise<{ pack: EvidencePack; text: string }> {
  const pack = await exportEvidence(await verifyDeps(b.deps), id);
  return { pack, text: evidenceText(pack) };
}

/** An envelope whose body was changed after signing (the signature kept). */
export function alteredEnvelope(raw: Uint8Array): Uint8Array {
  const d = openEnvelope(raw);
  if (!d.ok) throw new Error(d.reason);
  const body: DigestBody = { ...d.body, chains: d.body.chains.map((c) => ({ ...c, hash: 'f'.repeat(64) })) };
  const env: DigestEnvelope = {
    format: ENVELOPE_FORMAT,
    body: Buffer.from(bodyBytes(body)).toString('base64'),
    signature: Buffer.from(d.signature).toString('base64'),
  };
  return envelopeBytes(env);
}

/** The same digest signed by another key (its body naming that key, as a forger's would). */
export async function foreignEnvelope(raw: Uint8Array, over: Partial<DigestBody> = {}): Promise<Uint8Array> {
  const d = openEnvelope(raw);
  if (!d.ok) throw new Error(d.reason);
  const other = KeyPairDigestSigner.open();
  const body: DigestBody = { ...d.body, ...over, keyId: keyIdOf(await other.publicKeyPem()) };
  const bytes = bodyBytes(body);
  const signature = await other.signHash(sha256Bytes(bytes));
  return envelopeBytes({
    format: ENVELOPE_FORMAT,
    body: Buffer.from(bytes).toString('base64'),
    signature: Buffer.from(signature).toString('base64'),
  });
}
