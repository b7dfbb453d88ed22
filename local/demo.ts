/**
 * `npm run demo -- <email>` (while `npm start` runs): sends a correctly signed Standard Webhooks
 * termination for <email> to the local runtime, follows the offboarding through
 * GET /v1/offboardings/{id} until it finishes, and prints its status and every action.
 *
 * Exit status: 0 completed without failed actions; 1 failed actions, quarantined, cancelled or
 * timed out; 2 usage or connection problems.
 *
 * Environment: LEAVER_URL (default http://127.0.0.1:$PORT, PORT default 3000), LEAVER_CONFIG,
 * LEAVER_SECRETS_FILE (the signing secret and the API token are read from there).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import type { LeaverConfig } from '../lambdas/core/config.ts';
import { describeConfigError, loadConfig } from '../lambdas/handlers/config-loader.ts';
import { FileSecretStore } from './adapters/file-secret-store.ts';

export interface DemoOptions {
  email: string;
  baseUrl?: string;
  /** The configuration whose standard source and API token secret names are used. */
  config?: LeaverConfig;
  secretsFile?: string;
  /** Source id of a Standard Webhooks source (default: the first enabled one). */
  sourceId?: string;
  timeoutMs?: number;
  pollMs?: number;
  /** Where the report goes (default stdout). */
  write?: (text: string) => void;
  fetchImpl?: typeof fetch;
}

export interface DemoAction {
  vendor: string;
  tenantId?: string;
  kind: string;
  scopeName?: string;
  outcome: string;
  skipReason?: string;
  errorCode?: string;
  pass?: number;
  at?: string;
}

export interface DemoResult {
  exitCode: 0 | 1 | 2;
  offboardingId?: string;
  status?: string;
  actions: DemoAction[];
}

const FINAL = new Set(['completed', 'completed_with_failures', 'cancelled', 'quarantined']);

class DemoError extends Error {}

/** The report fits a 100-column terminal. */
const WIDTH = 100;

/**
 * Aligned columns within WIDTH: when a row would be wider, column `flex` (the scope) gives up the
 * room and its cells end in `…`, so the outcome and its reason stay readable; a reason longer than
 * any the demo data has is cut last.
 */
function table(rows: string[][], indent: string, flex: number): string {
  const clip = (c: string, w: number) => (c.length > w ? `${c.slice(0, w - 1)}…` : c);
  const gap = '  ';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const others = widths.reduce((n, w, i) => n + (i === flex ? 0 : w), 0);
  const room = WIDTH - indent.length - gap.length * (widths.length - 1) - others;
  widths[flex] = Math.min(widths[flex]!, Math.max(8, room));
  return rows
    .map((r) => {
      const cells = r.map((c, i) => (i === flex ? clip(c, widths[i]!) : c).padEnd(widths[i]!));
      return clip(indent + cells.join(gap).trimEnd(), WIDTH);
    })
    .join('\n');
}

/** iTwin GUIDs in a scope shortened to their first and last groups, which still tell them apart. */
const shortGuids = (text: string): string =>
  text.replace(/\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-([0-9a-f]{12})\b/gi, '$1…$2');

