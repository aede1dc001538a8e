/**
 * vs-spark `toronto-clean`: the Toronto apartment job (examples/toronto-kijiji/toronto-job.ts) over the
 * real pre-2023 CSV replicated to N rows, against its Spark peer (bench/peers/spark/toronto_clean.py).
 * Tributary: runBatchJob on an fs lake with an embedded catalog, as bench/batch-toronto.ts does.
 * Spark: the same cleaning in Spark SQL, Parquet partitioned by year; two passes in one session, the
 * first on a cold JVM, the second warm (the one compared). The ceiling is DuckDB alone converting
 * the CSV to one Parquet file (bench/batch-toronto.ts's `duckdb-alone-fs`).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { torontoApartmentsJob } from '../../examples/toronto-kijiji/toronto-job.ts';
import { itemColumns, torontoColumns } from '../../examples/toronto-kijiji/toronto-columns.ts';
import { runBatchJob } from '../../src/batch/run-batch-job.ts';
import { batchSettings } from '../../src/batch/duckdb.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import type { LakeTables } from '../../src/lake/tables/tables.ts';
import { openEmbeddedMetadataStore } from '../../src/metadata/embedded/embedded-metadata.ts';
import { cases as batchCases } from '../batch-toronto.ts';
import { replicatedToronto } from '../batch-workload.ts';
import { stopwatch } from '../stream-measure.ts';
import { progress, rssSampler } from '../workload.ts';
import { round, tempDir, type CaseArgs, type CheckResult, type RunMeasure, type VsCase } from './harness.ts';
import { runSpark, sparkEnvironment } from './spark-process.ts';

const RAW_KEY = 'raw/apartment-building-evaluation/dt=2026-11-01/pre-2023.csv';
const OUTPUT = 'toronto_apartments';
const CHECK_ROWS = 5000;

interface Input {
  csv: string;
  rows: number;
  columnsFile: string;
  dir: string;
}

interface SparkResult {
  jvmStartSec: number;
  passes: { seconds: number; cores: number; read: number; quarantined: number; filtered: number; written: number }[];
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function prepareInput(rows: number): Promise<Input> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-vs-spark-toronto-'));
  const columnsFile = path.join(dir, 'columns.json');
  const input = torontoApartmentsJob().inputs[0];
  const nullStrings = input?.kind === 'files' && input.format === 'csv' ? (input.csv.nullStrings ?? ['', 'N/A']) : ['', 'N/A'];
  await writeFile(columnsFile, JSON.stringify({ nullStrings, columns: torontoColumns, items: itemColumns }));
  return { csv: await replicatedToronto(rows), rows, columnsFile, dir };
}

/** One Tributary run in `dir`; `inspect` sees the output tables before they close. */
async function tributaryRun(input: Input, dir: string, inspect?: (tables: LakeTables, counts: Record<string, number>) => Promise<void>): Promise<RunMeasure> {
  const lake = await openFsLake({ root: path.join(dir, 'lake') });
  await lake.put(RAW_KEY, createReadStream(input.csv));
  const metadata = await openEmbeddedMetadataStore({ file: path.join(dir, 'metadata.sqlite') });
  const tables = await openLakeTables({ catalog: { kind: 'duckdb', file: path.join(dir, 'lake-tables.ducklake') }, data: { kind: 'fs', dir: path.join(dir, 'lake', 'tables') } }, { settings: batchSettings({ threads: 2, tempDirectory: path.join(dir, 'duck-tmp') }) });
  try {
    const rss = rssSampler();
    const clock = stopwatch();
    const summary = await runBatchJob(torontoApartmentsJob(), { lake, metadata, tables });
    const { seconds, cores } = clock.stop();
    const rssMb = rss.stop();
    const unit = summary.units[0];
    if (!unit || unit.status !== 'succeeded' || unit.counts.read !== input.rows) throw new Error(`toronto-clean: Tributary's run ${unit?.status ?? 'had no unit'}, read ${unit?.counts.read} of ${input.rows}: ${unit?.error?.message ?? ''}`);
    const counts = { read: unit.counts.read, quarantined: unit.counts.quarantined, filtered: unit.counts.filtered, written: unit.counts.written };
    await inspect?.(tables, counts);
    progress(`  Tributary: ${input.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s on ${cores.toFixed(2)} cores (${JSON.stringify(counts)})`);
    return { recordsPerSec: Math.round(input.rows / seconds), seconds: round(seconds, 3), rssMb, cores: round(cores, 2), detail: counts };
  } finally {
    await tables.close();
    await metadata.close();
    await lake.close();
  }
}

