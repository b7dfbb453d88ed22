/**
 * The vendor sandbox in its own process (so its CPU is not charged to Leaver), empty, on a free
 * port. Prints `{"url": ...}` on stdout once listening; the parent drives it through `/_control`.
 */
import { startSandbox } from '../../sandbox/index.ts';

// SANDBOX_HOST=0.0.0.0 lets the parent reach each vendor on its own loopback address (its own
// origin, so its own keep-alive pool), as the real vendors are separate hosts.
const sb = await startSandbox({
  seed: 'empty',
  host: process.env.SANDBOX_HOST ?? '127.0.0.1',
  maxLogEntries: Number(process.env.SANDBOX_MAX_LOG ?? 2_000_000),
});
process.stdout.write(`${JSON.stringify({ url: sb.url })}\n`);
const stop = () => {
  void sb.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
