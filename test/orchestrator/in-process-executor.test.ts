import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedRunStore } from '../../src/metadata/embedded/embedded-run-store.ts';
import { createOrchestrator } from '../../src/orchestrator/create-orchestrator.ts';
import { createInProcessExecutor } from '../../src/orchestrator/in-process/in-process-executor.ts';
import { describeExecutorContract } from './executor-contract.ts';

describeExecutorContract('in-process', async ({ graphs, leaseMs, onEvent }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-orch-'));
  const store = await openEmbeddedRunStore({ file: path.join(dir, 'metadata.sqlite') });
  const executor = createInProcessExecutor();
  const orchestrator = createOrchestrator({ graphs, store, executor, ...(leaseMs === undefined ? {} : { leaseMs }), ...(onEvent ? { onEvent } : {}) });
  return {
    orchestrator,
    async close() {
      await orchestrator.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
