/**
 * `leaver`: the command line for the management API.
 *
 * Exit codes: 0 done; 1 failed actions, a broken or tampered audit, or an error answer of the server
 * (unknown id, conflict, auth, 5xx, unreachable); 2 bad usage (unknown command or flag, missing or
 * invalid argument, and a 400 from the server, which means the input was wrong); 3 audit intact but
 * not yet fully anchored by a signed digest (evidence verify, and audit verify --require-anchored).
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type AccessLike, accessText } from './access-format.ts';
import { evidenceVerify, runAuditCommand } from './audit-commands.ts';
import {
  ApiClient,
  ApiError,
  type Auth,
  DEFAULT_SECRETS_FILE,
  DEFAULT_URL,
  nextLink,
  readLocalToken,
  sigv4Auth,
  UsageError,
} from './client.ts';
import {
  counted,
  countsLine,
  type DeadLetterLike,
  deadLettersText,
  duration,
  type OffboardingLike,
  offboardingText,
  type PlanLike,
  planText,
  statusText,
  table,
} from './format.ts';
import { escapeControl, guardedOutput, jsonText, visible } from './visible.ts';

export const USAGE = `Usage: leaver <command> [options]

Commands:
  offboard <email> --reason <text> [--alias <email>]... [--at <date-time>] [--dry-run] [--wait] [--timeout <s>] [-q]
  preview <email> [--alias <email>]...
  status <id>
  list [--email <email>] [--status <status>] [--from <date>] [--to <date>] [--order asc|desc] [--limit <n>] [--all] [-q]
  cancel <id> [--reason <text>]
  retry <id> [--wait] [--timeout <s>]
  release <id> [--wait] [--timeout <s>]
  revoke --vendor <v> --tenant <id> --kind <kind> --id <key=value>... --reason <text> [--email <email>]
  audit export [--email <email>] [--from <date>] [--to <date>] [--format jsonl|csv|ocsf] [--out <file>] [--limit <n>]
  audit verify <id> [--public-key <pem file>] | --from <date> --to <date> | --all  [--require-anchored]
  audit public-key [--out <file>]
  evidence export <id> [--out <file>]
  evidence verify <file> [--public-key <pem file>]    offline: no credentials, no network
  kill-switch on|off --reason <text>
  kill-switch status
  access <email>     every grant the access inventory knows the person holds, and how fresh
  dlq list [--limit <n>]
  dlq redrive [--limit <n>]
  stats [--from <date>] [--to <date>]     counts by status; time-to-revoke p50/p95 by day against the target

Global options:
  --url <url>      API base URL (env LEAVER_URL; default ${DEFAULT_URL})
  --token <token>  bearer token (env LEAVER_TOKEN; default: "leaver/api" in ${DEFAULT_SECRETS_FILE})
  --sigv4          sign requests with AWS SigV4 (standard credential chain; service execute-api)
  --region <r>     region for --sigv4 (env AWS_REGION)
  --json           machine-readable JSON output
  -q, --quiet      offboard, list: print only offboarding ids
  -h, --help       this help

Exit codes: 0 done, 1 failed actions, tampered audit or server error, 2 bad usage,
3 audit intact but not yet fully anchored by a signed digest (evidence verify, --require-anchored).`;

export interface Io {
  /** One line of output (a newline is added). */
  out: (s: string) => void;
  /** Raw output, written as is (audit export pages). */
  write?: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  sigv4: { type: 'boolean' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const COMMAND_OPTIONS = {
  offboard: {
    reason: { type: 'string' },
    alias: { type: 'string', multiple: true },
    at: { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    interval: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  preview: { alias: { type: 'string', multiple: true } },
  status: {},
  list: {
    email: { type: 'string' },
    status: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    order: { type: 'string' },
    all: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  cancel: { reason: { type: 'string' } },
  retry: { wait: { type: 'boolean' }, timeout: { type: 'string' }, interval: { type: 'string' } },
  release: { wait: { type: 'boolean' }, timeout: { type: 'string' }, interval: { type: 'string' } },
  revoke: {
    vendor: { type: 'string' },
    tenant: { type: 'string' },
    kind: { type: 'string' },
    id: { type: 'string', multiple: true },
    email: { type: 'string' },
    reason: { type: 'string' },
  },
  'audit export': {
    email: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    limit: { type: 'string' },
  },
  'audit verify': {
    from: { type: 'string' },
    to: { type: 'string' },
    all: { type: 'boolean' },
    'public-key': { type: 'string' },
    'require-anchored': { type: 'boolean' },
  },
  'audit public-key': { out: { type: 'string' } },
  'evidence export': { out: { type: 'string' } },
  'evidence verify': { 'public-key': { type: 'string' } },
  'kill-switch': { reason: { type: 'string' } },
  access: {},
  'dlq list': { limit: { type: 'string' } },
  'dlq redrive': { limit: { type: 'string' } },
  stats: { from: { type: 'string' }, to: { type: 'string' } },
} as const satisfies Record<string, ParseArgsConfig['options']>;

type CommandName = keyof typeof COMMAND_OPTIONS;

interface Parsed {
  command: CommandName;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

const ALL_OPTIONS: ParseArgsConfig['options'] = Object.assign(
  {},
  GLOBAL_OPTIONS,
  ...Object.values(COMMAND_OPTIONS),
);

function parseError(e: unknown): UsageError {
  return new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ''));
}

function parse(argv: string[]): Parsed | 'help' {
  // The command is the first positional word (option values are not words); `audit` and `dlq` take a sub-command.
  let loose: { values: Record<string, unknown>; positionals: string[] };
  try {
    loose = parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: false });
  } catch (e) {
    throw parseError(e);
  }
  const words = loose.positionals;
  if (words.length === 0) {
    if (loose.values.help) return 'help';
    throw new UsageError('missing command');
  }
  const first = words[0]!;
  let command: string = first;
  if (first === 'audit') {
    const sub = words[1];
    if (sub !== 'export' && sub !== 'verify' && sub !== 'public-key') {
      throw new UsageError(
        sub ? `unknown audit command "${sub}"` : 'audit needs a sub-command: export, verify or public-key',
      );
    }
    command = `audit ${sub}`;
  }
  if (first === 'dlq') {
    const sub = words[1];
    if (sub !== 'list' && sub !== 'redrive') {
      throw new UsageError(sub ? `unknown dlq command "${sub}"` : 'dlq needs a sub-command: list or redrive');
    }
    command = `dlq ${sub}`;
  }
  if (first === 'evidence') {
    const sub = words[1];
    if (sub !== 'export' && sub !== 'verify') {
      throw new UsageError(
        sub ? `unknown evidence command "${sub}"` : 'evidence needs a sub-command: export or verify',
      );
    }
    command = `evidence ${sub}`;
  }
  if (!(command in COMMAND_OPTIONS)) {
    // An unknown option before the command (e.g. "--fo value") is the real mistake: name it.
    try {
      parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw parseError(e);
    }
    throw new UsageError(`unknown command "${first}"`);
  }
  const name = command as CommandName;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[name] },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw parseError(e);
  }
  if (parsed.values.help) return 'help';
  const positionals = parsed.positionals.slice(name.includes(' ') ? 2 : 1);
  return { command: name, values: parsed.values as Parsed['values'], positionals };
}

