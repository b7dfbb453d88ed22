/**
 * The cache both secret stores share: values kept for at most `maxAgeMs`, concurrent gets of one
 * name share one fetch, and invalidate() makes the next get fetch again (a fetch that was already
 * running when invalidate() was called does not refill the cache with the old value).
 */
import type { Clock } from '../core/ports.ts';

export class SecretCache<K extends string = string> {
  private readonly values = new Map<K, { value: unknown; fetchedAt: number }>();
  private readonly inflight = new Map<K, { promise: Promise<unknown>; generation: number }>();
  private readonly generations = new Map<K, number>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly clock: Clock,
  ) {}

  async get(name: K, fetch: () => Promise<unknown>): Promise<unknown> {
    const now = this.clock.now().getTime();
    const hit = this.values.get(name);
    if (hit && now - hit.fetchedAt < this.maxAgeMs && now >= hit.fetchedAt) return hit.value;
    const generation = this.generations.get(name) ?? 0;
    const running = this.inflight.get(name);
    if (running && running.generation === generation) return running.promise;
    const entry: { promise: Promise<unknown>; generation: number } = {
      promise: Promise.resolve(),
      generation,
    };
    entry.promise = (async () => {
      await null; // run after `entry` is registered below, even if fetch throws synchronously
      try {
        const value = await fetch();
        if ((this.generations.get(name) ?? 0) === generation) {
          this.values.set(name, { value, fetchedAt: this.clock.now().getTime() });
        }
        return value;
      } finally {
        if (this.inflight.get(name) === entry) this.inflight.delete(name);
      }
    })();
    this.inflight.set(name, entry);
    return entry.promise;
  }

  invalidate(name: K): void {
    this.values.delete(name);
    this.generations.set(name, (this.generations.get(name) ?? 0) + 1);
  }

  clear(): void {
    for (const name of [...this.values.keys(), ...this.inflight.keys()]) this.invalidate(name);
  }
}
