/**
 * Prometheus metrics of the orchestrator in a process that runs it (`tributary dev`, `tributary
 * worker`), on the registry the process serves on /metrics.
 *
 * Two kinds:
 * - what this process did, counted from the orchestrator's events as they happen (sum them over the
 *   processes): attempts started and finished, runs finished, how long attempts waited to start and ran;
 * - what the run store holds, read at the scrape (every process sharing a store reports the same
 *   values: take `max` over them): runs queued and running, and the queue's depth.
 *
 * Metrics:
 * - `tributary_orchestrator_runs{graph,state}`: runs `queued` (waiting for a slot) or `running`;
 * - `tributary_orchestrator_queue_depth{graph}`: tasks queued and due, waiting for a worker;
 * - `tributary_orchestrator_runs_finished_total{graph,status}`: runs this process finished;
 * - `tributary_orchestrator_attempts_total{graph,status}`: attempts this process ran to an end;
 * - `tributary_orchestrator_task_wait_seconds{graph}`: from the moment an attempt could start (its
 *   run started, its upstream tasks finished, its backoff ended) until a worker started it;
 * - `tributary_orchestrator_task_duration_seconds{graph,status}`: how long attempts ran here.
 */
import type * as PromClient from 'prom-client';
import type { Gauge, Registry } from 'prom-client';
import type { RunStore } from '../metadata/run-store.ts';
import type { OrchestratorEvent } from '../orchestrator/orchestrator.ts';

export interface OrchestratorMetrics {
  /** Pass every event of the orchestrator. */
  readonly observe: (event: OrchestratorEvent) => void;
}

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Attempts started here whose end is awaited, keyed by run, task and attempt; bounded against leaks. */
const MAX_TRACKED = 10_000;

export async function registerOrchestratorMetrics(registry: Registry, store: RunStore, now: () => number = Date.now): Promise<OrchestratorMetrics> {
  const client: typeof PromClient = await import('prom-client');
  const registers = [registry];

  const runs = new client.Gauge({ name: 'tributary_orchestrator_runs', help: 'Runs queued (waiting for a slot) or running, from the run store.', labelNames: ['graph', 'state'] as const, registers });
  new client.Gauge({
    name: 'tributary_orchestrator_queue_depth',
    help: 'Tasks queued and due, waiting for a worker, from the run store.',
    labelNames: ['graph'] as const,
    registers,
    async collect(this: Gauge<'graph'>) {
      const activity = await store.activity(now()).catch(() => undefined);
      this.reset();
      runs.reset();
      if (!activity) return;
      for (const r of activity.runs) runs.set({ graph: r.graph, state: r.status }, r.count);
      for (const t of activity.dueTasks) this.set({ graph: t.graph }, t.count);
    },
  });
  const finishedRuns = new client.Counter({ name: 'tributary_orchestrator_runs_finished_total', help: 'Runs this process finished, by final status.', labelNames: ['graph', 'status'] as const, registers });
  const attempts = new client.Counter({ name: 'tributary_orchestrator_attempts_total', help: 'Task attempts this process ran to an end, by outcome.', labelNames: ['graph', 'status'] as const, registers });
  const waited = new client.Histogram({
    name: 'tributary_orchestrator_task_wait_seconds',
    help: 'Seconds from the moment an attempt could start until a worker of this process started it.',
    labelNames: ['graph'] as const,
    buckets: SECONDS,
    registers,
  });
  const duration = new client.Histogram({ name: 'tributary_orchestrator_task_duration_seconds', help: 'Seconds task attempts ran in this process.', labelNames: ['graph', 'status'] as const, buckets: SECONDS, registers });

  const started = new Map<string, number>();
  const keyOf = (ref: { runId: string; taskId: string; attempt: number }) => `${ref.runId}\u0000${ref.taskId}\u0000${ref.attempt}`;
  return {
    observe: (event) => {
      switch (event.type) {
        case 'orchestrator:attempt:started':
          waited.observe({ graph: event.graph }, event.waitedMs / 1000);
          if (started.size >= MAX_TRACKED) started.delete(started.keys().next().value!);
          started.set(keyOf(event.ref), now());
          break;
        case 'orchestrator:attempt:finished': {
          attempts.inc({ graph: event.graph, status: event.status });
          const key = keyOf(event.ref);
          const at = started.get(key);
          if (at === undefined) break;
          started.delete(key);
          duration.observe({ graph: event.graph, status: event.status }, Math.max(0, now() - at) / 1000);
          break;
        }
        case 'orchestrator:run:finished':
          finishedRuns.inc({ graph: event.graph, status: event.status });
          break;
        default:
          break;
      }
    },
  };
}
