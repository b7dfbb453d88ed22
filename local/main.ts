/**
 * The local runtime (`npm start`): one process on 127.0.0.1 serving the HR webhooks and the
 * management API, with the worker and the schedules in process. It reuses the Lambda handlers and
 * the adapters; only the plumbing differs:
 *
 *   DynamoDB   dynalite in process (in memory; LEAVER_DATA_DIR keeps it on disk)
 *   SQS        MemoryJobQueue feeding the worker handler in SQS-shaped batches
 *   EventBridge  an in-process scheduler for the due sweep, reconciliation and the retry sweep
 *   Secrets    a JSON file (LEAVER_SECRETS_FILE, default local/secrets.json)
 *   SNS        the log (plus a Slack-compatible webhook when configured)
 *   KMS + S3   audit digests signed with a key pair made on first start, kept with the digests in
 *              LEAVER_DATA_DIR/audit (audit-signing-key.pem, digests/); in memory without it
 *   vendors    the sandbox, seeded with demo data, on SANDBOX_PORT (default 4010);
 *              LEAVER_SANDBOX=off runs against the vendors the configuration names
 *
 * Environment: PORT (3000), LEAVER_CONFIG (local/demo-config.json), LEAVER_SECRETS_FILE,
 * SANDBOX_PORT, LEAVER_SANDBOX, LEAVER_DATA_DIR, POWERTOOLS_LOG_LEVEL.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  ScheduledEvent,
  SQSEvent,
} from 'aws-lambda';
import {
  DynamoAuditLog,
  DynamoDigestState,
  DynamoInventoryStore,
  DynamoLockStore,
  DynamoOffboardingStore,
  DynamoRateBudget,
  FolderDigestArchive,
  KeyPairDigestSigner,
  LogNotifier,
  MemoryDigestArchive,
  systemClock,
  UlidIds,
} from '../lambdas/adapters/index.ts';
import { createConnectors } from '../lambdas/connectors/index.ts';
import { type LeaverConfig, parseConfig } from '../lambdas/core/config.ts';
import { LeaverError } from '../lambdas/core/errors.ts';
import { leaseHeld } from '../lambdas/core/lifecycle.ts';
import { recoverAll } from '../lambdas/core/recovery.ts';
import { handler as apiHandler } from '../lambdas/handlers/api.ts';
import { describeConfigError, parseConfigText, readConfigSource } from '../lambdas/handlers/config-loader.ts';
import { handler as digestHandler } from '../lambdas/handlers/digest.ts';
import { handler as dueSweepHandler } from '../lambdas/handlers/due-sweep.ts';
import { handler as intakeHandler } from '../lambdas/handlers/intake.ts';
import { handler as inventorySyncHandler } from '../lambdas/handlers/inventory-sync.ts';
import { localContext } from '../lambdas/handlers/middleware.ts';
import { coreLog, logger } from '../lambdas/handlers/observability.ts';
import { handler as reconcileHandler } from '../lambdas/handlers/reconcile.ts';
import { handler as retrySweepHandler } from '../lambdas/handlers/retry-sweep.ts';
import { type HandlerDeps, setDeps, sharedListings } from '../lambdas/handlers/wiring.ts';
import { handler as workerHandler } from '../lambdas/handlers/worker.ts';
import { type Sandbox, type SandboxSeed, startSandbox } from '../sandbox/index.ts';
import { startDynalite } from './adapters/dynalite-server.ts';
import { FileSecretStore } from './adapters/file-secret-store.ts';
import { MemoryJobQueue } from './adapters/memory-job-queue.ts';
import { createTables } from './adapters/table-setup.ts';
import { apiGatewayRoute } from './api-gateway-event.ts';
import { consoleFiles } from './console-files.ts';
import { BodyTooLargeError, readBody, sendProblem, sendResult, toApiGatewayEvent } from './http-bridge.ts';
import { type Scheduler, startScheduler } from './scheduler.ts';
import { gateStorage } from './storage-gate.ts';
import { createBatchingWorker } from './worker-pump.ts';

export const DEFAULT_PORT = 3000;
export const DEFAULT_SANDBOX_PORT = 4010;
export const DEFAULT_SECRETS_FILE = 'local/secrets.json';
/** The sandbox origin the demo configuration names; rewritten when the sandbox runs elsewhere. */
export const DEFAULT_SANDBOX_ORIGIN = `http://127.0.0.1:${DEFAULT_SANDBOX_PORT}`;
export const TABLES = {
  offboardingsTable: 'leaver-offboardings',
  auditTable: 'leaver-audit',
  inventoryTable: 'leaver-inventory',
};
/** Time the worker gets per batch, as a Lambda timeout would give it. */
export const WORKER_BUDGET_MS = 5 * 60_000;
const SCHEDULE_BUDGET_MS = 15 * 60_000;

