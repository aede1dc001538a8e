/**
 * `npm run bench -- vs-spark [--case a,b] [--repeat N] [--records N] [--rate N] [--check]`: Tributary
 * against Spark (pyspark at local[2], from scripts/spark) doing the same work on the same input,
 * alternated round by round (the side that goes first alternates too). Prints per case and side the
 * medians of throughput, wall time, RSS of the process tree and cores used, Spark's JVM start
 * apart, the in-process ceilings, and the ratio Tributary/Spark (for latency: Spark's p99 over
 * Tributary's). A case with a check proves first, at a small size, that both sides give the same
 * output; `--check` runs only the checks. See docs/performance.md.
 */
import { cpus, loadavg } from 'node:os';
import { cpuRatio, medians, parseArgs, ratio, type CaseArgs, type CheckResult, type RunMeasure, type VsCase } from './vs-spark/harness.ts';
import { sparkEnvironment } from './vs-spark/spark-process.ts';
import { progress } from './workload.ts';

const caseModules: (() => Promise<VsCase<never>[]>)[] = [
  async () => [(await import('./vs-spark/toronto-clean.ts')).torontoClean as VsCase<never>],
  async () => {
    const m = await import('./vs-spark/stateless-kafka.ts');
    return [m.statelessKafka as VsCase<never>, m.statelessKafkaLatency as VsCase<never>];
  },
  async () => [(await import('./vs-spark/windowed-kafka.ts')).windowedKafka as VsCase<never>],
  async () => [(await import('./vs-spark/postgres-sink.ts')).postgresSinkCase as VsCase<never>],
];

interface CaseReport {
  case: string;
  kind: VsCase['kind'];
  records?: number;
  repeat?: number;
  skipped?: string;
  check?: CheckResult;
  tributary?: RunMeasure;
  spark?: RunMeasure;
  ceilings?: Record<string, RunMeasure>;
  ratio?: number;
  /** Throughput cases: Spark's CPU time per record over Tributary's. */
  cpuRatio?: number;
  runs?: { tributary: RunMeasure[]; spark: RunMeasure[] };
}

async function runCase(c: VsCase<never>, args: CaseArgs, checkOnly: boolean): Promise<CaseReport> {
  const report: CaseReport = { case: c.name, kind: c.kind };
  if (c.check) {
    progress(`${c.name}: check`);
    report.check = await c.check(args);
  }
  if (checkOnly) return report;
  Object.assign(report, { records: args.records, repeat: args.repeat });
  progress(`${c.name}: preparing ${args.records.toLocaleString('en-US')} records`);
  const input = await c.prepare(args);
  const tributary: RunMeasure[] = [];
  const spark: RunMeasure[] = [];
  const ceilings: Record<string, RunMeasure[]> = {};
  try {
    for (let r = 0; r < args.repeat; r++) {
      const sides = [
        async () => tributary.push(await c.tributary(input, args, r)),
        async () => spark.push(await c.spark(input, args, r)),
      ];
      if (r % 2) sides.reverse();
      progress(`${c.name}: round ${r + 1} of ${args.repeat}`);
      for (const side of sides) await side();
      for (const [name, m] of Object.entries((await c.ceilings?.(input, args)) ?? {})) (ceilings[name] ??= []).push(m);
    }
  } finally {
    await c.cleanup?.(input);
  }
  return {
    ...report,
    tributary: medians(tributary),
    spark: medians(spark),
    ...(Object.keys(ceilings).length ? { ceilings: Object.fromEntries(Object.entries(ceilings).map(([k, v]) => [k, medians(v)])) } : {}),
    ratio: ratio(c.kind, tributary, spark),
    ...(c.kind === 'throughput' ? { cpuRatio: cpuRatio(tributary, spark) } : {}),
    runs: { tributary, spark },
  };
}

export async function run(values: Record<string, string | boolean | undefined>): Promise<object> {
  const all = (await Promise.all(caseModules.map((m) => m()))).flat();
  const parsed = parseArgs(values, all.map((c) => c.name));
  sparkEnvironment();
  const explicit = typeof values.case === 'string';
  const reports: CaseReport[] = [];
  for (const c of all.filter((x) => parsed.cases.includes(x.name))) {
    const missing = c.missing?.() ?? [];
    if (missing.length) {
      const why = `${missing.join(', ')} not set`;
      if (explicit) throw new Error(`vs-spark: case ${c.name}: ${why} (start the services and eval "$(scripts/services env kafka postgres)")`);
      progress(`${c.name}: skipped, ${why}`);
      reports.push({ case: c.name, kind: c.kind, skipped: why });
      continue;
    }
    reports.push(await runCase(c, { records: parsed.records ?? c.defaultRecords, repeat: parsed.repeat, rate: parsed.rate }, parsed.check));
  }
  return { bench: 'vs-spark', date: new Date().toISOString(), machine: { cores: cpus().length, loadavg: loadavg().map((l) => Math.round(l * 100) / 100) }, cases: reports };
}
