/**
 * Vendor id formats and the ids each grant kind needs, read from the vendor manifest. Every id that
 * goes into a vendor URL is checked here first (connectors, the targeted-revocation API and the
 * sandbox-free unit tests all use this one table).
 */
import { LeaverError } from './errors.ts';
import {
  GRANT_KIND_MANIFEST,
  type GrantIdsOf,
  type GrantKind,
  ID_FORMATS,
  type IdFormat,
  VENDOR_MANIFEST,
  type VendorId,
  type VendorOfKind,
} from './vendor-manifest.ts';

export const GUID_PATTERN = ID_FORMATS.guid.pattern;
export const OBJECT_ID_PATTERN = ID_FORMATS.objectId.pattern;

export const isIdOfFormat = (format: IdFormat, value: unknown): value is string =>
  typeof value === 'string' && ID_FORMATS[format].pattern.test(value);
export const isGuid = (value: unknown): value is string => isIdOfFormat('guid', value);
export const isObjectId = (value: unknown): value is string => isIdOfFormat('objectId', value);

/** The format of a vendor's own ids (tenant, organisation, iTwin). */
export function idFormatOf(vendor: VendorId): IdFormat {
  return VENDOR_MANIFEST[vendor].idFormat;
}

/** The vendor ids each grant kind carries, in the order they appear in its URL. */
export const GRANT_ID_KEYS = Object.fromEntries(
  Object.entries(GRANT_KIND_MANIFEST).map(([kind, spec]) => [kind, Object.keys(spec.ids)]),
) as unknown as { readonly [K in GrantKind]: readonly (keyof GrantIdsOf<K> & string)[] };

export function isGrantKind(kind: unknown): kind is GrantKind {
  return typeof kind === 'string' && Object.hasOwn(GRANT_KIND_MANIFEST, kind);
}

export function isVendorId(vendor: unknown): vendor is VendorId {
  return typeof vendor === 'string' && Object.hasOwn(VENDOR_MANIFEST, vendor);
}

/** The vendor a kind belongs to. An unknown kind throws: it never falls through to some vendor. */
export function vendorOfKind<K extends GrantKind>(kind: K): VendorOfKind<K> {
  if (!isGrantKind(kind)) {
    throw new LeaverError('invalid_request', `unknown grant kind ${String(kind).slice(0, 64)}`, {
      details: { field: 'kind' },
    });
  }
  return GRANT_KIND_MANIFEST[kind].vendor as VendorOfKind<K>;
}

/**
 * Throws `invalid_vendor_id` naming the first id that is missing or not in the kind's format.
 * Extra keys are refused too, so a typo cannot pass unnoticed.
 */
export function assertGrantIds<K extends GrantKind>(
  kind: K,
  ids: Record<string, unknown>,
): asserts ids is Record<string, string> {
  const formats: Readonly<Record<string, IdFormat>> = GRANT_KIND_MANIFEST[kind].ids;
  for (const [key, format] of Object.entries(formats)) {
    if (!isIdOfFormat(format, ids[key])) {
      throw new LeaverError('invalid_vendor_id', `${key} must be a ${ID_FORMATS[format].label} for ${kind}`, {
        details: { field: key, format },
      });
    }
  }
  for (const key of Object.keys(ids)) {
    if (!Object.hasOwn(formats, key)) {
      throw new LeaverError('invalid_vendor_id', `${key} is not an id of ${kind}`, {
        details: { field: key },
      });
    }
  }
}
