/**
 * Waits for every promise to settle, then throws the first rejection. Unlike Promise.all, nothing
 * started here is still running when the caller hears of a failure: a run that fails part way must
 * not keep revoking and auditing behind the run that takes it over.
 */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/**
 * Runs `fn` over `items` with at most `limit` in flight; results in input order. After a failure
 * no further item starts, the ones in flight finish, and then the first failure is thrown.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await settleAll(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Every page of a cursor-paged listing. */
export async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>,
  maxPages = 1000,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor);
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor && ++pages < maxPages);
  return out;
}
