/**
 * The metadata store: what the batch layer remembers between runs.
 *
 * Glossary:
 * - run: one execution of a batch job over one unit of work. Identified by a run id, unique per job
 *   run (the same id the lake's manifest records as lineage).
 * - unit: what a run processed: `*` for a batch run (it covers the job's current inputs).

 * What a job's output was computed from is not here but in the lake, committed with the output
 * (src/batch/batch-tables.ts): the two can then never disagree.
 *
 * Lifecycle: `openMetadataStore(config)` (or an implementation's own open) → calls → `close()`.
 *
 * Guarantees: a run is recorded once (`startRun`) and finished once (`finishRun`, with its counts);
 * rows come back as they went in (dates to the millisecond, counts exactly).
 *
 * Errors (TributaryError codes): METADATA_UNAVAILABLE (the store cannot be reached or refused a
 * write; retryable when a later attempt may succeed), METADATA_CLOSED (a call after close), and
 * INTERNAL for a caller's mistake such as finishing an unknown run.
 */

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunCounts {
  /** Input rows the run read. */
  read: number;
  /** Rows written to the output dataset. */
  written: number;
  /** Malformed rows written to the quarantine. */
  quarantined: number;
  /** Rows dropped on purpose (outliers, rows marked deleted). */
  filtered: number;
  /** Output files published. */
  files: number;
}

export interface RunRecord {
  job: string;
  runId: string;
  unit: string;
  status: RunStatus;
  started: Date;
  finished?: Date;
  counts: RunCounts;
  /** Why a failed run failed (the error's code and message). */
  error?: string;
}

export interface RunStart {
  job: string;
  runId: string;
  unit: string;
  started: Date;
}

export interface RunFinish {
  status: 'succeeded' | 'failed';
  finished: Date;
  counts: RunCounts;
  error?: string;
}

export interface MetadataStore {
  readonly backend: 'embedded' | 'postgres';
  /** Record a run as running. A run id may start once. */
  startRun(run: RunStart): Promise<void>;
  /** Record a run's end; see Guarantees. INTERNAL for a run id never started or already finished. */
  finishRun(runId: string, finish: RunFinish): Promise<void>;
  /**
   * Marks every run of `job` still recorded as running as failed, with `error`: runs whose process
   * died (a `kill -9`, a lost machine) before finishing. A job's runs do not overlap, so the next run
   * calls this when it starts. Returns the run ids it marked.
   */
  failRunning(job: string, finished: Date, error: string): Promise<string[]>;
  /** A job's runs, newest first. */
  runs(job: string, options?: { limit?: number }): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export const zeroCounts = (): RunCounts => ({ read: 0, written: 0, quarantined: 0, filtered: 0, files: 0 });
