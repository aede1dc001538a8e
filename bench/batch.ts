/**
 * The batch benchmark: `npm run bench -- batch [--rows N] [--repeat R]`.
 *
 * Cases come from a list of modules, each exporting `cases: BatchBenchCase[]`; adding a module is a
 * one-line edit of `caseModules`. Each case is run R times (default 3) and reports the median
 * throughput and the largest resident set size. Rows per second count the input rows a run read,
 * from its start (input already in the lake) to its last commit.
 */
import { progress } from './workload.ts';

export interface BatchBenchArgs {
  rows: number;
  repeat: number;
}

export interface BatchRunMeasure {
  recordsPerSec: number;
  rssMb: number;
  /** CPU time of the process over wall time, all threads (DuckDB's included). */
  cores: number;
  detail?: Record<string, number>;
}

export interface BatchBenchCase {
  case: string;
  /** Undefined to skip (with the reason printed), e.g. when a service's endpoint is not set. */
  skip?: () => string | undefined;
  /** Once before the repeats; returns what each repeat needs and a cleanup. */
  run(args: BatchBenchArgs): Promise<BatchRunMeasure[]>;
}

const caseModules: (() => Promise<{ cases: BatchBenchCase[] }>)[] = [
  () => import('./batch-toronto.ts'),
  () => import('./batch-archiver.ts'),
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
};

export async function run(args: Record<string, string | boolean | undefined>): Promise<object> {
  const rows = Number(args.rows ?? 5_000_000);
  const repeat = Number(args.repeat ?? 3);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows must be an integer of at least 1000, got ${String(args.rows)}`);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got ${String(args.repeat)}`);
  const results: object[] = [];
  for (const load of caseModules) {
    for (const c of (await load()).cases) {
      const skipped = c.skip?.();
      if (skipped) {
        progress(`${c.case}: skipped: ${skipped}`);
        continue;
      }
      const runs = await c.run({ rows, repeat });
      const rate = median(runs.map((r) => r.recordsPerSec));
      const chosen = runs.find((r) => r.recordsPerSec === rate) ?? runs[0];
      results.push({
        case: c.case,
        recordsPerSec: rate,
        rssMb: Math.max(...runs.map((r) => r.rssMb)),
        cores: chosen?.cores,
        runs: runs.map((r) => r.recordsPerSec),
        ...(chosen?.detail ? { detail: chosen.detail } : {}),
      });
      progress(`${c.case}: median ${rate.toLocaleString('en-US')} rows/s over ${runs.length} runs`);
    }
  }
  return { bench: 'batch', rows, cases: results };
}
