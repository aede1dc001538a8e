/**
 * The batch benchmark: `npm run bench -- batch [--rows N] [--repeat R] [--case a,b]`.
 *
 * Cases come from a list of modules, each exporting `cases: BatchBenchCase[]`; adding a module is a
 * one-line edit of `caseModules`. The repeats are interleaved (every case once, R times over), so a
 * drift in the machine's speed reaches every case alike, and each case reports the median
 * throughput and the largest resident set size. A case with `peers` also reports, per peer, the
 * median of the ratios of its run to the peer's run of the same round. Rows per second count the
 * input rows a run read, from its start (input already in the lake) to its last commit.
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
  /** Runs the case `args.repeat` times (the benchmark asks for one at a time). */
  run(args: BatchBenchArgs): Promise<BatchRunMeasure[]>;
  /** Cases this one is compared with, run for run. */
  peers?: readonly string[];
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
  const all = (await Promise.all(caseModules.map(async (load) => (await load()).cases))).flat();
  const only = typeof args.case === 'string' ? args.case.split(',') : undefined;
  const unknown = only?.filter((name) => !all.some((c) => c.case === name));
  if (unknown?.length) throw new Error(`--case must name cases of ${all.map((c) => c.case).join(', ')}; unknown: ${unknown.join(', ')}`);
  const cases = all.filter((c) => {
    if (only && !only.includes(c.case)) return false;
    const skipped = c.skip?.();
    if (skipped) progress(`${c.case}: skipped: ${skipped}`);
    return !skipped;
  });
  const runs = new Map<string, BatchRunMeasure[]>(cases.map((c) => [c.case, []]));
  for (let round = 1; round <= repeat; round++) {
    for (const c of cases) {
      progress(`${c.case}: run ${round} of ${repeat}`);
      runs.get(c.case)?.push(...(await c.run({ rows, repeat: 1 })));
    }
  }
  const results = cases.map((c) => {
    const measured = runs.get(c.case) ?? [];
    const rate = median(measured.map((r) => r.recordsPerSec));
    const chosen = measured.find((r) => r.recordsPerSec === rate) ?? measured[0];
    const ratios: Record<string, number> = {};
    for (const peer of c.peers ?? []) {
      const theirs = runs.get(peer);
      if (theirs?.length !== measured.length) continue;
      ratios[peer] = median(measured.map((r, i) => Math.round((r.recordsPerSec / (theirs[i]?.recordsPerSec ?? Infinity)) * 1000))) / 1000;
    }
    progress(`${c.case}: median ${rate.toLocaleString('en-US')} rows/s over ${measured.length} runs${Object.entries(ratios).map(([peer, r]) => `, ${r}× ${peer}`).join('')}`);
    return {
      case: c.case,
      recordsPerSec: rate,
      rssMb: Math.max(...measured.map((r) => r.rssMb)),
      cores: chosen?.cores,
      runs: measured.map((r) => r.recordsPerSec),
      ...(Object.keys(ratios).length ? { ratios } : {}),
      ...(chosen?.detail ? { detail: chosen.detail } : {}),
    };
  });
  return { bench: 'batch', rows, cases: results };
}
