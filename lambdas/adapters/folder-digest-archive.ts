/**
 * DigestArchive for the local runtime: one file per digest under `<dir>/digests/`, created with
 * O_EXCL so an existing digest is never overwritten. Unlike S3 Object Lock, anyone with access to
 * the folder can delete or edit a file; verification then reports the gap or the altered digest.
 */
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DigestRef, parseDigestKey } from '../core/digest.ts';
import type { DigestArchive } from '../core/digest-ports.ts';
import { LeaverError } from '../core/errors.ts';

export class FolderDigestArchive implements DigestArchive {
  constructor(private readonly dir: string) {}

  async put(ref: DigestRef, envelope: Uint8Array): Promise<'stored' | 'exists'> {
    const path = this.pathOf(ref.key);
    await mkdir(join(this.dir, 'digests'), { recursive: true });
    let file: Awaited<ReturnType<typeof open>>;
    try {
      file = await open(path, 'wx', 0o444);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw new LeaverError('storage_unavailable', `Writing digest ${ref.seq} failed`, { cause: e });
    }
    try {
      await file.writeFile(envelope);
      await file.sync();
    } finally {
      await file.close();
    }
    return 'stored';
  }

  async list(opts: { afterSeq?: number; limit?: number } = {}): Promise<DigestRef[]> {
    let names: string[];
    try {
      names = await readdir(join(this.dir, 'digests'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const refs = names
      .map((n) => parseDigestKey(`digests/${n}`))
      .filter((r): r is DigestRef => r !== undefined && r.seq > (opts.afterSeq ?? 0))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    return opts.limit === undefined ? refs : refs.slice(0, opts.limit);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Only digest keys map to files (no path can leave the folder). */
  private pathOf(key: string): string {
    if (!parseDigestKey(key)) throw new LeaverError('invalid_request', 'Not a digest key');
    return join(this.dir, key);
  }
}
