/** graphile-worker alone, the fan-out case's peer: no-op jobs, `node bench/orchestrator-peer-worker.ts <url> <queueSchema> <concurrency> <localQueue>`; prints `done` per 1000 jobs. */
import { Logger, run } from 'graphile-worker';

const [url, schema, concurrency, localQueue] = process.argv.slice(2) as [string, string, string, string];
let done = 0;
const runner = await run({
  connectionString: url,
  schema,
  concurrency: Number(concurrency),
  noHandleSignals: true,
  pollInterval: 100,
  logger: new Logger(() => () => undefined),
  taskList: { noop: () => void (++done % 1000 === 0 && process.stdout.write(`done ${done}\n`)) },
  preset: { worker: { localQueue: { size: Number(localQueue) }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => void runner.stop().then(() => process.exit(0)));
