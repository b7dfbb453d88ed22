/**
 * The vendor sandbox in its own process (so its CPU is not charged to Leaver), empty, on a free
 * port. Prints `{"url": ...}` on stdout once listening; the parent drives it through `/_control`.
 */
import { startSandbox } from '../../sandbox/index.ts';

const sb = await startSandbox({ seed: 'empty', maxLogEntries: Number(process.env.SANDBOX_MAX_LOG ?? 2_000_000) });
process.stdout.write(`${JSON.stringify({ url: sb.url })}\n`);
const stop = () => {
  void sb.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
