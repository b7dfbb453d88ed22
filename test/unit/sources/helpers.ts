import { LeaverError } from '../../../lambdas/core/errors.ts';
import type { RawWebhook } from '../../../lambdas/sources/types.ts';

export const raw = (over: Partial<RawWebhook> & { body?: string }): RawWebhook => ({
  method: 'POST',
  headers: {},
  body: '',
  sourceId: 'test-source',
  ...over,
});

/** The LeaverError code `fn` throws (fails the test when it throws none or something else). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LeaverError) return e.code;
    throw e;
  }
  throw new Error('expected a LeaverError');
}

export function errorOf(fn: () => unknown): LeaverError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LeaverError) return e;
    throw e;
  }
  throw new Error('expected a LeaverError');
}
