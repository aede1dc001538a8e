/** The graphs of the orchestrator benchmark, shared by the benchmark and its worker processes. */
import { graph, task } from '../src/orchestrator/define.ts';
import type { Graph } from '../src/orchestrator/orchestrator.ts';

export const FAN_OUT_WIDTH = 50;

export function chain(length: number): Graph {
  return graph({
    id: `chain-${length}`,
    tasks: Array.from({ length }, (_, i) => task({ id: `t${i}`, ...(i === 0 ? {} : { after: [`t${i - 1}`] }), run: () => ({ i }) })),
  });
}

/** One root and `FAN_OUT_WIDTH` leaves after it, no-op; many runs at once. */
export const fanOut = graph({
  id: 'fan-out',
  maxActiveRuns: 100_000,
  tasks: [task({ id: 'root', run: () => undefined }), ...Array.from({ length: FAN_OUT_WIDTH }, (_, i) => task({ id: `leaf${i}`, after: ['root'], run: () => undefined }))],
});

/** Single no-op tasks, as graphile-worker jobs are; and what the latency and backfill cases run. */
export const single = graph({ id: 'single', maxActiveRuns: 100_000, tasks: [task({ id: 'noop', run: () => undefined })] });

export const benchGraphs = [chain(40), fanOut, single];
