/**
 * DigestSigner for the local runtime: an ECDSA P-256 key pair made on first start and kept beside
 * the data (`audit-signing-key.pem`, readable by its owner only, and `audit-signing-key.pub.pem`),
 * or in memory when the data is (no data directory: the key lives as long as the process).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DigestSigner } from '../core/digest-ports.ts';

export const PRIVATE_KEY_FILE = 'audit-signing-key.pem';
export const PUBLIC_KEY_FILE = 'audit-signing-key.pub.pem';

export class KeyPairDigestSigner implements DigestSigner {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicPem: string,
  ) {}

  /** The key pair in `dir` (made there on first use), or a new one in memory without a directory. */
  static open(dir?: string): KeyPairDigestSigner {
    if (dir !== undefined) {
      const privPath = join(dir, PRIVATE_KEY_FILE);
      if (existsSync(privPath)) {
        const priv = createPrivateKey(readFileSync(privPath, 'utf8'));
        return new KeyPairDigestSigner(priv, publicPemOf(priv));
      }
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = new KeyPairDigestSigner(privateKey, publicPemOf(privateKey));
    if (dir !== undefined) {
      mkdirSync(dir, { recursive: true });
      // 'wx': two processes starting at once never overwrite each other's key.
      writeFileSync(join(dir, PRIVATE_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
        flag: 'wx',
      });
      writeFileSync(join(dir, PUBLIC_KEY_FILE), signer.publicPem, { mode: 0o644 });
    }
    return signer;
  }

  async signHash(hash: Uint8Array): Promise<Uint8Array> {
    // ECDSA_SHA_256 over the 32 bytes, as KMS signs a RAW message: DER encoded.
    return new Uint8Array(sign('sha256', hash, this.privateKey));
  }

  async publicKeyPem(): Promise<string> {
    return this.publicPem;
  }
}

function publicPemOf(priv: KeyObject): string {
  return createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString();
}
