/** Shared by the metadata backends: the table shapes, and turning stored rows back into records. */
import { TributaryError } from '../errors.ts';
import type { RunFinish, RunRecord, RunStart, RunStatus } from './metadata.ts';

export interface StoredRun {
  job: string;
  run_id: string;
  unit: string;
  status: string;
  started_ms: number | string | bigint;
  finished_ms: number | string | bigint | null;
  rows_read: number | string | bigint;
  rows_written: number | string | bigint;
  rows_quarantined: number | string | bigint;
  rows_filtered: number | string | bigint;
  files: number | string | bigint;
  error: string | null;
}

const num = (value: number | string | bigint): number => Number(value);

export function toRunRecord(row: StoredRun): RunRecord {
  return {
    job: row.job,
    runId: row.run_id,
    unit: row.unit,
    status: row.status as RunStatus,
    started: new Date(num(row.started_ms)),
    ...(row.finished_ms === null ? {} : { finished: new Date(num(row.finished_ms)) }),
    counts: { read: num(row.rows_read), written: num(row.rows_written), quarantined: num(row.rows_quarantined), filtered: num(row.rows_filtered), files: num(row.files) },
    ...(row.error === null ? {} : { error: row.error }),
  };
}

export function checkStart(run: RunStart): void {
  for (const [name, value] of [['job', run.job], ['runId', run.runId], ['unit', run.unit]] as const) {
    if (typeof value !== 'string' || value === '') throw new TributaryError('INTERNAL', `metadata: startRun needs a non-empty ${name}`);
  }
  if (!(run.started instanceof Date) || Number.isNaN(run.started.getTime())) throw new TributaryError('INTERNAL', `metadata: run ${run.runId} has no valid start time`);
}

export function checkFinish(runId: string, finish: RunFinish): void {
  for (const [name, value] of Object.entries(finish.counts)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new TributaryError('INTERNAL', `metadata: run ${runId} finishes with ${name} = ${value}`);
  }
}

export function notRunning(runId: string): TributaryError {
  return new TributaryError('INTERNAL', `metadata: run ${runId} was never started or has already finished`);
}