export interface StartLocalOptions {
  /** HTTP port; 0 picks a free one. Default PORT or 3000. */
  port?: number;
  host?: string;
  /** Start the embedded sandbox (default: unless LEAVER_SANDBOX=off). */
  sandbox?: boolean;
  /** Sandbox port; 0 picks a free one. Default SANDBOX_PORT or 4010. */
  sandboxPort?: number;
  sandboxSeed?: 'demo' | 'empty' | SandboxSeed;
  /** Configuration file (default LEAVER_CONFIG or local/demo-config.json), or the document itself. */
  configPath?: string;
  config?: unknown;
  /** Default LEAVER_SECRETS_FILE or local/secrets.json. */
  secretsFile?: string;
  /** Keep DynamoDB data on disk in this directory (default LEAVER_DATA_DIR; in memory without). */
  dataDir?: string;
  /** Run the schedules on their timers (default true). Tests drive them with `runSchedule`. */
  schedules?: boolean;
  /** Redelivery backoff of the in-process queue (default 1 s, doubling). */
  retryBaseMs?: number;
  /** Print the start-up banner (default true when run directly). */
  banner?: boolean;
  /** The built web console served at `/` (default console/dist, built by `npm run build`). */
  consoleDir?: string;
  /** What the console's console-config.json says (default: sign in with the local API token). */
  consoleConfig?: Record<string, unknown>;
}

export interface LocalRuntime {
  url: string;
  port: number;
  config: LeaverConfig;
  deps: HandlerDeps;
  queue: MemoryJobQueue;
  sandbox?: Sandbox;
  /** Runs a schedule now and waits for it: `due-sweep`, `reconcile`, `retry-sweep`, `digest` or `inventory-sync`. */
  runSchedule(name: ScheduleName): Promise<void>;
  /** Resolves when the queue is idle (nothing waiting, delayed or running). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export type ScheduleName = 'due-sweep' | 'reconcile' | 'retry-sweep' | 'digest' | 'inventory-sync';

/** How often the local scheduler looks for tenants whose inventory is due (each is synced every `inventory.syncMinutes`). */
const INVENTORY_TICK_MS = 60_000;

/** Names the setting to change when a port is taken. */
async function listening<T>(what: string, port: number, hint: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`${what} port ${port} is already in use (${hint})`);
    }
    throw e;
  }
}

