import { openPostgresRunStore } from '../../src/metadata/postgres/postgres-run-store.ts';
import { createOrchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { createGraphileExecutor } from '../../src/orchestrator/postgres/graphile-executor.ts';
import { describeExecutorContract } from './executor-contract.ts';
import { freshSchema } from './support.ts';

describeExecutorContract('graphile-worker (PostgreSQL)', async ({ graphs, leaseMs, onEvent }) => {
  const db = freshSchema('orch_contract');
  const store = await openPostgresRunStore({ url: db.url, schema: db.schema });
  const executor = createGraphileExecutor({ connectionString: db.url, schema: db.queueSchema, concurrency: 4, pollIntervalMs: 100 });
  const orchestrator = createOrchestrator({ graphs, store, executor, ...(leaseMs === undefined ? {} : { leaseMs }), ...(onEvent ? { onEvent } : {}) });
  return {
    orchestrator,
    async close() {
      await orchestrator.stop();
      await store.close();
      await db.drop();
    },
  };
});
