/**
 * Running a batch job: plan its units, run each (run-unit.ts), and sum up.
 *
 * - incremental (the default): the driving input's partitions whose version (a fingerprint of their
 *   files' keys and etags) differs from the one the metadata store recorded for the job's last
 *   successful run of that unit: new and changed partitions. Run one after another in partition order,
 *   so when two units write the same output partition, the later input wins.
 * - full: every partition, whatever was recorded.
 * - range (backfill): the partitions whose `dt` lies in [from, to], whatever was recorded, run in
 *   parallel with bounded concurrency (default 2). Each unit is an independent run with its own
 *   run id, commit, and success or failure in the metadata store.
 */
import { randomBytes } from 'node:crypto';
import { TributaryError } from '../errors.ts';
import type { Lake } from '../lake/lake.ts';
import type { MetadataStore, RunCounts } from '../metadata/metadata.ts';
import type { BatchJob, DriftPolicy, ErrorBudget } from './batch-job.ts';
import { openDuck, type Duck, type DuckOptions } from './duckdb.ts';
import { byPartition, inputFiles, versionOf, type InputFile } from './inputs.ts';
import { runUnit, type Unit, type UnitResult } from './run-unit.ts';

export interface BatchRunOptions {
  /** Reprocess every partition. */
  full?: boolean;
  /** Backfill: partitions with dt in [from, to] (YYYY-MM-DD, inclusive). */
  from?: string;
  to?: string;
  /** Units run at once in a backfill; default 2. */
  concurrency?: number;
  errorBudget?: ErrorBudget;
  schemaDrift?: DriftPolicy;
  onEvent?: (event: BatchEvent) => void;
}

export type BatchEvent =
  | { type: 'batch:plan:ready'; job: string; units: string[]; skipped: number }
  | { type: 'batch:unit:started'; job: string; unit: string; runId: string }
  | { type: 'batch:unit:finished'; job: string; result: UnitResult };

export interface BatchDeps {
  lake: Lake;
  metadata: MetadataStore;
  /** Local directory for staged output. */
  stagingDir: string;
  /** An open DuckDB to use, or options for one this run opens and closes. */
  duck?: Duck | DuckOptions;
}

export interface BatchRunSummary {
  job: string;
  units: UnitResult[];
  /** Units left out because their input was unchanged since their last successful run. */
  skipped: number;
  counts: RunCounts;
  failed: number;
  durationMs: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function runIdBase(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

function dtOf(partition: string): string | undefined {
  return /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})(?:\/|$)/.exec(partition)?.[1];
}

/** The units a run will process, and how many unchanged ones it skips. */
export async function planUnits(job: BatchJob, lake: Lake, metadata: MetadataStore, options: BatchRunOptions): Promise<{ units: Unit[]; skipped: number; sideInputs: Map<string, InputFile[]> }> {
  for (const [name, value] of [['--from', options.from], ['--to', options.to]] as const) {
    if (value !== undefined && !DATE.test(value)) throw new TributaryError('CLI_USAGE', `${name} expects a date, YYYY-MM-DD; got "${value}"`);
  }
  if ((options.from === undefined) !== (options.to === undefined)) throw new TributaryError('CLI_USAGE', 'a backfill needs both --from and --to');
  if (options.from !== undefined && options.to !== undefined && options.from > options.to) throw new TributaryError('CLI_USAGE', `--from ${options.from} is after --to ${options.to}`);
  const drivingName = job.incrementalBy ?? job.inputs[0]?.name;
  const sideInputs = new Map<string, InputFile[]>();
  let units: Unit[] = [];
  for (const input of job.inputs) {
    const files = await inputFiles(lake, input);
    if (input.name !== drivingName) {
      sideInputs.set(input.name, files);
      continue;
    }
    for (const [partition, group] of byPartition(files)) {
      const dt = dtOf(partition);
      units.push({ unit: partition === '' ? '*' : partition, ...(dt ? { dt } : {}), version: versionOf(group), files: group });
    }
  }
  let skipped = 0;
  if (options.from !== undefined && options.to !== undefined) {
    const { from, to } = options;
    units = units.filter((u) => u.dt !== undefined && u.dt >= from && u.dt <= to);
    if (units.length === 0) throw new TributaryError('BATCH_INPUT_INVALID', `Job "${job.name}": no input partitions with dt between ${from} and ${to}`);
  } else if (!options.full) {
    const processed = await metadata.processed(job.name);
    const before = units.length;
    units = units.filter((u) => processed.get(u.unit)?.version !== u.version);
    skipped = before - units.length;
  }
  return { units, skipped, sideInputs };
}

export async function runBatchJob(job: BatchJob, deps: BatchDeps, options: BatchRunOptions = {}): Promise<BatchRunSummary> {
  const started = Date.now();
  const plan = await planUnits(job, deps.lake, deps.metadata, options);
  options.onEvent?.({ type: 'batch:plan:ready', job: job.name, units: plan.units.map((u) => u.unit), skipped: plan.skipped });
  const ownDuck = !deps.duck || !('instance' in deps.duck);
  const duck = ownDuck ? await openDuck(deps.duck as DuckOptions | undefined) : (deps.duck as Duck);
  const base = runIdBase(new Date());
  const results: UnitResult[] = [];
  try {
    const backfill = options.from !== undefined;
    const concurrency = backfill ? Math.max(1, options.concurrency ?? 2) : 1;
    const queue = plan.units.map((unit, index) => ({ unit, runId: plan.units.length === 1 ? base : `${base}-u${index}` }));
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        options.onEvent?.({ type: 'batch:unit:started', job: job.name, unit: next.unit.unit, runId: next.runId });
        const result = await runUnit(
          job,
          next.unit,
          { lake: deps.lake, metadata: deps.metadata, duck, stagingDir: deps.stagingDir, sideInputs: plan.sideInputs },
          { runId: next.runId, errorBudget: options.errorBudget ?? job.errorBudget ?? {}, schemaDrift: options.schemaDrift ?? job.schemaDrift ?? 'fail' },
        );
        results.push(result);
        options.onEvent?.({ type: 'batch:unit:finished', job: job.name, result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, worker));
  } finally {
    if (ownDuck) duck.close();
  }
  results.sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
  const counts: RunCounts = { read: 0, written: 0, quarantined: 0, filtered: 0, files: 0 };
  for (const r of results) for (const k of Object.keys(counts) as (keyof RunCounts)[]) counts[k] += r.counts[k];
  return { job: job.name, units: results, skipped: plan.skipped, counts, failed: results.filter((r) => r.status === 'failed').length, durationMs: Date.now() - started };
}