/** One table per vendor tenant, in the order the actions ran; the kind without its vendor prefix. */
function actionTables(actions: DemoAction[]): string {
  const groups = new Map<string, DemoAction[]>();
  for (const a of actions) {
    const key = `${a.vendor}, tenant ${a.tenantId ?? '-'}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return [...groups]
    .map(([heading, list]) => {
      const rows = [['GRANT', 'SCOPE', 'OUTCOME', 'DETAIL']];
      for (const a of list) {
        rows.push([
          a.kind.startsWith(`${a.vendor}_`) ? a.kind.slice(a.vendor.length + 1) : a.kind,
          shortGuids(a.scopeName ?? ''),
          a.outcome,
          a.skipReason ?? a.errorCode ?? (a.pass ? `verification pass ${a.pass}` : ''),
        ]);
      }
      return `${heading}\n${table(rows, '  ', 1)}`;
    })
    .join('\n\n');
}

function actionsOf(detail: Record<string, unknown>): DemoAction[] {
  const vendors = detail.vendors;
  if (Array.isArray(vendors)) {
    return vendors.flatMap((v) => ((v as { actions?: DemoAction[] }).actions ?? []).map((a) => a));
  }
  return Array.isArray(detail.actions) ? (detail.actions as DemoAction[]) : [];
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  const doFetch = opts.fetchImpl ?? fetch;
  const baseUrl = (opts.baseUrl ?? `http://127.0.0.1:${process.env.PORT || 3000}`).replace(/\/+$/, '');
  const config = opts.config ?? loadConfig();
  const secrets = new FileSecretStore({
    path: resolve(opts.secretsFile ?? process.env.LEAVER_SECRETS_FILE ?? 'local/secrets.json'),
  });
  const source = config.sources.find(
    (s) => s.type === 'standard' && s.enabled && (opts.sourceId === undefined || s.id === opts.sourceId),
  );
  if (!source) throw new DemoError('the configuration has no enabled Standard Webhooks source');
  const signing = await secrets.get<{ secret?: string; secrets?: string[] }>(source.secretName);
  const secret = signing.secret ?? signing.secrets?.[0];
  if (!secret) throw new DemoError(`secret ${source.secretName} has no "secret"`);
  const apiToken = (await secrets.get<{ token?: string }>(config.api.localTokenSecretName)).token;
  if (!apiToken) throw new DemoError(`secret ${config.api.localTokenSecretName} has no "token"`);

  const msgId = `msg_demo_${randomBytes(9).toString('hex')}`;
  const now = new Date();
  const body = JSON.stringify({
    type: 'employee.terminated',
    timestamp: now.toISOString(),
    data: { email: opts.email, effectiveAt: now.toISOString() },
  });
  const signature = new Webhook(secret).sign(msgId, now, body);

  write(`Sending a signed termination for ${opts.email} to ${baseUrl}/hooks/${source.id}\n`);
  let res: Response;
  const sentAt = Date.now();
  try {
    res = await doFetch(`${baseUrl}/hooks/${encodeURIComponent(source.id)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': msgId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
    });
  } catch {
    throw new DemoError(
      `cannot reach ${baseUrl}: is \`npm start\` running? (LEAVER_URL or PORT point elsewhere)`,
    );
  }
  const accepted = (await res.json().catch(() => ({}))) as { offboardingId?: string; detail?: string };
  if (res.status !== 202 || !accepted.offboardingId) {
    throw new DemoError(
      `the webhook was not accepted: HTTP ${res.status} ${accepted.detail ?? JSON.stringify(accepted)}`,
    );
  }
  const id = accepted.offboardingId;
  write(`Accepted: offboarding ${id}. Waiting for it to finish...\n`);

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let detail: Record<string, unknown> = {};
  let lastStatus = '';
  for (;;) {
    const r = await doFetch(`${baseUrl}/v1/offboardings/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${apiToken}`, accept: 'application/json' },
    });
    if (r.status === 200) {
      detail = (await r.json()) as Record<string, unknown>;
      const status = String(detail.status);
      if (status !== lastStatus) write(`  status: ${status}\n`);
      lastStatus = status;
      if (FINAL.has(status)) break;
    } else if (r.status !== 404) {
      const text = await r.text();
      throw new DemoError(`GET /v1/offboardings/${id} answered HTTP ${r.status}: ${text.slice(0, 300)}`);
    }
    if (Date.now() > deadline) {
      write(`Timed out waiting; last status: ${lastStatus || 'unknown'}\n`);
      return { exitCode: 1, offboardingId: id, status: lastStatus, actions: actionsOf(detail) };
    }
    await new Promise((r2) => setTimeout(r2, opts.pollMs ?? 500));
  }

  const actions = actionsOf(detail);
  const status = String(detail.status);
  write(`\nOffboarding ${id}: ${status}\n`);
  if (typeof detail.timeToRevokeMs === 'number') write(`Time to revoke: ${detail.timeToRevokeMs} ms\n`);
  const revoked = actions.filter((a) => a.outcome === 'revoked' && a.at);
  if (revoked.length > 0) {
    // The inventory lets the first pass revoke what is known before any vendor listing.
    const first = Math.min(...revoked.map((a) => Date.parse(a.at!)));
    const known = revoked.filter((a) => !a.pass).length;
    write(
      `First revocation: ${Math.max(0, first - sentAt)} ms after the webhook; ${known} of ${revoked.length} revoked in the first pass (known), ${revoked.length - known} found by the verification\n`,
    );
  }
  if (actions.length > 0) {
    write(`\n${actionTables(actions)}\n`);
  } else {
    write('No grants were found for this address at any configured vendor.\n');
  }
  const failed = actions.filter((a) => a.outcome === 'failed').length;
  if (status === 'quarantined') {
    write(
      `\nQuarantined by the blast-radius guard: release it with \`npx leaver release ${id}\` (POST /v1/offboardings/${id}/release).\n`,
    );
  }
  if (failed > 0) {
    write(
      `\n${failed} action(s) failed; the retry sweep takes them up again (follow with \`npx leaver status ${id}\`).\n`,
    );
  }
  const exitCode = status === 'completed' && failed === 0 ? 0 : 1;
  return { exitCode, offboardingId: id, status, actions };
}

async function main(): Promise<void> {
  const email = process.argv.slice(2).find((a) => !a.startsWith('-'));
  if (!email?.includes('@')) {
    process.stderr.write('usage: npm run demo -- <email>   (e.g. npm run demo -- dana.leaver@example.com)\n');
    process.exit(2);
  }
  try {
    const result = await runDemo({
      email,
      ...(process.env.LEAVER_URL ? { baseUrl: process.env.LEAVER_URL } : {}),
    });
    process.exit(result.exitCode);
  } catch (e) {
    const message = describeConfigError(e) ?? (e as Error)?.message ?? String(e);
    process.stderr.write(`demo: ${message}\n`);
    process.exit(2);
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) void main();