const envInt = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (0-65535)`);
  return n;
};

/** Reads and validates the configuration, pointing the demo's sandbox URLs at the running sandbox. */
function loadLocalConfig(opts: StartLocalOptions, sandboxUrl: string | undefined): LeaverConfig {
  const rewrite = (text: string) =>
    sandboxUrl && sandboxUrl !== DEFAULT_SANDBOX_ORIGIN
      ? text.split(DEFAULT_SANDBOX_ORIGIN).join(sandboxUrl)
      : text;
  if (opts.config !== undefined) {
    return parseConfig(JSON.parse(rewrite(JSON.stringify(opts.config))));
  }
  const source = readConfigSource(opts.configPath ? { LEAVER_CONFIG: opts.configPath } : process.env);
  return parseConfigText({ ...source, text: rewrite(source.text) });
}

function routeRequest(
  req: IncomingMessage,
  body: Buffer,
): { kind: 'intake' | 'api'; event: APIGatewayProxyEventV2 } | undefined {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  const route = apiGatewayRoute(req.method ?? 'GET', path);
  if (!route) return undefined;
  const { kind, ...key } = route;
  return { kind, event: toApiGatewayEvent(req, body, key) };
}

export async function startLocal(opts: StartLocalOptions = {}): Promise<LocalRuntime> {
  const env = process.env;
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? envInt(env.PORT, DEFAULT_PORT, 'PORT');
  const withSandbox = opts.sandbox ?? env.LEAVER_SANDBOX?.toLowerCase() !== 'off';
  const secretsFile = resolve(opts.secretsFile ?? env.LEAVER_SECRETS_FILE ?? DEFAULT_SECRETS_FILE);
  const dataDir = opts.dataDir ?? (env.LEAVER_DATA_DIR?.trim() || undefined);
  const log = coreLog();
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    closers.length = 0;
  };

  try {
    let sandbox: Sandbox | undefined;
    if (withSandbox) {
      const sandboxPort = opts.sandboxPort ?? envInt(env.SANDBOX_PORT, DEFAULT_SANDBOX_PORT, 'SANDBOX_PORT');
      sandbox = await listening('the sandbox', sandboxPort, 'set SANDBOX_PORT, or LEAVER_SANDBOX=off', () =>
        startSandbox({ port: sandboxPort, host: '127.0.0.1', seed: opts.sandboxSeed ?? 'demo' }),
      );
      closers.push(() => sandbox!.close());
    }
    const config = loadLocalConfig(opts, sandbox?.url);
    if (!existsSync(secretsFile)) {
      throw new Error(`secrets file ${secretsFile} not found (set LEAVER_SECRETS_FILE)`);
    }

    const dynalite = await startDynalite({ host: '127.0.0.1', ...(dataDir ? { path: dataDir } : {}) });
    closers.push(() => dynalite.close());
    const dynamo = new DynamoDBClient({
      region: 'local',
      endpoint: dynalite.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    closers.push(async () => dynamo.destroy());
    // Closed after everything else that uses the store, right before the client and the database.
    const storage = gateStorage(dynamo);
    closers.push(() => storage.close());
    await createTables(dynamo, TABLES);

    const secrets = new FileSecretStore({ path: secretsFile });
    // This process is the only one on its storage (LevelDB locks the directory): a lease anyone
    // else holds was its predecessor's, which died with it.
    const leaseHolder = { id: `local-${randomUUID()}`, exclusive: true };
    // The signing key and the digests, beside the data (in memory when the data is).
    const auditDir = dataDir ? join(dataDir, 'audit') : undefined;
    const onMessage = createBatchingWorker({
      batchSize: config.worker.batchSize,
      invoke: (event: SQSEvent) => workerHandler(event, localContext('leaver-worker', WORKER_BUDGET_MS)),
      busyFor: async (id) => {
        const off = await deps.store.get(id);
        const now = deps.clock.now();
        if (off?.status !== 'running' || !leaseHeld(off, now, leaseHolder)) return undefined;
        return Date.parse(off.leaseUntil!) - now.getTime();
      },
    });
    closers.push(async () => setDeps(undefined));
    const queue = new MemoryJobQueue({
      onMessage,
      concurrency: config.worker.batchSize * 2,
      maxAttempts: 5,
      retryBaseMs: opts.retryBaseMs ?? 1000,
      onDeadLetter: (m) =>
        log.error('offboarding message moved to the dead-letter list', {
          offboardingId: m.offboardingId,
          attempts: m.attempt,
        }),
    });
    closers.push(() => queue.close());

    const deps: HandlerDeps = {
      config,
      store: new DynamoOffboardingStore({ client: dynamo, tableName: TABLES.offboardingsTable }),
      audit: new DynamoAuditLog({ client: dynamo, tableName: TABLES.auditTable, clock: systemClock }),
      queue,
      notifier: new LogNotifier({ log, slackWebhookUrl: config.notifications.slackWebhookUrl }),
      // The same shared rate budget as in AWS (in dynalite): the worker, the API's vendor calls,
      // reconciliation and the inventory sync together stay within each vendor's limit. The group
      // lease and its board live in the same dynalite table, so a second local runtime on the same
      // LEAVER_DATA_DIR, or a restart while a lease is held, still has one group writer.
      connectors: createConnectors({
        secrets,
        log,
        budget: new DynamoRateBudget({ client: dynamo, tableName: TABLES.offboardingsTable }),
        coordination: new DynamoLockStore({ client: dynamo, tableName: TABLES.offboardingsTable }),
      }),
      clock: systemClock,
      ids: new UlidIds(),
      log,
      secrets,
      inventory: new DynamoInventoryStore({ client: dynamo, tableName: TABLES.inventoryTable }),
      listings: sharedListings(config, systemClock),
      deadLetters: queue.deadLetterQueue,
      leaseHolder,
      anchor: {
        signer: KeyPairDigestSigner.open(auditDir),
        archive: auditDir ? new FolderDigestArchive(auditDir) : new MemoryDigestArchive(),
        state: new DynamoDigestState({ client: dynamo, tableName: TABLES.offboardingsTable }),
      },
    };
    setDeps(deps, 'local');

    // What a previous run left unfinished (LEAVER_DATA_DIR) goes back on the queue, found by a
    // scan of the table itself: a kill can leave an offboarding out of the status index.
    const recovered = await recoverAll(deps);
    if (recovered.enqueued > 0 || recovered.repaired > 0)
      log.info('resumed unfinished offboardings', { ...recovered });

    const scheduleEvent = (name: string): ScheduledEvent => ({
      version: '0',
      id: `local-${Date.now().toString(36)}`,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'local',
      resources: [`arn:aws:events:local:000000000000:rule/leaver-${name}`],
      detail: {},
    });
    const minutes = (m: number) => m * 60_000;
    const scheduler: Scheduler = startScheduler(
      opts.schedules === false
        ? []
        : [
            {
              name: 'due-sweep',
              everyMs: minutes(config.schedules.dueSweepMinutes),
              run: () =>
                dueSweepHandler(
                  scheduleEvent('due-sweep'),
                  localContext('leaver-due-sweep', SCHEDULE_BUDGET_MS),
                ),
            },
            {
              name: 'reconcile',
              everyMs: minutes(config.schedules.reconcileMinutes),
              run: () =>
                reconcileHandler(
                  scheduleEvent('reconcile'),
                  localContext('leaver-reconcile', SCHEDULE_BUDGET_MS),
                ),
            },
            {
              name: 'retry-sweep',
              everyMs: minutes(config.schedules.retryMinutes),
              run: () =>
                retrySweepHandler(
                  scheduleEvent('retry-sweep'),
                  localContext('leaver-retry-sweep', SCHEDULE_BUDGET_MS),
                ),
            },
            {
              name: 'digest',
              everyMs: minutes(config.schedules.digestMinutes),
              run: () =>
                digestHandler(scheduleEvent('digest'), localContext('leaver-digest', SCHEDULE_BUDGET_MS)),
            },
            {
              name: 'inventory-sync',
              everyMs: INVENTORY_TICK_MS,
              run: () =>
                inventorySyncHandler(
                  scheduleEvent('inventory-sync'),
                  localContext('leaver-inventory-sync', SCHEDULE_BUDGET_MS),
                ),
            },
          ],
      log,
    );
    closers.push(() => scheduler.stop());
    // The inventory is built at start (in the background), so the first offboarding finds it.
    if (opts.schedules !== false && config.inventory.enabled) void scheduler.runNow('inventory-sync');

    const webConsole = consoleFiles(opts.consoleDir, opts.consoleConfig);
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        if (webConsole.handle(req, res)) return;
        let body: Buffer;
        try {
          body = await readBody(req);
        } catch (e) {
          if (e instanceof BodyTooLargeError) return sendProblem(res, e);
          throw e;
        }
        const routed = routeRequest(req, body);
        if (!routed) return sendProblem(res, new LeaverError('not_found', 'No such route'));
        const fn = routed.kind === 'intake' ? intakeHandler : apiHandler;
        const result = (await fn(routed.event, localContext(`leaver-${routed.kind}`, 30_000))) as
          | APIGatewayProxyStructuredResultV2
          | string;
        sendResult(res, result);
      })().catch((e: unknown) => {
        logger.error('local server failed a request', { error: e as Error });
        if (!res.headersSent) sendProblem(res, e);
        else res.destroy();
      });
    });
    await listening(
      'the HTTP',
      port,
      'set PORT',
      () =>
        new Promise<void>((ok, fail) => {
          server.once('error', fail);
          server.listen(port, host, () => {
            server.off('error', fail);
            ok();
          });
        }),
    );
    closers.push(
      () =>
        new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        }),
    );
    const actualPort = (server.address() as AddressInfo).port;
    const url = `http://${host}:${actualPort}`;

    const runtime: LocalRuntime = {
      url,
      port: actualPort,
      config,
      deps,
      queue,
      ...(sandbox ? { sandbox } : {}),
      runSchedule: async (name) => {
        const event = scheduleEvent(name);
        const context = localContext(`leaver-${name}`, SCHEDULE_BUDGET_MS);
        if (name === 'due-sweep') await dueSweepHandler(event, context);
        else if (name === 'reconcile') await reconcileHandler(event, context);
        else if (name === 'digest') await digestHandler(event, context);
        else if (name === 'inventory-sync') await inventorySyncHandler(event, context);
        else await retrySweepHandler(event, context);
      },
      drain: () => queue.drain(),
      close: closeAll,
    };
    if (opts.banner) {
      // The demo secrets file is in the repository, so its token is no secret: the banner shows it
      // for the console's sign-in. A token of any other file is named, never printed.
      let demoToken: string | undefined;
      if (secretsFile === resolve(DEFAULT_SECRETS_FILE)) {
        demoToken = (await secrets.get<{ token?: string }>(config.api.localTokenSecretName)).token;
      }
      printBanner(runtime, secretsFile, dataDir, { built: webConsole.built, demoToken });
    }
    return runtime;
  } catch (e) {
    await closeAll();
    throw e;
  }
}

