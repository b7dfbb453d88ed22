#!/usr/bin/env node
// The `leaver` command: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

// The AWS SDK's Node 20 support notice (SigV4 signing loads the SDK) would mix into scripts' output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runCli } = await import('./main.ts');
await runCli(process.argv.slice(2));
