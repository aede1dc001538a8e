/**
 * The metadata store: what the batch layer remembers between runs.
 *
 * Glossary:
 * - run: one execution of a batch job over one unit of work. Identified by a run id, unique per job
 *   run (the same id the lake's manifest records as lineage).
 * - unit: what a run processed: an input partition path (`dt=2026-11-21`), or `*` for a job whose
 *   input is not partitioned.
 * - input version: a fingerprint of the files a unit read (their keys and etags). A job is
 *   incremental by comparing the versions it last processed successfully with the ones in the lake.
 *
 * Lifecycle: `openMetadataStore(config)` (or an implementation's own open) → calls → `close()`.
 *
 * Guarantees: `finishRun` with status `succeeded` records the run's counts and its input versions in
 * one transaction: a unit is either recorded as processed at that version or not at all. A failed run
 * never changes the processed versions, so the next incremental run picks its unit up again. Rows
 * come back as they went in (dates to the millisecond, counts exactly).
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

/** One unit's input as a successful run processed it. */
export interface ProcessedInput {
  unit: string;
  version: string;
  runId: string;
  processedAt: Date;
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
  /** For a successful run: the input versions it processed, recorded with it atomically. */
  inputs?: { unit: string; version: string }[];
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
  /** Per unit, the version the job last processed successfully. */
  processed(job: string): Promise<Map<string, ProcessedInput>>;
  close(): Promise<void>;
}

export const zeroCounts = (): RunCounts => ({ read: 0, written: 0, quarantined: 0, filtered: 0, files: 0 });