function printBanner(
  rt: LocalRuntime,
  secretsFile: string,
  dataDir: string | undefined,
  web: { built: boolean; demoToken?: string },
): void {
  const signIn = web.demoToken
    ? `sign in with the API token ${web.demoToken}`
    : `sign in with the token of "${rt.config.api.localTokenSecretName}" in ${secretsFile}`;
  const lines = [
    '',
    `Leaver local runtime listening on ${rt.url}`,
    `  HR webhooks    POST ${rt.url}/hooks/{${rt.config.sources
      .filter((s) => s.enabled)
      .map((s) => s.id)
      .join(',')}}`,
    `  Console        ${rt.url}/  (${web.built ? signIn : 'not built: run npm run build'})`,
    `  API            ${rt.url}/v1/... (bearer token: "${rt.config.api.localTokenSecretName}" in ${secretsFile})`,
    `  Storage        dynalite ${dataDir ? `on disk in ${dataDir}` : 'in memory (LEAVER_DATA_DIR keeps it on disk)'}`,
    `  Audit digests  every ${rt.config.schedules.digestMinutes} min, ${dataDir ? `in ${join(dataDir, 'audit', 'digests')}` : 'in memory'}; public key: npx leaver audit public-key`,
    `  Tenants        ${rt.config.tenants.map((t) => `${t.id} (${t.vendor})`).join(', ') || 'none'}`,
  ];
  if (rt.sandbox) {
    const u = rt.sandbox.urls;
    lines.push(
      `  Sandbox        ${rt.sandbox.url} (seeded with demo data)`,
      `    iTwin          ${u.itwin.accessControl}`,
      `    Atlas          ${u.atlas.base}`,
      `    Cloud Manager  ${u.cloudmanager.base}`,
      `    control plane  ${u.control}/state`,
    );
  } else {
    lines.push('  Sandbox        off (LEAVER_SANDBOX=off): the configured vendor URLs are used');
  }
  const token = `$(node -p "require('${secretsFile}')['${rt.config.api.localTokenSecretName}'].token")`;
  lines.push(
    '',
    'Try next (in another terminal):',
    '  npm run demo -- dana.leaver@example.com      offboard the demo leaver and watch every revocation',
    `  curl -s ${rt.url}/v1/health`,
    `  TOKEN=${token}`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${rt.url}/v1/offboardings/<id>`,
    `  LEAVER_URL=${rt.url} npx leaver list   the command-line client (npx leaver --help)`,
    '',
    'Stop with Ctrl+C.',
    '',
  );
  process.stdout.write(lines.join('\n'));
}

async function main(): Promise<void> {
  // The deployed functions run on nodejs22.x; a local try-out may run on Node 20, where the AWS SDK
  // prints a support notice at every start that says nothing about Leaver.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let runtime: LocalRuntime;
  try {
    runtime = await startLocal({ banner: true });
  } catch (e) {
    const configProblem = describeConfigError(e);
    process.stderr.write(
      configProblem
        ? `Leaver cannot start: ${configProblem}\n`
        : `Leaver cannot start: ${(e as Error)?.message ?? String(e)}\n`,
    );
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (waiting for running work)...\n`);
    runtime.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) void main();
