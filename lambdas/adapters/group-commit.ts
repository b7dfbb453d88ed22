/**
 * Group commit: values added for one key while that key's previous write is in flight (or in the
 * same turn of the event loop) are written together by one call, so many small writes made at once
 * cost a few round trips instead of one each. Each `add` resolves once its own write succeeded and
 * rejects with that write's error. Writes of one key run one at a time; different keys in parallel.
 */
export interface GroupCommitOptions<T> {
  /** Writes one group (never empty). */
  write: (key: string, values: T[]) => Promise<void>;
  /** How many of `pending` (from the front, at least 1) the next write takes. */
  take: (pending: readonly T[]) => number;
}

interface Waiting<T> {
  value: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<T> {
  private readonly queues = new Map<string, Waiting<T>[]>();

  constructor(private readonly opts: GroupCommitOptions<T>) {}

  add(key: string, value: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.push({ value, resolve, reject });
        return;
      }
      const fresh: Waiting<T>[] = [{ value, resolve, reject }];
      this.queues.set(key, fresh);
      setImmediate(() => void this.drain(key, fresh));
    });
  }

  private async drain(key: string, queue: Waiting<T>[]): Promise<void> {
    while (queue.length > 0) {
      const n = Math.max(1, Math.min(queue.length, this.opts.take(queue.map((w) => w.value))));
      const group = queue.splice(0, n);
      try {
        await this.opts.write(
          key,
          group.map((w) => w.value),
        );
        for (const w of group) w.resolve();
      } catch (e) {
        for (const w of group) w.reject(e);
      }
    }
    this.queues.delete(key);
  }
}
