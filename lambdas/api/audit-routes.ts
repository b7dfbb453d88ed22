/**
 * Audit routes backed by the signed digests: verification (one offboarding, a time range, or all),
 * the evidence pack of one offboarding, and the public key digests are signed with.
 */
import { verifyDeps } from '../core/anchor.ts';
import { type VerifyScope, verifyAudit } from '../core/audit-verify.ts';
import { keyIdOf, SIGNING_ALGORITHM } from '../core/digest.ts';
import { LeaverError } from '../core/errors.ts';
import { evidenceText } from '../core/evidence.ts';
import { exportEvidence } from '../core/evidence-export.ts';
import {
  EvidencePackSchema,
  PublicKeySchema,
  VerifyAuditQuery,
  VerifyReportSchema,
} from './audit-schemas.ts';
import { json, text } from './http-response.ts';
import type { AnyRoute } from './request.ts';
import { route } from './router.ts';
import { IdParams } from './schemas.ts';

const JSON_TYPE = 'application/json';

const bad = (message: string, path: string) =>
  new LeaverError('invalid_request', message, { details: { errors: [{ path, message }] } });

const verify = route({
  method: 'GET',
  path: '/v1/audit/verify',
  operationId: 'verifyAudit',
  summary: 'Verify the audit trail against its signed digests',
  description:
    'Exactly one scope: `offboardingId`, a time window (`from` and `to`), or `all=true`. Checks the ' +
    'digest chain (no seq missing, each signed by the trusted key and named by the next), every chain ' +
    'in scope (its hash links, and every head a digest names), and each offboarding’s stored counts ' +
    'and status against its audit. `valid` is false when anything is wrong; `problems` says what and ' +
    'where. Records after their chain’s last digest are listed as not yet anchored (`anchored` false).',
  tag: 'audit',
  query: VerifyAuditQuery,
  responses: {
    200: { description: 'The verification report', content: { [JSON_TYPE]: VerifyReportSchema } },
  },
  errors: [404],
  async handle({ query, env }) {
    const all = query.all === 'true';
    const range = query.from !== undefined || query.to !== undefined;
    const scopes = [query.offboardingId !== undefined, range, all].filter(Boolean).length;
    if (scopes !== 1) throw bad('Give exactly one of offboardingId, from and to, or all=true', 'query');
    let scope: VerifyScope;
    if (query.offboardingId !== undefined) scope = { kind: 'offboarding', id: query.offboardingId };
    else if (all) scope = { kind: 'all' };
    else {
      if (query.from === undefined || query.to === undefined)
        throw bad('A time window needs from and to', 'query.to');
      if (query.from > query.to) throw bad('from must not be after to', 'query.from');
      scope = { kind: 'range', from: query.from, to: query.to };
    }
    return json(200, await verifyAudit(await verifyDeps(env.deps), scope));
  },
});

const evidence = route({
  method: 'GET',
  path: '/v1/offboardings/{id}/evidence',
  operationId: 'exportEvidence',
  summary: 'The evidence pack of one offboarding: a file anyone can verify offline',
  description:
    'One JSON file holding the offboarding (the fields its audit confirms), every audit record of its ' +
    'chain, the run of signed digests that names it, and the public key. `leaver evidence verify <file>` ' +
    'checks it with no credentials and no network; docs/audit-verification.md shows the same by hand.',
  tag: 'audit',
  params: IdParams,
  responses: {
    200: {
      description: 'The evidence pack (its exact bytes are what verification checks)',
      content: { [JSON_TYPE]: EvidencePackSchema },
      headers: { 'content-disposition': { description: 'attachment; filename="leaver-evidence-<id>.json"' } },
    },
  },
  errors: [404],
  async handle({ params, env }) {
    const pack = await exportEvidence(await verifyDeps(env.deps), params.id);
    return text(200, evidenceText(pack), JSON_TYPE, {
      'content-disposition': `attachment; filename="leaver-evidence-${params.id}.json"`,
    });
  },
});

const publicKey = route({
  method: 'GET',
  path: '/v1/audit/public-key',
  operationId: 'getAuditPublicKey',
  summary: 'The public key audit digests are signed with',
  description:
    'Keep a copy where Leaver cannot change it: verification against your own copy (evidence verify ' +
    '--public-key) does not depend on trusting Leaver. `keyId` is the sha256 of the DER key every digest names.',
  tag: 'audit',
  responses: { 200: { description: 'The key', content: { [JSON_TYPE]: PublicKeySchema } } },
  errors: [],
  async handle({ env }) {
    const pem = await (await verifyDeps(env.deps)).publicKeyPem;
    return json(200, { keyId: keyIdOf(pem), algorithm: SIGNING_ALGORITHM, publicKey: pem });
  },
});

export const AUDIT_ROUTES: readonly AnyRoute[] = [verify, evidence, publicKey];