function str(v: Parsed['values'][string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function need(p: Parsed, key: string, what = `--${key}`): string {
  const v = str(p.values[key]);
  if (v === undefined || v.trim() === '') throw new UsageError(`${p.command}: ${what} is required`);
  return v;
}

function onePositional(p: Parsed, what: string): string {
  if (p.positionals.length === 0) throw new UsageError(`${p.command}: missing <${what}>`);
  if (p.positionals.length > 1)
    throw new UsageError(`${p.command}: unexpected argument "${p.positionals[1]}"`);
  return p.positionals[0]!;
}

function noPositionals(p: Parsed): void {
  if (p.positionals.length > 0)
    throw new UsageError(`${p.command}: unexpected argument "${p.positionals[0]}"`);
}

function intOption(p: Parsed, key: string): number | undefined {
  const v = str(p.values[key]);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${key} must be a positive integer`);
  return Number(v);
}

function secondsOption(p: Parsed, key: string, def: number): number {
  const v = str(p.values[key]);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${key} must be a positive number of seconds`);
  return n;
}

async function makeClient(p: Parsed, io: Io): Promise<ApiClient> {
  const url = str(p.values.url) || io.env.LEAVER_URL || DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: ${url}`);
  }
  let auth: Auth;
  if (p.values.sigv4) {
    const region = str(p.values.region) || io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('--sigv4 needs --region or AWS_REGION');
    auth = await sigv4Auth(region);
  } else {
    // Empty variables count as unset.
    const token =
      str(p.values.token) ||
      io.env.LEAVER_TOKEN ||
      readLocalToken(io.env.LEAVER_SECRETS_FILE || DEFAULT_SECRETS_FILE);
    auth = token ? { kind: 'bearer', token } : { kind: 'none' };
  }
  return new ApiClient(url, auth, io.fetch ?? fetch, { sleep: io.sleep });
}

const TERMINAL = new Set(['completed', 'completed_with_failures', 'cancelled']);

/** 1 when an offboarding ended with failed actions (or did not run), 0 otherwise. */
function offboardingExit(o: OffboardingLike): number {
  return o.status === 'completed_with_failures' || o.counts.failed > 0 ? 1 : 0;
}

async function run(p: Parsed, io: Io): Promise<number> {
  const asJson = p.values.json === true;
  // Offline by design: no client, no credentials, no network.
  if (p.command === 'evidence verify') return evidenceVerify({ ...p, asJson }, io);
  const quiet = p.values.quiet === true && !asJson;
  /** Prints an answer: JSON, ids only (quiet), or `human` of it with every control character escaped. */
  const print = <T>(value: T, human: (shown: T) => string) => {
    const v = value as { id?: unknown; items?: { id?: unknown }[] };
    if (quiet && typeof v.id === 'string') return io.out(escapeControl(v.id));
    if (quiet && v.items?.every((o) => typeof o.id === 'string')) {
      if (v.items.length) io.out(v.items.map((o) => escapeControl(String(o.id))).join('\n'));
      return;
    }
    io.out(asJson ? jsonText(value) : human(visible(value)));
  };
  const client = await makeClient(p, io);
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));

  /** Follows an offboarding until it ends (or is quarantined, or not due yet), with progress on stderr. */
  const waitForEnd = async (start: OffboardingLike, timeoutS: number, intervalS: number): Promise<number> => {
    let o = start;
    const until = Date.now() + timeoutS * 1000;
    let last = '';
    for (;;) {
      o = await client.json<OffboardingLike>('GET', `/v1/offboardings/${encodeURIComponent(o.id)}`);
      const progress = `  ${escapeControl(o.status)}: ${countsLine(o.counts)}`;
      if (!asJson && !quiet && progress !== last) io.err(progress);
      last = progress;
      if (TERMINAL.has(o.status) || o.status === 'quarantined') break;
      if (o.status === 'scheduled' && Date.parse(o.effectiveAt) > Date.now() + 60_000) {
        // Not due yet: nothing to wait for now.
        print(o, (o) => `Offboarding ${o.id} is scheduled for ${o.effectiveAt}.`);
        return 0;
      }
      if (Date.now() >= until) {
        io.err(`Timed out after ${timeoutS} s; the offboarding is still ${escapeControl(o.status)}.`);
        print(o, (o) => offboardingText(o));
        return 1;
      }
      await sleep(intervalS * 1000);
    }
    print(o, (o) => offboardingText(o));
    if (o.status === 'quarantined') {
      if (!asJson && !quiet)
        io.err(
          `Quarantined by the blast-radius guard. Release it with: npx leaver release ${escapeControl(o.id)}`,
        );
      return 1;
    }
    return offboardingExit(o);
  };

  switch (p.command) {
    case 'offboard': {
      const email = onePositional(p, 'email');
      const reason = need(p, 'reason');
      const aliases = (p.values.alias as string[] | undefined) ?? [];
      const body: Record<string, unknown> = { email, reason };
      if (aliases.length) body.aliases = aliases;
      if (p.values.at !== undefined) body.effectiveAt = need(p, 'at');
      if (p.values['dry-run']) {
        body.dryRun = true;
        const plan = await client.json<PlanLike>('POST', '/v1/offboardings', { body });
        print(plan, (plan) => planText(plan));
        return plan.failures.length > 0 ? 1 : 0;
      }
      // A key per command: a retried request (a throttled function, say) can never create two.
      const o = await client.json<OffboardingLike>('POST', '/v1/offboardings', {
        body,
        headers: { 'idempotency-key': `cli-${randomUUID()}` },
      });
      if (!p.values.wait) {
        print(
          o,
          (o) => `Offboarding ${o.id} accepted (${o.status}). Follow it with: npx leaver status ${o.id}`,
        );
        return 0;
      }
      if (!asJson && !quiet) {
        const shown = visible(o);
        io.err(`Offboarding ${shown.id} accepted (${shown.status}); waiting...`);
      }
      return waitForEnd(o, secondsOption(p, 'timeout', 300), secondsOption(p, 'interval', 1));
    }
    case 'access': {
      const email = onePositional(p, 'email');
      const a = await client.json<AccessLike>('GET', `/v1/access?email=${encodeURIComponent(email)}`);
      print(a, () => accessText(a));
      return 0;
    }
    case 'preview': {
      const email = onePositional(p, 'email');
      const aliases = (p.values.alias as string[] | undefined) ?? [];
      const plan = await client.json<PlanLike>('POST', '/v1/preview', {
        body: aliases.length ? { email, aliases } : { email },
      });
      print(plan, (plan) => planText(plan));
      return plan.failures.length > 0 ? 1 : 0;
    }
    case 'status': {
      const id = onePositional(p, 'id');
      const o = await client.json<OffboardingLike>('GET', `/v1/offboardings/${encodeURIComponent(id)}`);
      print(o, (o) => offboardingText(o));
      return offboardingExit(o);
    }
    case 'list': {
      noPositionals(p);
      const query = {
        email: str(p.values.email),
        status: str(p.values.status),
        from: str(p.values.from),
        to: str(p.values.to),
        order: str(p.values.order),
        limit: intOption(p, 'limit'),
      };
      const items: OffboardingLike[] = [];
      let link: string | undefined = '/v1/offboardings';
      let first = true;
      while (link) {
        const page: { items: OffboardingLike[]; next?: string } = await client.json('GET', link, {
          query: first ? query : undefined,
        });
        first = false;
        items.push(...page.items);
        link = p.values.all ? page.next : undefined;
        if (!p.values.all && page.next && !asJson && !quiet)
          io.err('More results: add --all (or use the cursor in --json).');
        if (!p.values.all && asJson) {
          io.out(jsonText(page));
          return 0;
        }
      }
      print({ items }, ({ items }) =>
        items.length === 0
          ? 'No offboardings.'
          : table(
              ['ID', 'EMAIL', 'STATUS', 'RECEIVED', 'REVOKED', 'FAILED', 'TIME-TO-REVOKE'],
              items.map((o) => [
                o.id,
                o.email,
                statusText(o),
                o.receivedAt,
                o.counts.revoked,
                o.counts.failed,
                duration(o.timeToRevokeMs),
              ]),
            ),
      );
      return 0;
    }
    case 'cancel':
    case 'retry':
    case 'release': {
      const id = onePositional(p, 'id');
      const reason = str(p.values.reason);
      const o = await client.json<OffboardingLike>(
        'POST',
        `/v1/offboardings/${encodeURIComponent(id)}/${p.command}`,
        reason ? { body: { reason } } : {},
      );
      if (p.command !== 'cancel' && p.values.wait) {
        if (!asJson && !quiet) {
          const shown = visible(o);
          io.err(`${p.command}: offboarding ${shown.id} is now ${shown.status}; waiting...`);
        }
        return waitForEnd(o, secondsOption(p, 'timeout', 300), secondsOption(p, 'interval', 1));
      }
      print(o, (o) => `${p.command}: offboarding ${o.id} is now ${o.status}`);
      return 0;
    }
    case 'revoke': {
      noPositionals(p);
      const ids: Record<string, string> = {};
      for (const pair of (p.values.id as string[] | undefined) ?? []) {
        const m = /^([A-Za-z]+)=(.+)$/.exec(pair);
        if (!m) throw new UsageError(`--id must be key=value (e.g. --id orgId=5f1a...), got "${pair}"`);
        ids[m[1]!] = m[2]!;
      }
      if (Object.keys(ids).length === 0)
        throw new UsageError('revoke: at least one --id key=value is required');
      const body: Record<string, unknown> = {
        vendor: need(p, 'vendor'),
        tenantId: need(p, 'tenant'),
        kind: need(p, 'kind'),
        ids,
        reason: need(p, 'reason'),
      };
      const email = str(p.values.email);
      if (email) body.email = email;
      const r = await client.json<{
        outcome: string;
        grantKey: string;
        errorCode?: string;
        skipReason?: string;
      }>('POST', '/v1/revocations', { body });
      print(
        r,
        (r) =>
          `${r.grantKey}: ${r.outcome}${r.errorCode ? ` (${r.errorCode})` : ''}${r.skipReason ? ` (${r.skipReason})` : ''}`,
      );
      return r.outcome === 'failed' ? 1 : 0;
    }
    case 'audit export': {
      noPositionals(p);
      const format = str(p.values.format) ?? 'jsonl';
      if (!['jsonl', 'csv', 'ocsf'].includes(format))
        throw new UsageError('--format must be jsonl, csv or ocsf');
      const email = str(p.values.email);
      const from = str(p.values.from);
      if (!email && !from) throw new UsageError('audit export: give --email or --from');
      const out = str(p.values.out);
      let link: string | undefined = '/v1/audit';
      let query: Record<string, string | number | undefined> | undefined = {
        email,
        from,
        to: str(p.values.to),
        format,
        limit: intOption(p, 'limit'),
      };
      // Each page is written as it arrives (an export of 100,000 records never sits in memory).
      if (out) writeFileSync(out, '');
      const write = (text: string) => {
        if (!text) return;
        if (out) appendFileSync(out, text);
        else (io.write ?? ((t: string) => io.out(t.replace(/\r?\n$/, ''))))(text);
      };
      let records = 0;
      let pages = 0;
      while (link) {
        const res = await client.request('GET', link, { query });
        query = undefined;
        write(res.text);
        records += Number(res.headers.get('x-record-count') ?? 0);
        pages++;
        link = nextLink(res.headers.get('link'));
        if (!asJson && out) io.err(`  page ${pages}: ${counted(records, 'record')}`);
      }
      if (out) {
        if (asJson) io.out(jsonText({ file: out, format, records, pages }));
        else io.out(`Exported ${counted(records, 'record')} (${counted(pages, 'page')}) to ${out}`);
      }
      return 0;
    }
    case 'audit verify':
    case 'audit public-key':
    case 'evidence export':
      return runAuditCommand({ ...p, asJson }, io, client);
    case 'kill-switch': {
      const action = onePositional(p, 'on|off|status');
      if (action === 'status') {
        const k = await client.json<KillSwitchView>('GET', '/v1/kill-switch');
        print(k, (k) => killSwitchText(k));
        return 0;
      }
      if (action !== 'on' && action !== 'off')
        throw new UsageError('kill-switch: expected on, off or status');
      const k = await client.json<KillSwitchView>('PUT', '/v1/kill-switch', {
        body: { enabled: action === 'on', reason: need(p, 'reason') },
      });
      print(k, (k) => killSwitchText(k));
      return k.resumed && k.resumed.notEnqueued > 0 ? 1 : 0;
    }
    case 'dlq list': {
      noPositionals(p);
      const r = await client.json<{ items: DeadLetterLike[]; more: boolean }>('GET', '/v1/dead-letters', {
        query: { limit: intOption(p, 'limit') },
      });
      print(r, (r) => deadLettersText(r.items, r.more));
      return 0;
    }
    case 'dlq redrive': {
      noPositionals(p);
      const limit = intOption(p, 'limit');
      const r = await client.json<{ moved: number; failed: number }>('POST', '/v1/dead-letters/redrive', {
        body: limit ? { limit } : {},
      });
      print(
        r,
        (r) =>
          `Moved ${r.moved} message(s) from the dead-letter queue back to the work queue` +
          (r.failed ? `; ${r.failed} could not be moved (run it again)` : ''),
      );
      return r.failed > 0 ? 1 : 0;
    }
    case 'stats': {
      noPositionals(p);
      const window = { from: str(p.values.from), to: str(p.values.to) };
      const counts = await client.json<CountsView>('GET', '/v1/stats/offboardings', { query: window });
      const ttr = await client.json<TimeToRevokeView>('GET', '/v1/stats/time-to-revoke', { query: window });
      print({ counts, timeToRevoke: ttr }, (shown) => statsText(shown.counts, shown.timeToRevoke));
      return 0;
    }
  }
}

interface CountsView {
  counts: Record<string, number>;
  total: number;
}

interface TimeToRevokeView {
  from: string;
  to: string;
  targetMs: number;
  measured: number;
  withinTarget: number;
  days: { day: string; vendor: string; count: number; p50Ms: number; p95Ms: number; overTarget: number }[];
  slowest: OffboardingLike[];
  truncated: boolean;
}

function statsText(c: CountsView, t: TimeToRevokeView): string {
  const lines = [
    `Offboardings: ${c.total} (${
      Object.entries(c.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ') || 'none'
    })`,
    `Time to revoke, ${t.from.slice(0, 10)} to ${t.to.slice(0, 10)}: ${t.withinTarget} of ${t.measured} within the ${duration(t.targetMs)} target${t.truncated ? ' (window truncated: the newest were read)' : ''}`,
  ];
  const days = t.days.filter((d) => d.vendor === 'all');
  if (days.length > 0) {
    lines.push(
      '',
      table(
        ['DAY', 'OFFBOARDINGS', 'P50', 'P95', 'OVER-TARGET'],
        days.map((d) => [d.day, d.count, duration(d.p50Ms), duration(d.p95Ms), d.overTarget]),
      ),
    );
  }
  if (t.slowest.length > 0) {
    lines.push(
      '',
      'Slowest:',
      table(
        ['ID', 'EMAIL', 'TIME-TO-REVOKE'],
        t.slowest.map((o) => [o.id, o.email, duration(o.timeToRevokeMs)]),
      ),
    );
  }
  return lines.join('\n');
}

interface KillSwitchView {
  enabled: boolean;
  configured: boolean;
  flag?: { enabled: boolean; reason?: string; by?: string; at?: string };
  resumed?: { resumed: number; notEnqueued: number };
}

function killSwitchText(k: KillSwitchView): string {
  const state = k.enabled ? 'ON: no revocation runs' : 'off';
  const why = k.configured
    ? ' (set in the configuration file)'
    : k.flag?.reason
      ? ` (${k.flag.reason}${k.flag.by ? `; by ${k.flag.by}` : ''}${k.flag.at ? ` at ${k.flag.at}` : ''})`
      : '';
  const resumed = k.resumed
    ? `\n${k.resumed.resumed} held offboarding(s) resumed${
        k.resumed.notEnqueued
          ? `; ${k.resumed.notEnqueued} could not be enqueued (the due sweep picks them up)`
          : ''
      }`
    : '';
  return `Kill switch ${state}${why}${resumed}`;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], rawIo: Io): Promise<number> {
  const io = guardedOutput(rawIo);
  let parsed: Parsed | 'help';
  try {
    parsed = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`leaver: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (parsed === 'help') {
    io.out(USAGE);
    return 0;
  }
  try {
    return await run(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`leaver: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ApiError) {
      const shown = visible({ code: e.code, detail: e.message, errors: e.errors });
      const details = shown.errors.map((x) => `  - ${x.path ? `${x.path}: ` : ''}${x.message}`).join('\n');
      if (parsed.values.json) {
        io.out(jsonText({ error: { status: e.status, code: e.code, detail: e.message, errors: e.errors } }));
      }
      io.err(`leaver: ${shown.code}: ${shown.detail}${details ? `\n${details}` : ''}`);
      // A 400 means the input was wrong: bad usage.
      return e.status === 400 ? 2 : 1;
    }
    io.err(`leaver: ${(e as Error).message}`);
    return 1;
  }
}

/** Runs the CLI in this process with its arguments and sets the exit code. */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await main(argv, {
      out: (s) => process.stdout.write(`${s}\n`),
      write: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(`${s}\n`),
      env: process.env,
    });
  } catch (e) {
    process.stderr.write(`leaver: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runCli();
}
