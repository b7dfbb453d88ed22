/** DigestArchive in memory: the local runtime without a data directory keeps its digests as long as its data. */
import { type DigestRef, parseDigestKey } from '../core/digest.ts';
import type { DigestArchive } from '../core/digest-ports.ts';

export class MemoryDigestArchive implements DigestArchive {
  readonly objects = new Map<string, Uint8Array>();

  async put(ref: DigestRef, envelope: Uint8Array): Promise<'stored' | 'exists'> {
    if (this.objects.has(ref.key)) return 'exists';
    this.objects.set(ref.key, new Uint8Array(envelope));
    return 'stored';
  }

  async list(opts: { afterSeq?: number; limit?: number } = {}): Promise<DigestRef[]> {
    const refs = [...this.objects.keys()]
      .sort()
      .map((k) => parseDigestKey(k))
      .filter((r): r is DigestRef => r !== undefined && r.seq > (opts.afterSeq ?? 0));
    return opts.limit === undefined ? refs : refs.slice(0, opts.limit);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.objects.get(key);
    return v && new Uint8Array(v);
  }
}
