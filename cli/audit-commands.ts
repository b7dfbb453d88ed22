/**
 * The CLI's audit integrity commands:
 *
 *   audit verify <id> | --from <date> --to <date> | --all   the server's report; for one offboarding
 *                                                   also its evidence pack, verified here
 *   audit public-key [--out <file>]                 the key digests are signed with (PEM)
 *   evidence export <id> [--out <file>]             the offboarding's evidence pack, byte for byte
 *   evidence verify <file> [--public-key <pem>]     offline: no credentials, no network
 *
 * Human output formats a copy of each answer with every control character escaped (cli/visible.ts);
 * every line also passes the output guard of main().
 *
 * Exit codes: 1 a problem found (or an error). `audit verify` exits 0 when nothing is wrong, records
 * after the latest digest being reported as not yet anchored (they are, for a few minutes after every
 * write); with --require-anchored they make it exit 3. `evidence verify` always exits 3 for them: a
 * pack is evidence only for what a signed digest vouches for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AuditProblem } from '../lambdas/core/audit-problems.ts';
import type { VerifyReport } from '../lambdas/core/audit-verify.ts';
import { type EvidenceVerdict, verifyEvidence } from '../lambdas/core/evidence.ts';
import { type ApiClient, UsageError } from './client.ts';
import { visible } from './visible.ts';

export const EXIT_NOT_ANCHORED = 3;

export interface AuditIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

interface Args {
  command: string;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  asJson: boolean;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function exitOf(valid: boolean, anchored: boolean, requireAnchored = true): number {
  if (!valid) return 1;
  return anchored || !requireAnchored ? 0 : EXIT_NOT_ANCHORED;
}

function problemLines(problems: readonly AuditProblem[]): string[] {
  return problems.map((p) => `  ${p.code}: ${p.message}`);
}

export function reportText(r: VerifyReport): string {
  const records = r.chains.reduce((n, c) => n + c.records, 0);
  const unanchored = r.chains.filter((c) => c.notAnchored);
  const verdict = r.valid ? 'intact' : 'BROKEN';
  const anchoring = r.anchored
    ? 'every record anchored by a signed digest'
    : `${unanchored.reduce((n, c) => n + c.notAnchored!.toSeq - c.notAnchored!.fromSeq + 1, 0)} not yet anchored`;
  const head =
    r.scope.kind === 'offboarding'
      ? `Audit chain of ${r.scope.id}: ${verdict} (${records} records; ${anchoring})`
      : `Audit of ${r.scope.kind === 'range' ? `${r.scope.from} to ${r.scope.to}` : 'everything'}: ${verdict} (${r.chains.length} chains, ${records} records; ${anchoring})`;
  const lines = [
    head,
    `  ${r.digests.checked} of ${r.digests.listed} digest(s) checked${
      r.digests.latest ? `, latest #${r.digests.latest.seq} at ${r.digests.latest.time}` : ''
    }; signing key ${r.keyId.slice(0, 16)}...`,
  ];
  for (const c of unanchored.slice(0, 20)) {
    lines.push(
      `  not yet anchored: ${c.chain} records ${c.notAnchored!.fromSeq} to ${c.notAnchored!.toSeq} (after the latest digest naming it)`,
    );
  }
  if (unanchored.length > 20)
    lines.push(`  ... and ${unanchored.length - 20} more chain(s) not yet anchored`);
  if (r.problems.length) lines.push(`${r.problems.length} problem(s):`, ...problemLines(r.problems));
  return lines.join('\n');
}

export function evidenceVerdictText(file: string, v: EvidenceVerdict): string {
  const lines = [
    `Evidence ${file}: ${v.valid ? (v.anchored ? 'VERIFIED' : 'VERIFIED, NOT FULLY ANCHORED') : 'FAILED'}`,
    `  chain ${v.chain ?? '?'}: ${v.records} record(s), anchored through seq ${v.anchoredThrough} by ${v.digests} digest(s); key ${v.keyId?.slice(0, 16) ?? '?'}...`,
  ];
  if (v.notAnchored) {
    lines.push(`  not anchored: records ${v.notAnchored.fromSeq} to ${v.notAnchored.toSeq}`);
  }
  if (v.problems.length) lines.push(`${v.problems.length} problem(s):`, ...problemLines(v.problems));
  return lines.join('\n');
}

/** `evidence verify`: needs nothing but the file (and optionally the auditor's copy of the key). */
export function evidenceVerify(p: Args, io: AuditIo): number {
  if (p.positionals.length !== 1) throw new UsageError('evidence verify: give one <file>');
  const file = p.positionals[0]!;
  const text = readTextFile(file, 'evidence file');
  const keyFile = str(p.values['public-key']);
  const verdict = verifyEvidence(
    text,
    keyFile ? { trustedPublicKeyPem: readTextFile(keyFile, 'public key') } : {},
  );
  io.out(
    p.asJson ? JSON.stringify({ file, ...verdict }, null, 2) : evidenceVerdictText(file, visible(verdict)),
  );
  if (!keyFile && !p.asJson) {
    io.err(
      '  (checked with the key in the pack: give --public-key <your copy> to check it is the right one)',
    );
  }
  return exitOf(verdict.valid, verdict.anchored);
}

