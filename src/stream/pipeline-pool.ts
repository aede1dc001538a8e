/**
 * Runs a stateless job's record-level work (parse, schema check, the pipeline's steps, and turning
 * each value into its output: JSON text and key for a topic, a row for a table) on worker threads,
 * so that a job uses more than one core while its thread keeps the log and the sink.
 *
 * Functions cannot cross threads, so each thread imports the job's pipeline module itself and takes
 * the job by name (the module must be importable on its own: `tributary worker` modules are). The
 * job's thread splits each poll into one chunk per worker thread and applies the results in the
 * chunks' order, so outputs and commits stay in offset order exactly as without threads.
 *
 * Records cross as one buffer each way (values in, JSON outputs back, with offsets), moved rather
 * than copied, so the cost of crossing does not grow with the number of records' objects.
 */
import { Worker } from 'node:worker_threads';
import { TributaryError } from '../errors.ts';
import type { LogRecord } from '../log/log.ts';
import type { Row } from '../sinks/sink.ts';
import type { StepCounts } from './pipeline.ts';

export interface PipelineSource {
  /** Path of the pipeline module (its default export is `defineStreamJobs([...])`). */
  module: string;
  /** The stateless job in it. */
  job: string;
}

/** What one record became: produced outputs (topic records or rows), filtered, or dead-lettered. */
export type ThreadOutcome =
  | { kind: 'out'; topic?: { key: string | null; value: Buffer }[]; rows?: Row[] }
  | { kind: 'filtered' }
  | { kind: 'dead-letter'; step: string; error: { message: string; stack?: string; code?: string } };

export interface ChunkRequest {
  id: number;
  /** Every value back to back; `ends[i]` is where value i ends, -1 for a null value. */
  values: Uint8Array;
  ends: Int32Array;
  topic: string;
  partitions: Int32Array;
  offsets: Float64Array;
  timestamps: Float64Array;
  keys: (string | null)[];
}

/** Per record: 0 out, 1 filtered, 2 dead-lettered. */
export const OUT = 0;
export const FILTERED = 1;
export const DEAD = 2;

export interface ChunkReply {
  id: number;
  kinds?: Uint8Array;
  /** Topic outputs: per record, how many (`counts`); their JSON back to back, ending at `ends`, and keys. */
  counts?: Uint16Array;
  json?: Uint8Array;
  ends?: Int32Array;
  keys?: (string | null)[];
  /** Table outputs: per record that produced values, its rows. */
  rows?: Row[][];
  dead?: { index: number; step: string; error: { message: string; stack?: string; code?: string } }[];
  steps?: [string, StepCounts][];
  failure?: string;
}

