/**
 * Runs a stateless job's record-level work (parse, schema check, the pipeline's steps, and turning
 * each value into its output: JSON text and key for a topic, a row for a table) on worker threads,
 * so that a job uses more than one core while its thread keeps the log and the sink.
 *
 * Functions cannot cross threads, so each thread imports the job's pipeline module itself and takes
 * the job by name (the module must be importable on its own: `tributary worker` modules are). The
 * job's thread splits each poll into one chunk per worker thread and applies the results in the
 * chunks' order, so outputs and commits stay in offset order exactly as without threads.
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
  | { kind: 'out'; topic?: { key: string | null; json: string }[]; rows?: Row[] }
  | { kind: 'filtered' }
  | { kind: 'dead-letter'; step: string; error: { message: string; stack?: string; code?: string } };

export interface ChunkRequest {
  id: number;
  values: (Uint8Array | null)[];
  contexts: { topic: string; partition: number; offset: number; timestamp: number; key: string | null }[];
}

export interface ChunkReply {
  id: number;
  outcomes?: ThreadOutcome[];
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
        if (chunk.length === 0) return Promise.resolve<ChunkReply>({ id: -1, outcomes: [], steps: [] });
        const request: ChunkRequest = {
          id: this.#nextId++,
          values: chunk.map((r) => r.value),
          contexts: chunk.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key?.toString('utf8') ?? null })),
        };
        return new Promise<ChunkReply>((resolve, reject) => {
          this.#pending.set(request.id, { resolve, reject });
          worker.postMessage(request);
        });
      }),
    );
    const outcomes: ThreadOutcome[] = [];
    for (const reply of replies) {
      if (reply.failure !== undefined) throw new TributaryError('INTERNAL', `pipeline thread failed: ${reply.failure}`);
      for (const outcome of reply.outcomes ?? []) outcomes.push(outcome);
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