export async function runAuditCommand(p: Args, io: AuditIo, client: ApiClient): Promise<number> {
  switch (p.command) {
    case 'audit verify': {
      const from = str(p.values.from);
      const to = str(p.values.to);
      const all = p.values.all === true;
      const id = p.positionals[0];
      if (p.positionals.length > 1)
        throw new UsageError(`audit verify: unexpected argument "${p.positionals[1]}"`);
      const scopes = [id !== undefined, from !== undefined || to !== undefined, all].filter(Boolean).length;
      if (scopes !== 1) throw new UsageError('audit verify: give an <id>, or --from and --to, or --all');
      if ((from === undefined) !== (to === undefined))
        throw new UsageError('audit verify: --from needs --to');
      const query = id !== undefined ? { offboardingId: id } : all ? { all: 'true' } : { from, to };
      const report = await client.json<VerifyReport>('GET', '/v1/audit/verify', { query });
      const requireAnchored = p.values['require-anchored'] === true;
      if (id === undefined) {
        io.out(p.asJson ? JSON.stringify(report, null, 2) : reportText(visible(report)));
        return exitOf(report.valid, report.anchored, requireAnchored);
      }
      // One offboarding: its evidence pack is checked here as well, so the verdict does not rest on
      // the server's word.
      const pack = await client.request('GET', `/v1/offboardings/${encodeURIComponent(id)}/evidence`);
      const keyFile = str(p.values['public-key']);
      const local = verifyEvidence(
        pack.text,
        keyFile ? { trustedPublicKeyPem: readTextFile(keyFile, 'public key') } : {},
      );
      const valid = report.valid && local.valid;
      const anchored = report.anchored && local.anchored;
      if (p.asJson) io.out(JSON.stringify({ valid, anchored, server: report, local }, null, 2));
      else {
        io.out(reportText(visible(report)));
        io.out(evidenceVerdictText(`pack of ${visible(id)} (checked here)`, visible(local)));
      }
      return exitOf(valid, anchored, requireAnchored);
    }
    case 'audit public-key': {
      if (p.positionals.length)
        throw new UsageError(`audit public-key: unexpected argument "${p.positionals[0]}"`);
      const key = await client.json<{ keyId: string; algorithm: string; publicKey: string }>(
        'GET',
        '/v1/audit/public-key',
      );
      const out = str(p.values.out);
      if (out) writeFileSync(out, key.publicKey);
      if (p.asJson) io.out(JSON.stringify(key, null, 2));
      else if (out) io.out(`Wrote the public key (${key.algorithm}, key id ${key.keyId}) to ${out}`);
      else {
        io.out(key.publicKey.trimEnd());
        io.err(`key id (sha256 of the DER key) ${key.keyId}`);
      }
      return 0;
    }
    case 'evidence export': {
      if (p.positionals.length !== 1) throw new UsageError('evidence export: give one <id>');
      const id = p.positionals[0]!;
      const res = await client.request('GET', `/v1/offboardings/${encodeURIComponent(id)}/evidence`);
      const out = str(p.values.out) ?? `leaver-evidence-${id}.json`;
      // Written byte for byte: the pack is its own canonical form.
      writeFileSync(out, res.text);
      const pack = JSON.parse(res.text) as { records: unknown[]; digests: unknown[] };
      if (p.asJson)
        io.out(JSON.stringify({ file: out, records: pack.records.length, digests: pack.digests.length }));
      else io.out(`Wrote ${out}: ${pack.records.length} record(s), ${pack.digests.length} digest(s)`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${p.command}"`);
  }
}
