/**
 * `npm run sandbox`: the vendor sandbox standalone with the demo seed, on PORT (default 4010).
 * Prints each vendor's base URL and the demo credentials (sandbox-only, fake values).
 */

import { ATLAS_DEMO, CLOUD_MANAGER_DEMO, DEMO_LEAVER, DEMO_STAYER } from './demo.ts';
import { startSandbox } from './index.ts';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT?.trim() || 4010);

/** Start-up problems end the process with one line, never a stack trace. */
function cannotStart(reason: string): never {
  process.stderr.write(`Sandbox cannot start: ${reason}\n`);
  process.exit(1);
}

if (!Number.isInteger(port) || port < 0 || port > 65535) cannotStart('PORT must be a port number (0-65535)');
const sb = await startSandbox({ port, host, seed: 'demo' }).catch((e: NodeJS.ErrnoException) =>
  e?.code === 'EADDRINUSE'
    ? // `npm start` embeds this same sandbox on 4010, the usual reason the port is taken.
      cannotStart(
        `port ${port} is already in use (is \`npm start\` running? It includes the sandbox; or set PORT)`,
      )
    : cannotStart(e?.message ?? String(e)),
);
const u = sb.urls;

const lines = [
  `Leaver vendor sandbox listening on ${sb.url} (demo data)`,
  '',
  'iTwin (Bentley Access Control v2)',
  `  access control  ${u.itwin.accessControl}`,
  `  IMS token       ${u.itwin.token}`,
  `  iTwins list     ${u.itwin.itwins}`,
  '  client          service-leaver-demo / itwin-demo-secret-0001 (scope itwin-platform)',
  '',
  'MongoDB Atlas Admin API v2',
  `  base            ${u.atlas.base}   (paths /api/atlas/v2/...)`,
  `  token           ${u.atlas.token}`,
  `  service account ${ATLAS_DEMO.clientId} / ${ATLAS_DEMO.clientSecret}`,
  `  API key         ${ATLAS_DEMO.publicKey} / ${ATLAS_DEMO.privateKey} (HTTP Digest)`,
  `  org ${ATLAS_DEMO.orgId}  project ${ATLAS_DEMO.projectId}  team ${ATLAS_DEMO.teamId}`,
  '',
  'MongoDB Cloud Manager Public API v1.0',
  `  base            ${u.cloudmanager.base}`,
  `  API key         ${CLOUD_MANAGER_DEMO.publicKey} / ${CLOUD_MANAGER_DEMO.privateKey} (HTTP Digest)`,
  `  org ${CLOUD_MANAGER_DEMO.orgId}  project ${CLOUD_MANAGER_DEMO.projectId}  team ${CLOUD_MANAGER_DEMO.teamId}`,
  '',
  `Demo leaver ${DEMO_LEAVER}; colleague who stays ${DEMO_STAYER}.`,
  `Control plane ${u.control} (e.g. GET ${u.control}/state, GET ${u.control}/requests). Ctrl-C stops.`,
];
process.stdout.write(`${lines.join('\n')}\n`);

const stop = () => {
  sb.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
