/**
 * A pipeline thread (see pipeline-pool.ts): loads the job from its module, then runs each chunk of
 * records it is sent through the pipeline and the job's output mapping, replying with what each
 * record became and the chunk's per-step counts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadStreamJobs, type StatelessJobDefinition } from './jobs.ts';
import type { ChunkReply, ChunkRequest, PipelineSource, ThreadOutcome } from './pipeline-pool.ts';
import type { StepCounts } from './pipeline.ts';

const port = parentPort!;
const source = workerData as PipelineSource;

try {
  const { jobs } = await loadStreamJobs(source.module);
  const job = jobs.find((j) => j.name === source.job);
  if (job?.kind !== 'stateless') throw new Error(`${source.module} has no stateless job named ${source.job}`);
  const run = runner(job);
  port.on('message', (request: ChunkRequest) => {
    let reply: ChunkReply;
    try {
      reply = run(request);
    } catch (error) {
      reply = { id: request.id, failure: (error as Error).stack ?? String(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ failure: (error as Error).message });
}

function runner(job: StatelessJobDefinition<unknown>): (request: ChunkRequest) => ChunkReply {
  const output = job.output;
  return (request) => {
    const steps = new Map<string, StepCounts>();
    const outcomes = new Array<ThreadOutcome>(request.values.length);
    for (let i = 0; i < request.values.length; i++) {
      const raw = request.values[i]!;
      const ctx = request.contexts[i]!;
      const value = raw === null ? null : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const outcome = job.pipeline.run(value, ctx, steps);
      if (outcome.kind === 'filtered') outcomes[i] = { kind: 'filtered' };
      else if (outcome.kind === 'dead-letter') {
        const code = (outcome.error as { code?: unknown }).code;
        outcomes[i] = { kind: 'dead-letter', step: outcome.step, error: { message: outcome.error.message, ...(outcome.error.stack !== undefined && { stack: outcome.error.stack }), ...(typeof code === 'string' && { code }) } };
      } else if ('table' in output) {
        outcomes[i] = { kind: 'out', rows: outcome.values.map((v) => output.row(v, ctx)) };
      } else {
        outcomes[i] = { kind: 'out', topic: outcome.values.map((v) => ({ key: output.key?.(v) ?? null, json: JSON.stringify(v) })) };
      }
    }
    return { id: request.id, outcomes, steps: [...steps] };
  };
}
