/** `task()` and `graph()`: plain values, checked when declared (ids, dependencies, cycles, schedule). */
import { TributaryError } from '../errors.ts';
import { retryOptionsSchema } from '../retry/retry-policy.ts';
import type { Graph, GraphOptions, Task, TaskOptions } from './orchestrator.ts';
import { checkSchedule } from './schedule.ts';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const invalid = (message: string) => new TributaryError('ORCHESTRATOR_GRAPH_INVALID', message);

export function task<Areas = Record<string, unknown>>(options: TaskOptions<Areas>): Task<Areas> {
  if (!ID.test(options.id)) throw invalid(`task id ${JSON.stringify(options.id)} must be 1-128 letters, digits, _ . : -`);
  if (typeof options.run !== 'function') throw invalid(`task ${options.id} has no run function`);
  if (options.retry !== undefined) {
    const parsed = retryOptionsSchema.safeParse(options.retry);
    if (!parsed.success) throw invalid(`task ${options.id}: retry: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
    throw invalid(`task ${options.id}: timeoutMs must be a positive integer`);
  }
  return Object.freeze({ ...options, kind: 'task' as const });
}

export function graph<Areas = Record<string, unknown>>(options: GraphOptions<Areas>): Graph<Areas> {
  const { id } = options;
  if (!ID.test(id)) throw invalid(`graph id ${JSON.stringify(id)} must be 1-128 letters, digits, _ . : -`);
  if (options.tasks.length === 0) throw invalid(`graph ${id} has no tasks`);
  const byId = new Map<string, Task<Areas>>();
  for (const t of options.tasks) {
    if (byId.has(t.id)) throw invalid(`graph ${id} has two tasks with id ${t.id}`);
    byId.set(t.id, t);
  }
  const upstream: Record<string, string[]> = {};
  for (const t of options.tasks) upstream[t.id] = [...new Set([...(t.after ?? []), ...(options.dependencies?.[t.id] ?? [])])];
  for (const name of Object.keys(options.dependencies ?? {})) {
    if (!byId.has(name)) throw invalid(`graph ${id}: dependencies name task ${name}, which the graph does not have`);
  }
  for (const [name, ups] of Object.entries(upstream)) {
    for (const up of ups) if (!byId.has(up)) throw invalid(`graph ${id}: task ${name} waits for ${up}, which the graph does not have`);
  }
  const order = topologicalOrder(id, upstream);
  const maxActiveRuns = options.maxActiveRuns ?? 16;
  if (!(Number.isInteger(maxActiveRuns) && maxActiveRuns >= 1)) throw invalid(`graph ${id}: maxActiveRuns must be a positive integer`);
  if (options.schedule) checkSchedule(id, options.schedule);
  return Object.freeze({
    ...options,
    kind: 'graph' as const,
    upstream: Object.freeze(upstream),
    order,
    maxActiveRuns,
    task(taskId: string): Task<Areas> {
      const t = byId.get(taskId);
      if (!t) throw new TributaryError('ORCHESTRATOR_GRAPH_INVALID', `graph ${id} has no task ${taskId}`);
      return t;
    },
  });
}

/** Kahn's algorithm; names the tasks of a cycle when there is one. */
function topologicalOrder(graphId: string, upstream: Record<string, string[]>): string[] {
  const remaining = new Map(Object.entries(upstream).map(([name, ups]) => [name, new Set(ups)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, ups]) => ups.size === 0).map(([name]) => name);
    if (ready.length === 0) throw invalid(`graph ${graphId} has a cycle among ${[...remaining.keys()].join(', ')}`);
    for (const name of ready) {
      remaining.delete(name);
      order.push(name);
    }
    for (const ups of remaining.values()) for (const name of ready) ups.delete(name);
  }
  return order;
}

export function findGraph<Areas>(graphs: readonly Graph<Areas>[], id: string): Graph<Areas> {
  const found = graphs.find((g) => g.id === id);
  if (!found) {
    const names = graphs.map((g) => g.id).join(', ') || 'none';
    throw new TributaryError('ORCHESTRATOR_GRAPH_NOT_FOUND', `no graph ${JSON.stringify(id)}; the loaded pipelines declare: ${names}`);
  }
  return found;
}
