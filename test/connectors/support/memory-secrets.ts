/** An in-memory SecretStore for connector tests: counts reads and invalidations. */
import type { SecretStore } from '../../../lambdas/core/ports.ts';

export class MemorySecrets implements SecretStore {
  private readonly values = new Map<string, unknown>();
  private readonly cache = new Map<string, unknown>();
  readonly invalidations: string[] = [];
  reads = 0;

  constructor(initial: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(initial)) this.values.set(k, v);
  }

  /** Changes the stored value; callers keep seeing the cached one until `invalidate` (like the real store). */
  set(name: string, value: unknown): void {
    this.values.set(name, value);
  }

  async get<T = Record<string, unknown>>(name: string): Promise<T> {
    this.reads += 1;
    if (!this.cache.has(name)) {
      if (!this.values.has(name)) throw new Error(`no secret ${name}`);
      this.cache.set(name, structuredClone(this.values.get(name)));
    }
    return this.cache.get(name) as T;
  }

  invalidate(name: string): void {
    this.invalidations.push(name);
    this.cache.delete(name);
  }
}
