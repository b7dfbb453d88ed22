/** Schemas of the audit verification, evidence and public-key routes (audit-routes.ts). */
import * as z from 'zod';
import { isoDateInput } from './schemas.ts';

export const VerifyAuditQuery = z.strictObject({
  offboardingId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be an offboarding id')
    .optional(),
  from: isoDateInput.optional(),
  to: isoDateInput.optional(),
  all: z.enum(['true', 'false']).optional(),
});

export const PublicKeySchema = z
  .strictObject({
    keyId: z.string(),
    algorithm: z.literal('ECDSA_SHA_256'),
    publicKey: z.string().meta({ description: 'PEM (SubjectPublicKeyInfo)' }),
  })
  .meta({ id: 'AuditPublicKey' });

export const EvidencePackSchema = z
  .strictObject({
    format: z.literal('leaver-evidence/1'),
    chain: z.string(),
    offboarding: z
      .strictObject({
        id: z.string(),
        email: z.string(),
        status: z.string(),
        counts: z.record(z.string(), z.number()).optional(),
      })
      .nullable(),
    records: z.array(z.record(z.string(), z.unknown())),
    digests: z.array(z.strictObject({ key: z.string(), envelope: z.string() })),
    publicKey: z.string(),
  })
  .meta({ id: 'EvidencePack' });

export { VerifyReportSchema } from './audit-report-schema.ts';
