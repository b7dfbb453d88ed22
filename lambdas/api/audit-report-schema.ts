/** The audit verification report (core/audit-verify.ts) as the API answers it. */
import * as z from 'zod';
import { AUDIT_PROBLEM_CODES } from '../core/audit-problems.ts';

const ProblemFoundSchema = z.strictObject({
  code: z.enum(AUDIT_PROBLEM_CODES),
  message: z.string(),
  chain: z.string().optional(),
  seq: z.number().int().optional(),
  digest: z.number().int().optional(),
});

const SeqRange = z.strictObject({ fromSeq: z.number().int(), toSeq: z.number().int() });

export const VerifyReportSchema = z
  .strictObject({
    scope: z.union([
      z.strictObject({ kind: z.literal('offboarding'), id: z.string() }),
      z.strictObject({ kind: z.literal('range'), from: z.string(), to: z.string() }),
      z.strictObject({ kind: z.literal('all') }),
    ]),
    verifiedAt: z.string(),
    keyId: z
      .string()
      .meta({ description: 'sha256 (hex) of the trusted public key (DER SubjectPublicKeyInfo)' }),
    valid: z.boolean().meta({ description: 'No problem found' }),
    anchored: z.boolean().meta({ description: 'Every record in scope is named by a signed digest' }),
    digests: z.strictObject({
      listed: z.number().int(),
      checked: z.number().int(),
      latest: z.strictObject({ seq: z.number().int(), time: z.string() }).optional(),
    }),
    chains: z.array(
      z.strictObject({
        chain: z.string(),
        records: z.number().int(),
        anchoredThrough: z.number().int(),
        notAnchored: SeqRange.optional().meta({
          description: 'Records after the last digest: not yet anchored',
        }),
        valid: z.boolean(),
      }),
    ),
    problems: z.array(ProblemFoundSchema),
  })
  .meta({ id: 'AuditVerification' });
