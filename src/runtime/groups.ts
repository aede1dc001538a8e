/** Which consumer groups a pipeline's parts read as: what `tributary lag` lists and `dev` drains. */
import type { DefinedPipeline } from './pipeline.ts';

/**
 * The consumer groups the pipelines' stream jobs read as. (The archiver keeps its positions in the
 * lake's catalog, not in a group.)
 */
export function pipelineGroups(pipelines: readonly DefinedPipeline[]): Array<{ group: string; reader: string }> {
  const groups: Array<{ group: string; reader: string }> = [];
  for (const pipeline of pipelines) {
    for (const job of pipeline.streamJobs) {
      groups.push({ group: `job.${job.name}`, reader: job.name });
      if (job.kind === 'windowed') groups.push({ group: `job.${job.name}.windows`, reader: job.name });
    }
  }
  return groups;
}
