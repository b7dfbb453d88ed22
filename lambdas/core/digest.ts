/**
 * Audit digests: signed, chained statements of the audit chains' heads.
 *
 * A digest's body is canonical JSON (keys sorted, no whitespace; canonicalJson) naming every chain
 * appended to since the previous digest with its last seq and hash, the previous digest's seq and
 * the sha256 of its body, the time and the signing key's id. The signature is ECDSA P-256 (DER)
 * over the 32 bytes of sha256(body), so by hand:
 *
 *   sha256sum body.json                                # the hash the next digest names
 *   openssl dgst -sha256 -binary body.json > body.sha256
 *   openssl dgst -sha256 -verify public.pem -signature body.sig body.sha256
 *
 * Stored as one envelope per digest (`{"body": base64, "format", "signature": base64}`, canonical
 * JSON too) under `digests/<seq, 12 digits>-<time, YYYYMMDDTHHMMSSZ>.json`.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { canonicalJson } from './audit-chain.ts';

export const DIGEST_FORMAT = 'leaver-digest/1';
export const ENVELOPE_FORMAT = 'leaver-digest-envelope/1';
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** One chain's head as a digest names it. */
export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

export interface DigestBody {
  format: typeof DIGEST_FORMAT;
  seq: number;
  /** When it was written (ISO-8601, UTC). */
  time: string;
  /** Why: a periodic run, or an offboarding that finished. */
  reason: 'periodic' | 'finished';
  /** The digest before it (null for the first one): its seq and the sha256 hex of its body. */
  previous: { seq: number; hash: string } | null;
  /** sha256 hex of the signing public key (DER SubjectPublicKeyInfo). */
  keyId: string;
  /** Chains appended to since the previous digest, sorted by chain id. */
  chains: ChainHead[];
}

export interface DigestEnvelope {
  format: typeof ENVELOPE_FORMAT;
  /** base64 of the body's exact bytes. */
  body: string;
  /** base64 of the DER ECDSA signature over sha256(body). */
  signature: string;
}

/** Where a digest is stored: its seq, its time, and its key in the archive. */
export interface DigestRef {
  seq: number;
  time: string;
  key: string;
}

export const sha256Hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
export const sha256Bytes = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

export function bodyBytes(body: DigestBody): Uint8Array {
  return Buffer.from(canonicalJson(body), 'utf8');
}

export function envelopeBytes(env: DigestEnvelope): Uint8Array {
  return Buffer.from(canonicalJson(env), 'utf8');
}

/** The archive key of a digest: sorts by seq, and names its time (to the second). */
export function digestKey(seq: number, time: string): string {
  const t = new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `digests/${String(seq).padStart(12, '0')}-${t}.json`;
}

const KEY_PATTERN = /^digests\/(\d{12})-(\d{8}T\d{6}Z)\.json$/;

/** The seq and time an archive key names, or undefined for a key that is not a digest's. */
export function parseDigestKey(key: string): DigestRef | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const t = m[2]!;
  const time = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`;
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return undefined;
  return { seq: Number(m[1]), time: new Date(ms).toISOString(), key };
}

/** sha256 hex of a PEM public key's DER SubjectPublicKeyInfo: the id digests name their key by. */
export function keyIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return sha256Hex(der);
}

/** Whether `signature` (DER) is the key's ECDSA signature over sha256(body). */
export function signatureValid(publicKeyPem: string, body: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifySignature('sha256', sha256Bytes(body), createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}

/** A parsed envelope: the body's bytes and fields, and the signature; or why it could not be read. */
export type OpenedDigest =
  | { ok: true; body: DigestBody; bytes: Uint8Array; signature: Uint8Array; hash: string }
  | { ok: false; reason: string };

export function openEnvelope(raw: Uint8Array): OpenedDigest {
  let env: Partial<DigestEnvelope>;
  try {
    env = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<DigestEnvelope>;
  } catch {
    return { ok: false, reason: 'the envelope is not JSON' };
  }
  if (env?.format !== ENVELOPE_FORMAT || typeof env.body !== 'string' || typeof env.signature !== 'string') {
    return { ok: false, reason: 'the envelope lacks its format, body or signature' };
  }
  if (canonicalJson(env) !== Buffer.from(raw).toString('utf8')) {
    return { ok: false, reason: 'the envelope is not in canonical form' };
  }
  const bytes = strictBase64(env.body);
  const signature = strictBase64(env.signature);
  if (!bytes || !signature) return { ok: false, reason: 'the body or signature is not canonical base64' };
  let body: DigestBody;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8')) as DigestBody;
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  if (!isDigestBody(body)) return { ok: false, reason: 'the body is not a digest' };
  if (canonicalJson(body) !== Buffer.from(bytes).toString('utf8')) {
    return { ok: false, reason: 'the body is not in canonical form' };
  }
  return { ok: true, body, bytes, signature, hash: sha256Hex(bytes) };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Decodes base64 only when it is exactly what encoding the decoded bytes gives (Node skips stray characters). */
export function strictBase64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

/** A PEM public key in the one form Node exports it, or undefined when it does not parse. */
export function canonicalPem(pem: string): string | undefined {
  try {
    return createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    return undefined;
  }
}

function isDigestBody(b: unknown): b is DigestBody {
  const d = b as DigestBody;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.format === DIGEST_FORMAT &&
    Number.isSafeInteger(d.seq) &&
    d.seq >= 1 &&
    typeof d.time === 'string' &&
    !Number.isNaN(Date.parse(d.time)) &&
    (d.reason === 'periodic' || d.reason === 'finished') &&
    typeof d.keyId === 'string' &&
    (d.previous === null ||
      (typeof d.previous === 'object' &&
        Number.isSafeInteger(d.previous.seq) &&
        typeof d.previous.hash === 'string' &&
        HEX64.test(d.previous.hash))) &&
    Array.isArray(d.chains) &&
    d.chains.every(
      (c) =>
        typeof c === 'object' &&
        c !== null &&
        typeof c.chain === 'string' &&
        Number.isSafeInteger(c.seq) &&
        c.seq >= 1 &&
        typeof c.hash === 'string' &&
        HEX64.test(c.hash),
    )
  );
}

/** The time a ULID-style id (Leaver's offboarding ids) was made, or undefined when it holds none. */
export function timeOfId(id: string): Date | undefined {
  const m = /([0-9A-HJKMNP-TV-Z]{26})/.exec(id);
  if (!m) return undefined;
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let ms = 0;
  for (const ch of m[1]!.slice(0, 10)) ms = ms * 32 + alphabet.indexOf(ch);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