async function sparkRun(input: Input, out: string, keep = false): Promise<{ measure: RunMeasure; result: SparkResult }> {
  const { result, rssMb } = await runSpark<SparkResult>('toronto_clean.py', ['--csv', input.csv, '--out', out, '--columns', input.columnsFile, '--passes', '2', ...(keep ? ['--keep'] : [])], sparkEnvironment());
  const cold = result.passes[0]!;
  const warm = result.passes.at(-1)!;
  return {
    result,
    measure: {
      recordsPerSec: Math.round(input.rows / warm.seconds),
      seconds: warm.seconds,
      rssMb,
      cores: warm.cores,
      jvmStartSec: result.jvmStartSec,
      detail: { coldRecordsPerSec: Math.round(input.rows / cold.seconds), coldSeconds: cold.seconds, quarantined: warm.quarantined, filtered: warm.filtered, written: warm.written },
    },
  };
}

/** Both sides at CHECK_ROWS: the same rows (EXCEPT ALL both ways, with Tributary's column types) and the same counts. */
async function check(): Promise<CheckResult> {
  const input = await prepareInput(CHECK_ROWS);
  try {
    const spark = await sparkRun(input, path.join(input.dir, 'spark'), true);
    const pass = spark.result.passes[0]!;
    let result: CheckResult | undefined;
    await tributaryRun(input, path.join(input.dir, 'tributary'), async (tables, counts) => {
      const columns = await tables.columns('processed', OUTPUT);
      const sparkFiles = literal(path.join(input.dir, 'spark', 'pass-1', 'data', '**', '*.parquet'));
      const ours = `SELECT ${columns.map((c) => ident(c.name)).join(', ')} FROM ${tables.relation('processed', OUTPUT)}`;
      const connection = await tables.instance.connect();
      try {
        const read = `read_parquet(${sparkFiles}, hive_partitioning = true)`;
        // Spark leaves out the columns of the other layout, as Tributary's unit does; its table keeps them as nulls.
        const written = new Set((await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${read}`)).getRowObjects().map((r) => String(r.column_name)));
        const theirs = `SELECT ${columns.map((c) => `CAST(${written.has(c.name) ? ident(c.name) : 'NULL'} AS ${c.type}) AS ${ident(c.name)}`).join(', ')} FROM ${read}`;
        const count = async (sql: string) => Number((await connection.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`)).getRowObjects()[0]?.n);
        result = {
          tributary: counts,
          spark: { read: pass.read, quarantined: pass.quarantined, filtered: pass.filtered, written: pass.written },
          onlyTributary: await count(`${ours} EXCEPT ALL ${theirs}`),
          onlySpark: await count(`${theirs} EXCEPT ALL ${ours}`),
        };
      } finally {
        connection.closeSync();
      }
    });
    const r = result!;
    const differing = Object.keys(r.tributary).filter((k) => r.tributary[k] !== r.spark[k]);
    if (r.onlyTributary !== 0 || r.onlySpark !== 0 || differing.length) {
      throw new Error(`toronto-clean check at ${CHECK_ROWS} rows failed: ${r.onlyTributary} rows only in Tributary's output, ${r.onlySpark} only in Spark's; counts ${JSON.stringify(r.tributary)} vs ${JSON.stringify(r.spark)}`);
    }
    progress(`  check at ${CHECK_ROWS} rows: EXCEPT ALL 0 and 0, counts equal ${JSON.stringify(r.tributary)}`);
    return r;
  } finally {
    await rm(input.dir, { recursive: true, force: true });
  }
}

export const torontoClean: VsCase<Input> = {
  name: 'toronto-clean',
  kind: 'throughput',
  defaultRecords: 1_000_000,
  prepare: (args: CaseArgs) => prepareInput(args.records),
  check,
  tributary: (input) => tempDir('tributary-vs-spark-trib-', (dir) => tributaryRun(input, dir)),
  spark: (input) => tempDir('tributary-vs-spark-spark-', async (dir) => (await sparkRun(input, dir)).measure),
  async ceilings(input) {
    const duck = batchCases.find((c) => c.case === 'duckdb-alone-fs')!;
    const [m] = await duck.run({ rows: input.rows, repeat: 1 });
    return { 'duckdb-alone': { recordsPerSec: m!.recordsPerSec, seconds: m!.detail?.seconds ?? NaN, rssMb: m!.rssMb, cores: m!.cores } };
  },
  cleanup: (input) => rm(input.dir, { recursive: true, force: true }),
};
