/** dynalite (in-memory DynamoDB) in its own process; prints `{"url": ...}` once listening. */
import { startDynalite } from '../../local/adapters/dynalite-server.ts';

const d = await startDynalite({ port: 0 });
process.stdout.write(`${JSON.stringify({ url: d.endpoint })}\n`);
const stop = () => {
  void d.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