export class PipelinePool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (reply: ChunkReply) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  #failure: Error | undefined;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    for (const worker of workers) {
      worker.on('message', (reply: ChunkReply) => {
        const waiter = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        waiter?.resolve(reply);
      });
      worker.on('error', (error: Error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`pipeline thread exited with code ${code}`));
      });
    }
  }

  /** Start `threads` worker threads, each loading the job from its module; fails if any cannot. */
  static async start(source: PipelineSource, threads: number): Promise<PipelinePool> {
    if (!Number.isInteger(threads) || threads < 1) throw new TributaryError('CONFIG_INVALID', `pipeline threads must be a positive integer, got ${threads}`);
    // Run from src/ (Node strips the types) or from the built dist/.
    const script = new URL(import.meta.url.endsWith('.ts') ? './pipeline-thread.ts' : './pipeline-thread.js', import.meta.url);
    const workers = Array.from({ length: threads }, () => new Worker(script, { workerData: source }));
    const ready = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', (message: { ready?: true; failure?: string }) => (message.ready ? resolve() : reject(new TributaryError('CONFIG_INVALID', message.failure ?? 'pipeline thread failed to start'))));
          worker.once('error', reject);
        }),
    );
    const results = await Promise.allSettled(ready);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw failed.reason;
    }
    return new PipelinePool(workers);
  }

  get threads(): number {
    return this.#workers.length;
  }

  /** Run the records through the job on the threads; outcomes in the records' order. */
  async process(records: readonly LogRecord[], steps: Map<string, StepCounts>): Promise<ThreadOutcome[]> {
    if (this.#failure) throw this.#failure;
    const size = Math.ceil(records.length / this.#workers.length);
    const replies = await Promise.all(
      this.#workers.map((worker, w) => {
        const chunk = records.slice(w * size, (w + 1) * size);
        if (chunk.length === 0) return Promise.resolve<ChunkReply>({ id: -1 });
        const request = encodeChunk(this.#nextId++, chunk);
        return new Promise<ChunkReply>((resolve, reject) => {
          this.#pending.set(request.id, { resolve, reject });
          worker.postMessage(request, [request.values.buffer as ArrayBuffer, request.ends.buffer as ArrayBuffer, request.partitions.buffer as ArrayBuffer, request.offsets.buffer as ArrayBuffer, request.timestamps.buffer as ArrayBuffer]);
        });
      }),
    );
    const outcomes: ThreadOutcome[] = [];
    for (const reply of replies) {
      if (reply.failure !== undefined) throw new TributaryError('INTERNAL', `pipeline thread failed: ${reply.failure}`);
      decodeReply(reply, outcomes);
      for (const [name, c] of reply.steps ?? []) {
        const total = steps.get(name) ?? { in: 0, out: 0, filtered: 0, deadLettered: 0 };
        total.in += c.in;
        total.out += c.out;
        total.filtered += c.filtered;
        total.deadLettered += c.deadLettered;
        steps.set(name, total);
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #fail(error: Error): void {
    this.#failure ??= new TributaryError('INTERNAL', `pipeline thread failed: ${error.message}`, { cause: error });
    for (const waiter of this.#pending.values()) waiter.reject(this.#failure);
    this.#pending.clear();
  }
}

function encodeChunk(id: number, chunk: readonly LogRecord[]): ChunkRequest {
  let bytes = 0;
  for (const r of chunk) bytes += r.value?.length ?? 0;
  const values = new Uint8Array(bytes);
  const ends = new Int32Array(chunk.length);
  const partitions = new Int32Array(chunk.length);
  const offsets = new Float64Array(chunk.length);
  const timestamps = new Float64Array(chunk.length);
  const keys: (string | null)[] = new Array<string | null>(chunk.length);
  let at = 0;
  for (let i = 0; i < chunk.length; i++) {
    const r = chunk[i]!;
    if (r.value === null) ends[i] = -1;
    else {
      values.set(r.value, at);
      at += r.value.length;
      ends[i] = at;
    }
    partitions[i] = r.partition;
    offsets[i] = r.offset;
    timestamps[i] = r.timestamp;
    keys[i] = r.key?.toString('utf8') ?? null;
  }
  return { id, values, ends, topic: chunk[0]!.topic, partitions, offsets, timestamps, keys };
}

function decodeReply(reply: ChunkReply, outcomes: ThreadOutcome[]): void {
  const kinds = reply.kinds ?? new Uint8Array(0);
  const json = reply.json ? Buffer.from(reply.json.buffer, reply.json.byteOffset, reply.json.byteLength) : undefined;
  const dead = new Map((reply.dead ?? []).map((d) => [d.index, d]));
  let output = 0;
  let start = 0;
  let rowIndex = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === FILTERED) outcomes.push({ kind: 'filtered' });
    else if (kinds[i] === DEAD) {
      const d = dead.get(i)!;
      outcomes.push({ kind: 'dead-letter', step: d.step, error: d.error });
    } else if (reply.rows) {
      outcomes.push({ kind: 'out', rows: reply.rows[rowIndex++]! });
    } else {
      const topic: { key: string | null; value: Buffer }[] = [];
      for (let n = reply.counts![i]!; n > 0; n--) {
        const end = reply.ends![output]!;
        topic.push({ key: reply.keys![output]!, value: json!.subarray(start, end) });
        start = end;
        output++;
      }
      outcomes.push({ kind: 'out', topic });
    }
  }
}
