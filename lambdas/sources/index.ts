/**
 * The HR sources by type. `getSource(type, options)` returns the module that verifies and parses
 * that source's webhooks; `options` carries the source's configuration (Okta's header name).
 */

import type { SourceConfig } from '../core/config.ts';
import { assertNever } from '../core/vendor-manifest.ts';
import { bamboohrSource } from './bamboohr.ts';
import { hibobSource } from './hibob.ts';
import { oktaSource } from './okta.ts';
import { standardSource } from './standard.ts';
import type { HrSource, HrSourceType } from './types.ts';

export { MAX_BODY_BYTES } from './common.ts';
export type { HrSource, HrSourceType, RawWebhook } from './types.ts';

export function getSource(type: HrSourceType, options: Pick<SourceConfig, 'headerName'> = {}): HrSource {
  switch (type) {
    case 'standard':
      return standardSource;
    case 'okta':
      return oktaSource({ headerName: options.headerName });
    case 'bamboohr':
      return bamboohrSource;
    case 'hibob':
      return hibobSource;
    default:
      return assertNever(type, 'HR source type');
  }
}
