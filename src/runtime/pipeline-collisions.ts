/**
 * Pipelines loaded together (`tributary dev examples/` loads every example in one process) share one
 * log, one state store, one lake and one server, so the names that address those must not collide
 * between them: a stream job's name is its consumer group, a source's its state namespace, a table's
 * and a view's what `tributary query` answers, a batch job's its run history, a batch output its lake
 * dataset, a service's its status line. Two pipelines naming the same one would silently share it;
 * this check fails the load instead, naming both. Topics may be shared: several pipelines may read one.
 */
import { TributaryError } from '../errors.ts';
import type { DefinedPipeline } from './pipeline.ts';

interface Named {
  pipeline: string;
  module: string;
}

function namesOf(pipeline: DefinedPipeline): Array<[kind: string, name: string]> {
  const tables = pipeline.streamJobs.flatMap((job) => (job.kind === 'windowed' ? [job.table.name] : 'table' in job.output ? [job.output.table.name] : []));
  return [
    ...pipeline.streamJobs.map((j): [string, string] => ['stream job', j.name]),
    ...pipeline.sources.map((s): [string, string] => ['source', s.name]),
    ...pipeline.batchJobs.map((b): [string, string] => ['batch job', b.job.name]),
    ...pipeline.batchJobs.map((b): [string, string] => ['batch output', `${b.job.output.zone}/${b.job.output.dataset}`]),
    ...pipeline.services.map((s): [string, string] => ['service', s.name]),
    // A view and a stream job's table are both answered by name: one namespace.
    ...[...new Set([...pipeline.views.map((v) => v.name), ...tables])].map((name): [string, string] => ['view or table', name]),
  ];
}

/** PIPELINE_INVALID naming every name two of `loaded` both use. */
export function checkCollisions(loaded: ReadonlyArray<{ pipeline: DefinedPipeline; module: string }>): void {
  const seen = new Map<string, Named>();
  const problems: string[] = [];
  for (const { pipeline, module } of loaded) {
    for (const [kind, name] of namesOf(pipeline)) {
      const key = `${kind}\u0000${name}`;
      const first = seen.get(key);
      if (first && first.pipeline !== pipeline.name) problems.push(`${kind} "${name}" is in pipeline "${first.pipeline}" (${first.module}) and in "${pipeline.name}" (${module})`);
      else if (!first) seen.set(key, { pipeline: pipeline.name, module });
    }
  }
  if (problems.length > 0) throw new TributaryError('PIPELINE_INVALID', `pipelines loaded together must not share names: ${problems.join('; ')}; rename one of each`);
}
