/**
 * DigestSigner on AWS KMS: an asymmetric key (ECC_NIST_P256, SIGN_VERIFY) whose private half never
 * leaves KMS. The 32-byte sha256 of a digest body is signed as a RAW message with ECDSA_SHA_256
 * (KMS hashes it once more, as `openssl dgst -sha256` does when verifying); KMS answers DER.
 */
import { createPublicKey } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { DigestSigner } from '../core/digest-ports.ts';
import { toLeaverAwsError } from './aws-errors.ts';

export interface KmsDigestSignerOptions {
  /** The client, or a function that loads it on first use (keeps the SDK out of cold starts that never sign). */
  client: KMSClient | (() => Promise<KMSClient>);
  keyId: string;
}

export class KmsDigestSigner implements DigestSigner {
  private clientPromise?: Promise<KMSClient>;
  private publicPem?: Promise<string>;

  constructor(private readonly opts: KmsDigestSignerOptions) {}

  private client(): Promise<KMSClient> {
    const c = this.opts.client;
    this.clientPromise ??= typeof c === 'function' ? c() : Promise.resolve(c);
    return this.clientPromise;
  }

  async signHash(hash: Uint8Array): Promise<Uint8Array> {
    const { SignCommand } = await import('@aws-sdk/client-kms');
    try {
      const out = await (await this.client()).send(
        new SignCommand({
          KeyId: this.opts.keyId,
          Message: hash,
          MessageType: 'RAW',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!out.Signature) throw new Error('KMS returned no signature');
      return out.Signature;
    } catch (e) {
      throw toLeaverAwsError(e, 'Signing an audit digest', 'storage_unavailable');
    }
  }

  publicKeyPem(): Promise<string> {
    this.publicPem ??= this.fetchPublicKey().catch((e: unknown) => {
      this.publicPem = undefined;
      throw e;
    });
    return this.publicPem;
  }

  private async fetchPublicKey(): Promise<string> {
    const { GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
    try {
      const out = await (await this.client()).send(new GetPublicKeyCommand({ KeyId: this.opts.keyId }));
      if (!out.PublicKey) throw new Error('KMS returned no public key');
      return createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
    } catch (e) {
      throw toLeaverAwsError(e, 'Reading the audit signing key', 'storage_unavailable');
    }
  }
}
