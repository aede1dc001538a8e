/** A worker process of the orchestrator benchmark: `node bench/orchestrator-worker.ts <url> <schema> <queueSchema> <concurrency> <localQueue>`. */
import { openPostgresRunStore } from '../src/metadata/postgres/postgres-run-store.ts';
import { createOrchestrator } from '../src/orchestrator/create-orchestrator.ts';
import { createGraphileExecutor } from '../src/orchestrator/postgres/graphile-executor.ts';
import { benchGraphs } from './orchestrator-graphs.ts';

const [url, schema, queueSchema, concurrency, localQueue] = process.argv.slice(2) as [string, string, string, string, string];
const store = await openPostgresRunStore({ url, schema, maxConnections: 6 });
const executor = createGraphileExecutor({ connectionString: url, schema: queueSchema, concurrency: Number(concurrency), localQueueSize: Number(localQueue), pollIntervalMs: 100 });
const orchestrator = createOrchestrator({ graphs: benchGraphs, store, executor });
await orchestrator.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void orchestrator.stop().then(() => store.close()).then(() => process.exit(0)));
