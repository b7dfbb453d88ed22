/**
 * What this API offers beyond the core routes, read from its own OpenAPI document (public): the
 * evidence pack download and the access inventory appear only where the API has them.
 */
import { api } from './api.ts';

export interface Features {
  /** GET path template of an offboarding's evidence pack, e.g. `/v1/offboardings/{id}/evidence`. */
  evidencePath?: string;
  /** GET path of the access lookup by email (`/v1/access`). */
  accessPath?: string;
}

export async function detectFeatures(): Promise<Features> {
  try {
    const doc = await api<{ paths?: Record<string, Record<string, unknown>> }>('GET', '/v1/openapi.json');
    const paths = Object.entries(doc.paths ?? {}).filter(
      ([, ops]) => ops && typeof ops === 'object' && 'get' in ops,
    );
    const evidence = paths.find(([p]) => /evidence/i.test(p) && p.includes('{id}'))?.[0];
    const access = paths.find(([p]) => p === '/v1/access')?.[0];
    return { ...(evidence ? { evidencePath: evidence } : {}), ...(access ? { accessPath: access } : {}) };
  } catch {
    return {};
  }
}
