/**
 * A pipeline thread (see pipeline-pool.ts): loads the job from its module, then runs each chunk of
 * records it is sent through the pipeline and the job's output mapping, replying with what each
 * record became and the chunk's per-step counts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadStreamJobs, type StatelessJobDefinition } from './jobs.ts';
import { DEAD, FILTERED, OUT, type ChunkReply, type ChunkRequest, type PipelineSource } from './pipeline-pool.ts';
import type { RecordContext, StepCounts } from './pipeline.ts';
import type { Row } from '../sinks/sink.ts';

const port = parentPort!;
const encoder = new TextEncoder();
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
    const transfer = [reply.kinds, reply.counts, reply.json, reply.ends].filter((a) => a !== undefined).map((a) => a.buffer as ArrayBuffer);
    port.postMessage(reply, transfer);
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ failure: (error as Error).message });
}

function runner(job: StatelessJobDefinition<unknown>): (request: ChunkRequest) => ChunkReply {
  const output = job.output;
  const toTable = 'table' in output;
  return (request) => {
    const n = request.ends.length;
    const steps = new Map<string, StepCounts>();
    const values = Buffer.from(request.values.buffer, request.values.byteOffset, request.values.byteLength);
    const kinds = new Uint8Array(n);
    const counts = new Uint16Array(n);
    const json: string[] = [];
    const keys: (string | null)[] = [];
    const rows: Row[][] = [];
    const dead: NonNullable<ChunkReply['dead']> = [];
    let start = 0;
    for (let i = 0; i < n; i++) {
      const end = request.ends[i]!;
      const value = end < 0 ? null : values.subarray(start, end);
      if (end >= 0) start = end;
      const ctx: RecordContext = { topic: request.topic, partition: request.partitions[i]!, offset: request.offsets[i]!, timestamp: request.timestamps[i]!, key: request.keys[i]! };
      const outcome = job.pipeline.run(value, ctx, steps);
      if (outcome.kind === 'filtered') kinds[i] = FILTERED;
      else if (outcome.kind === 'dead-letter') {
        kinds[i] = DEAD;
        const code = (outcome.error as { code?: unknown }).code;
        dead.push({ index: i, step: outcome.step, error: { message: outcome.error.message, ...(outcome.error.stack !== undefined && { stack: outcome.error.stack }), ...(typeof code === 'string' && { code }) } });
      } else {
        kinds[i] = OUT;
        if (toTable) rows.push(outcome.values.map((v) => output.row(v, ctx)));
        else {
          counts[i] = outcome.values.length;
          for (const v of outcome.values) {
            json.push(JSON.stringify(v));
            keys.push(output.key?.(v) ?? null);
          }
        }
      }
    }
    const reply: ChunkReply = { id: request.id, kinds, dead, steps: [...steps] };
    if (toTable) return { ...reply, rows };
    // One buffer for every output's JSON, with where each ends.
    const ends = new Int32Array(json.length);
    // A buffer of its own (not a slice of Node's pool), so it can be moved to the job's thread.
    const bytes = encoder.encode(json.join(''));
    let at = 0;
    for (let j = 0; j < json.length; j++) {
      at += Buffer.byteLength(json[j]!);
      ends[j] = at;
    }
    return { ...reply, counts, json: bytes, ends, keys };
  };
}
