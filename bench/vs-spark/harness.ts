/**
 * The pure parts of `npm run bench -- vs-spark`: what a case and a run are, the arguments, medians
 * and the ratios of Tributary against Spark.
 *
 * A case makes its input once (`prepare`), may prove at a small size that both sides give the same
 * output (`check`), then runs Tributary and Spark alternately, round by round, on that input.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One side's figures for one round. */
export interface RunMeasure {
  /** Input records per second over `seconds`. */
  recordsPerSec: number;
  /** Wall time of the timed work (Spark: without the JVM start). */
  seconds: number;
  /** Largest resident set size of the side's whole process tree during the round. */
  rssMb: number;
  /** CPU time of the side's process tree over `seconds`. */
  cores: number;
  /** Spark only: seconds from the peer's start until its SparkSession was up. */
  jvmStartSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  detail?: Record<string, number>;
}

export interface CheckResult {
  /** Named counts that must be equal on both sides (e.g. quarantined rows). */
  tributary: Record<string, number>;
  spark: Record<string, number>;
  /** Rows in Tributary's output that Spark's lacks (EXCEPT ALL), and the other way round. */
  onlyTributary: number;
  onlySpark: number;
}

export interface CaseArgs {
  /** Records (pins) or rows, as the case counts its input. */
  records: number;
  repeat: number;
  /** Records per second for the fixed-rate cases. */
  rate: number;
}

export interface VsCase<Input = unknown> {
  name: string;
  /** What the case is measured in, for the report: `throughput` or `latency`. */
  kind: 'throughput' | 'latency';
  defaultRecords: number;
  /** The missing settings that stop the case from running, if any (e.g. TRIBUTARY_KAFKA_BROKERS). */
  missing?: () => string[];
  prepare(args: CaseArgs): Promise<Input>;
  /** Proves both sides produce the same output on a small input; throws when they do not. */
  check?(args: CaseArgs): Promise<CheckResult>;
  tributary(input: Input, args: CaseArgs, round: number): Promise<RunMeasure>;
  spark(input: Input, args: CaseArgs, round: number): Promise<RunMeasure>;
  /** In-process ceilings measured once per round beside the two sides (raw Kafka client, DuckDB alone). */
  ceilings?(input: Input, args: CaseArgs): Promise<Record<string, RunMeasure>>;
  cleanup?(input: Input): Promise<void>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The median of every numeric field (and of every `detail` field) over the rounds. */
export function medians(runs: readonly RunMeasure[]): RunMeasure {
  const pick = (get: (r: RunMeasure) => number | undefined) => {
    const values = runs.map(get).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return values.length ? round(median(values), 2) : undefined;
  };
  const out: RunMeasure = { recordsPerSec: pick((r) => r.recordsPerSec) ?? NaN, seconds: pick((r) => r.seconds) ?? NaN, rssMb: pick((r) => r.rssMb) ?? NaN, cores: pick((r) => r.cores) ?? NaN };
  for (const key of ['jvmStartSec', 'p50Ms', 'p99Ms'] as const) {
    const v = pick((r) => r[key]);
    if (v !== undefined) out[key] = v;
  }
  const detailKeys = new Set(runs.flatMap((r) => Object.keys(r.detail ?? {})));
  if (detailKeys.size) out.detail = Object.fromEntries([...detailKeys].map((k) => [k, pick((r) => r.detail?.[k]) ?? NaN]));
  return out;
}

/**
 * How many times better Tributary is: throughput over Spark's for a throughput case, Spark's p99 over
 * Tributary's for a latency case. Medians of the per-round ratios, so a drift in the machine's speed
 * reaches both sides of a round alike.
 */
export function ratio(kind: VsCase['kind'], tributary: readonly RunMeasure[], spark: readonly RunMeasure[]): number {
  const rounds = Math.min(tributary.length, spark.length);
  const per: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = tributary[i]!;
    const s = spark[i]!;
    per.push(kind === 'latency' ? (s.p99Ms ?? NaN) / (t.p99Ms ?? NaN) : t.recordsPerSec / s.recordsPerSec);
  }
  return round(median(per.filter(Number.isFinite)), 2);
}

/**
 * How many times less CPU Tributary spends per input record: per round, Spark's CPU time (cores ×
 * seconds) over Tributary's on the same input, then the median. On a machine shared with other work
 * this is steadier than the throughput ratio, since a side with more threads gets more of the CPU.
 */
export function cpuRatio(tributary: readonly RunMeasure[], spark: readonly RunMeasure[]): number {
  const per: number[] = [];
  for (let i = 0; i < Math.min(tributary.length, spark.length); i++) {
    const t = tributary[i]!;
    const s = spark[i]!;
    per.push((s.cores * s.seconds) / (t.cores * t.seconds));
  }
  return round(median(per.filter(Number.isFinite)), 2);
}

export interface ParsedArgs {
  cases: string[];
  repeat: number;
  records: number | undefined;
  rate: number;
  check: boolean;
}

function positiveInteger(value: string | boolean | undefined, flag: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < 1) throw new Error(`vs-spark: ${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** The bench's arguments: `--case a,b` (names among `known`), `--repeat N`, `--records N`, `--rate N`, `--check`. */
export function parseArgs(values: Record<string, string | boolean | undefined>, known: readonly string[]): ParsedArgs {
  const requested = typeof values.case === 'string' ? values.case.split(',').map((c) => c.trim()).filter(Boolean) : [...known];
  const unknown = requested.filter((c) => !known.includes(c));
  if (unknown.length) throw new Error(`vs-spark: unknown case ${unknown.join(', ')} in --case (known: ${known.join(', ')})`);
  if (requested.length === 0) throw new Error(`vs-spark: --case names no case (known: ${known.join(', ')})`);
  return {
    cases: requested,
    repeat: positiveInteger(values.repeat, '--repeat', 3)!,
    records: positiveInteger(values.records ?? values.rows, values.records !== undefined ? '--records' : '--rows', undefined),
    rate: positiveInteger(values.rate, '--rate', 10_000)!,
    check: values.check === true,
  };
}

/** Runs `work` in a new temporary directory, removed afterwards. */
export async function tempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How many of `a`'s items `b` lacks, and the other way round, counting repeats (EXCEPT ALL both ways). */
export function exceptAll(a: Iterable<string>, b: Iterable<string>): { onlyA: number; onlyB: number } {
  const left = new Map<string, number>();
  for (const k of a) left.set(k, (left.get(k) ?? 0) + 1);
  let onlyB = 0;
  for (const k of b) {
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else onlyB++;
  }
  let onlyA = 0;
  for (const n of left.values()) onlyA += n;
  return { onlyA, onlyB };
}
