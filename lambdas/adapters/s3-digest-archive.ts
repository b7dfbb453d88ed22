/**
 * DigestArchive on S3: a bucket with Object Lock (compliance mode, default retention) where the
 * writer may only PutObject. Every put is conditional (If-None-Match: *), so an existing digest is
 * never replaced (412 = 'exists'); Object Lock keeps every version for the retention period whatever
 * anyone with access tries. Reads (list, get) are for verification.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type DigestRef, parseDigestKey } from '../core/digest.ts';
import type { DigestArchive } from '../core/digest-ports.ts';
import { awsErrorName, toLeaverAwsError } from './aws-errors.ts';

export interface S3DigestArchiveOptions {
  /** The client, or a function that loads it on first use. */
  client: S3Client | (() => Promise<S3Client>);
  bucket: string;
}

const PREFIX = 'digests/';

export class S3DigestArchive implements DigestArchive {
  private clientPromise?: Promise<S3Client>;

  constructor(private readonly opts: S3DigestArchiveOptions) {}

  private client(): Promise<S3Client> {
    const c = this.opts.client;
    this.clientPromise ??= typeof c === 'function' ? c() : Promise.resolve(c);
    return this.clientPromise;
  }

  async put(ref: DigestRef, envelope: Uint8Array): Promise<'stored' | 'exists'> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      await (await this.client()).send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: ref.key,
          Body: envelope,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          // Object Lock buckets need an integrity checksum on every put.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      return 'stored';
    } catch (e) {
      if (awsErrorName(e) === 'PreconditionFailed' || statusOf(e) === 412) return 'exists';
      throw toLeaverAwsError(e, `Storing digest ${ref.seq}`, 'storage_unavailable');
    }
  }

  async list(opts: { afterSeq?: number; limit?: number } = {}): Promise<DigestRef[]> {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = await this.client();
    const out: DigestRef[] = [];
    let token: string | undefined;
    // Keys of seq n sort before `<n>-~`: starting after it lists seqs above n.
    const startAfter = opts.afterSeq ? `${PREFIX}${String(opts.afterSeq).padStart(12, '0')}-~` : undefined;
    do {
      let page: { Contents?: { Key?: string }[]; NextContinuationToken?: string };
      try {
        page = await client.send(
          new ListObjectsV2Command({
            Bucket: this.opts.bucket,
            Prefix: PREFIX,
            ContinuationToken: token,
            ...(token ? {} : startAfter ? { StartAfter: startAfter } : {}),
          }),
        );
      } catch (e) {
        throw toLeaverAwsError(e, 'Listing digests', 'storage_unavailable');
      }
      for (const o of page.Contents ?? []) {
        const ref = o.Key ? parseDigestKey(o.Key) : undefined;
        if (ref) out.push(ref);
        if (opts.limit !== undefined && out.length >= opts.limit) return out;
      }
      token = page.NextContinuationToken;
    } while (token);
    return out;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const out = await (await this.client()).send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }),
      );
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (awsErrorName(e) === 'NoSuchKey' || statusOf(e) === 404) return undefined;
      throw toLeaverAwsError(e, 'Reading a digest', 'storage_unavailable');
    }
  }
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
