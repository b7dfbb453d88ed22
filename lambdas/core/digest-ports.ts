/**
 * What the digest writer and the verifier need from the outside: a signer whose private key the
 * functions never hold (a KMS key in AWS, a key file locally), an archive the writers can add to but
 * never change (S3 with Object Lock in AWS, a folder locally), and the writer's small state (the
 * last digest and a lease, beside the offboardings).
 */
import type { DigestRef } from './digest.ts';
import type { AuditLog, Clock, Log, OffboardingStore } from './ports.ts';

export interface DigestSigner {
  /** The ECDSA P-256 signature (DER) over these 32 bytes (a sha256). */
  signHash(hash: Uint8Array): Promise<Uint8Array>;
  /** The public key, PEM (SubjectPublicKeyInfo). */
  publicKeyPem(): Promise<string>;
}

export interface DigestArchive {
  /** Stores a digest envelope at `ref.key` unless that key exists ('exists'); never overwrites. */
  put(ref: DigestRef, envelope: Uint8Array): Promise<'stored' | 'exists'>;
  /** Digests in key order (by seq) after `afterSeq`, at most `limit` (default: all). */
  list(opts?: { afterSeq?: number; limit?: number }): Promise<DigestRef[]>;
  /** The stored envelope, or undefined when the key holds nothing. */
  get(key: string): Promise<Uint8Array | undefined>;
}

/** The digest writer's state: the last digest written, and the one being written (write-ahead). */
export interface DigestHead {
  /** 0 before the first digest. */
  seq: number;
  /** sha256 hex of the last digest's body. */
  hash?: string;
  /** The end of the time window the last digest covered. */
  coveredTo?: string;
  /** A digest signed and about to be stored: a writer that finds it stores it first. */
  pending?: { ref: DigestRef; hash: string; coveredTo?: string; envelope: string };
  /**
   * Chains that asked to be anchored while another writer held the lease (offboardings that just
   * finished): the next digest names them.
   */
  requested?: string[];
}

export interface DigestStateStore {
  /**
   * Takes the writer's lease (until `until`) unless another holder's lasts past `now`; undefined when
   * busy. With `livePrefix`, a lease whose owner does not start with it is taken at once: the caller
   * knows every live writer's owner starts with it (one process alone on its storage).
   */
  claim(owner: string, until: string, now: string, livePrefix?: string): Promise<DigestHead | undefined>;
  /** Saves the head (its `requested` aside), only while `owner` holds the lease (conflict otherwise). */
  save(owner: string, head: DigestHead): Promise<void>;
  /** Adds chains to `requested`, whoever holds the lease (a set: asking twice is asking once). */
  request(streams: readonly string[]): Promise<void>;
  /** Takes chains a digest named off `requested`, only while `owner` holds the lease. */
  forget(owner: string, streams: readonly string[]): Promise<void>;
  release(owner: string): Promise<void>;
  /** The head as stored (a hint for readers: the archive is the record). */
  read(): Promise<DigestHead>;
}

/** The three parts that anchor the audit, as the handlers wire them (absent: no digests). */
export interface AuditAnchor {
  signer: DigestSigner;
  archive: DigestArchive;
  state: DigestStateStore;
}

export interface DigestDeps {
  audit: Pick<AuditLog, 'appendedSince' | 'tail'>;
  signer: DigestSigner;
  archive: DigestArchive;
  state: DigestStateStore;
  clock: Clock;
  log: Log;
  /**
   * This process as a lease holder (as in the engine's deps). When exclusive (the local runtime, alone
   * on its storage), a digest lease held by anyone else was left by a process that died, and is taken
   * over at once instead of blocking every anchor until it lapses.
   */
  leaseHolder?: { id: string; exclusive: boolean };
}

/** What verification reads: the audit, the offboardings, the archive, and the key it trusts. */
export interface VerifyDeps {
  audit: Pick<AuditLog, 'stream' | 'appendedSince'>;
  store: Pick<OffboardingStore, 'get' | 'query'>;
  archive: Pick<DigestArchive, 'list' | 'get'>;
  state?: Pick<DigestStateStore, 'read'>;
  /** The public key digests must be signed with (PEM). */
  publicKeyPem: string;
  clock: Clock;
}
