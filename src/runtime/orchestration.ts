/**
 * The orchestrator inside a process that runs pipelines (`tributary dev`, `tributary worker`): the
 * graphs of the loaded pipelines (part-graphs.ts) on the orchestrator the config names (the embedded
 * run store and the in-process executor; or PostgreSQL and the graphile-worker queue, shared by any
 * number of workers), its scheduler, and the executor taking attempts in this process.
 *
 * Lifecycle: `startOrchestration` opens the orchestrator, re-dispatches what an earlier process left
 * queued (embedded: the in-process queue did not survive it), starts the executor and the scheduler;
 * `close()` stops the scheduler (releasing leadership), waits for the attempts running here, and closes
 * the source components and the store. With several processes on PostgreSQL, one scheduler leads (an
 * advisory lock) and every process takes attempts.
 */
import type { Orchestrator } from '../orchestrator/create-orchestrator.ts';
import type { OrchestratorEvent } from '../orchestrator/orchestrator.ts';
import { createScheduler, type Scheduler } from '../orchestrator/scheduler.ts';
import type { DefinedPipeline, PipelineContext, TaskAreas } from './pipeline.ts';
import { partGraphs } from './part-graphs.ts';
import type { Runtime } from './runtime.ts';
import type { PartStatus } from './supervise.ts';

export interface OrchestrationOptions {
  /** Run the scheduler here (default true). The other settings override the config's `orchestrator` section. */
  schedule?: boolean;
  /** Attempts run at once in this process. */
  concurrency?: number;
  leaseMs?: number;
  sweepMs?: number;
  onEvent?: (event: OrchestratorEvent) => void;
  /** On close, how long attempts running here may go on before their signal is aborted (default 10 s). */
  stopGraceMs?: number;
}

export interface Orchestration {
  orchestrator: Orchestrator<TaskAreas>;
  scheduler: Scheduler | undefined;
  /** The sources' and scheduled batch jobs' live status. */
  parts: PartStatus[];
  /** What `GET /api/status` shows of it. */
  describe(): { backend: 'embedded' | 'postgres'; leading: boolean; graphs: number; worker: string };
  close(): Promise<void>;
}

export async function startOrchestration(runtime: Runtime, pipelines: readonly DefinedPipeline[], context: (pipeline: string) => PipelineContext, options: OrchestrationOptions = {}): Promise<Orchestration> {
  const { config, logger } = runtime;
  const made = partGraphs(runtime, pipelines, context);
  const leaseMs = options.leaseMs ?? config.orchestrator.leaseMs;
  const concurrency = options.concurrency ?? config.orchestrator.concurrency;
  const areas: TaskAreas = { config, cwd: runtime.cwd, lake: runtime.lake, state: runtime.state, metadata: runtime.metadata };
  const { openOrchestrator } = await import('../orchestrator/open-orchestrator.ts');
  let observe: ((event: OrchestratorEvent) => void) | undefined;
  const opened = await openOrchestrator(config, made.graphs, {
    cwd: runtime.cwd,
    areas,
    ...(concurrency === undefined ? {} : { concurrency }),
    leaseMs,
    redispatchAfterMs: leaseMs,
    onEvent: (event) => {
      observe?.(event);
      options.onEvent?.(event);
    },
    onLog: (line, ref) => {
      if (line.level === 'warn' || line.level === 'error') logger[line.level]({ run: ref.runId, task: ref.taskId, attempt: ref.attempt, ...line.fields }, line.message);
    },
  });
  const { orchestrator } = opened;
  if (runtime.has('metrics')) {
    const { registerOrchestratorMetrics } = await import('../metrics/orchestrator-metrics.ts');
    observe = (await registerOrchestratorMetrics(runtime.metrics.registry, orchestrator.store)).observe;
  }
  const sweepMs = options.sweepMs ?? config.orchestrator.sweepMs;
  let scheduler: Scheduler | undefined;
  try {
    if (config.metadata.backend === 'embedded') await orchestrator.sweep({ redispatchAll: true });
    await orchestrator.start();
    if (options.schedule !== false) {
      scheduler = createScheduler({
        orchestrator,
        leadership: opened.leadership,
        sweepMs,
        onError: (error) => logger.warn({ err: error }, 'orchestrator: a scheduler tick failed; the next one tries again'),
      });
      scheduler.start();
    }
  } catch (error) {
    await opened.close().catch(() => undefined);
    await made.close();
    throw error;
  }
  let closed = false;
  return {
    orchestrator,
    scheduler,
    parts: made.parts,
    describe: () => ({ backend: config.metadata.backend === 'postgres' ? 'postgres' : 'embedded', leading: scheduler?.leading ?? false, graphs: made.graphs.length, worker: orchestrator.workerId }),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await scheduler?.stop();
      } finally {
        // A poll or batch run still going after the grace is aborted; it runs again by its retry policy.
        await opened.close({ abortAfterMs: options.stopGraceMs ?? 10_000 });
        await made.close();
      }
    },
  };
}
