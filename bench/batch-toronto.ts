/**
 * Batch benchmark cases `toronto-clean-fs` and `toronto-clean-s3`: the Toronto apartment job over the
 * real pre-2023 CSV replicated to N rows (batch-workload.ts), read with DuckDB's typed CSV reader,
 * cleaned, typed and filtered, and committed to a DuckLake table partitioned by evaluation year
 * (embedded catalog). The CSV is put into the raw zone before the clock starts; on S3 DuckDB reads it
 * from the bucket through httpfs and writes the table's Parquet files to the bucket. Each repeat uses
 * a fresh lake and catalog.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { torontoApartmentsJob } from '../examples/toronto-kijiji/toronto-job.ts';
import { runBatchJob } from '../src/batch/run-batch-job.ts';
import { openFsLake } from '../src/lake/fs/fs-lake.ts';
import type { Lake } from '../src/lake/lake.ts';
import { openLakeTables } from '../src/lake/tables/open-tables.ts';
import type { TablesSettings } from '../src/lake/tables/tables.ts';
import { batchSettings } from '../src/batch/duckdb.ts';
import { openEmbeddedMetadataStore } from '../src/metadata/embedded/embedded-metadata.ts';
import type { BatchBenchArgs, BatchBenchCase, BatchRunMeasure } from './batch.ts';
import { replicatedToronto } from './batch-workload.ts';
import { stopwatch } from './stream-measure.ts';
import { progress, rssSampler } from './workload.ts';

const RAW_KEY = 'raw/apartment-building-evaluation/dt=2026-11-01/pre-2023.csv';

async function measureOnce(rows: number, lake: Lake, dir: string, data: TablesSettings['data']): Promise<BatchRunMeasure> {
  const csv = await replicatedToronto(rows);
  await lake.put(RAW_KEY, createReadStream(csv));
  const metadata = await openEmbeddedMetadataStore({ file: path.join(dir, 'metadata.sqlite') });
  const tables = await openLakeTables({ catalog: { kind: 'duckdb', file: path.join(dir, 'lake-tables.ducklake') }, data }, { settings: batchSettings({ threads: 2, tempDirectory: path.join(dir, 'duck-tmp') }) });
  try {
    const rss = rssSampler();
    const clock = stopwatch();
    const summary = await runBatchJob(torontoApartmentsJob(), { lake, metadata, tables });
    const { seconds, cores } = clock.stop();
    const rssMb = rss.stop();
    const unit = summary.units[0];
    if (!unit || unit.status !== 'succeeded' || unit.counts.read !== rows) throw new Error(`toronto-clean: ${unit?.status ?? 'no unit'}, read ${unit?.counts.read} of ${rows}: ${unit?.error?.message ?? ''}`);
    progress(`  ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s: ${unit.counts.written.toLocaleString('en-US')} written, ${unit.counts.filtered} filtered, ${unit.counts.files} files (${JSON.stringify(unit.timings)})`);
    return {
      recordsPerSec: Math.round(rows / seconds),
      rssMb,
      cores: Math.round(cores * 10) / 10,
      detail: { seconds: Math.round(seconds * 100) / 100, written: unit.counts.written, filtered: unit.counts.filtered, files: unit.counts.files, ...unit.timings },
    };
  } finally {
    await tables.close();
    await metadata.close();
  }
}

async function repeatFs(args: BatchBenchArgs): Promise<BatchRunMeasure[]> {
  const measures: BatchRunMeasure[] = [];
  for (let i = 0; i < args.repeat; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-batch-'));
    try {
      const lake = await openFsLake({ root: path.join(dir, 'lake') });
      measures.push(await measureOnce(args.rows, lake, dir, { kind: 'fs', dir: path.join(dir, 'lake', 'tables') }));
      await lake.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return measures;
}

async function repeatS3(args: BatchBenchArgs): Promise<BatchRunMeasure[]> {
  const { openS3Lake } = await import('../src/lake/s3/s3-lake.ts');
  const { DeleteBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const env = process.env;
  const connection = {
    endpoint: env.TRIBUTARY_S3_ENDPOINT ?? '',
    region: env.TRIBUTARY_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    accessKeyId: env.TRIBUTARY_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.TRIBUTARY_S3_SECRET_ACCESS_KEY ?? '',
  };
  const measures: BatchRunMeasure[] = [];
  for (let i = 0; i < args.repeat; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-batch-s3-'));
    const bucket = `bench-batch-${Date.now().toString(36)}-${i}`;
    const lake = await openS3Lake({ ...connection, bucket, cacheDir: path.join(dir, 'cache') });
    try {
      await lake.put('created', Buffer.from(''));
      measures.push(await measureOnce(args.rows, lake, dir, { kind: 's3', bucket, prefix: 'tables/', endpoint: connection.endpoint, region: connection.region, forcePathStyle: true, accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey }));
    } finally {
      const keys: string[] = [];
      for await (const object of lake.list('')) keys.push(object.key);
      for (const key of keys) await lake.delete(key);
      await lake.close();
      const admin = new S3Client({ ...connection, credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey } });
      await admin.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      admin.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return measures;
}

/**
 * The peer the issue names: DuckDB alone converting the same CSV to one Parquet file (its own
 * type sniffing, no cleaning, no partitions, no lake), with the same two threads. With `nullstr`
 * (`duckdb-typed-fs`), `N/A` cells are null, so the sniffer types the 20 item columns as integers
 * instead of text: the fastest conversion of this file measured, a bound on the job.
 */
async function repeatDuckdbAlone(args: BatchBenchArgs, nullstr?: readonly string[]): Promise<BatchRunMeasure[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const csv = await replicatedToronto(args.rows);
  const measures: BatchRunMeasure[] = [];
  for (let i = 0; i < args.repeat; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-duckdb-'));
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    try {
      const rss = rssSampler();
      const clock = stopwatch();
      const options = nullstr ? `, nullstr = [${nullstr.map((n) => `'${n}'`).join(', ')}]` : '';
      await connection.run(`COPY (SELECT * FROM read_csv('${csv.replaceAll("'", "''")}'${options})) TO '${path.join(dir, 'out.parquet').replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION snappy)`);
      const { seconds, cores } = clock.stop();
      measures.push({ recordsPerSec: Math.round(args.rows / seconds), rssMb: rss.stop(), cores: Math.round(cores * 10) / 10, detail: { seconds: Math.round(seconds * 100) / 100 } });
      progress(`  DuckDB alone${nullstr ? ' (typed)' : ''}: ${args.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s`);
    } finally {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return measures;
}

/** DuckDB alone on MinIO: the same CSV read from the bucket through httpfs, one Parquet file written back to it. */
async function repeatDuckdbAloneS3(args: BatchBenchArgs): Promise<BatchRunMeasure[]> {
  const { openS3Lake } = await import('../src/lake/s3/s3-lake.ts');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { duckSettings } = await import('../src/lake/tables/open-tables.ts');
  const { DeleteBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const env = process.env;
  const connection = { endpoint: env.TRIBUTARY_S3_ENDPOINT ?? '', region: env.TRIBUTARY_S3_REGION ?? 'us-east-1', forcePathStyle: true, accessKeyId: env.TRIBUTARY_S3_ACCESS_KEY_ID ?? '', secretAccessKey: env.TRIBUTARY_S3_SECRET_ACCESS_KEY ?? '' };
  const csv = await replicatedToronto(args.rows);
  const measures: BatchRunMeasure[] = [];
  for (let i = 0; i < args.repeat; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-duckdb-s3-'));
    const bucket = `bench-duckdb-${Date.now().toString(36)}-${i}`;
    const lake = await openS3Lake({ ...connection, bucket, cacheDir: dir });
    await lake.put(RAW_KEY, createReadStream(csv));
    const instance = await DuckDBInstance.create(':memory:', { threads: '2', ...(await duckSettings({})) });
    const c = await instance.connect();
    try {
      const endpoint = new URL(connection.endpoint);
      await c.run(`CREATE SECRET (TYPE s3, KEY_ID '${connection.accessKeyId}', SECRET '${connection.secretAccessKey}', REGION '${connection.region}', ENDPOINT '${endpoint.host}', URL_STYLE 'path', USE_SSL ${endpoint.protocol === 'https:'})`);
      const rss = rssSampler();
      const clock = stopwatch();
      await c.run(`COPY (SELECT * FROM read_csv('s3://${bucket}/${RAW_KEY}')) TO 's3://${bucket}/out.parquet' (FORMAT parquet, COMPRESSION snappy)`);
      const { seconds, cores } = clock.stop();
      measures.push({ recordsPerSec: Math.round(args.rows / seconds), rssMb: rss.stop(), cores: Math.round(cores * 10) / 10, detail: { seconds: Math.round(seconds * 100) / 100 } });
      progress(`  DuckDB alone on S3: ${args.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s`);
    } finally {
      c.closeSync();
      instance.closeSync();
      for (const key of [RAW_KEY, 'out.parquet']) await lake.delete(key);
      await lake.close();
      const admin = new S3Client({ ...connection, credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey } });
      await admin.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      admin.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return measures;
}

const needsS3 = () => (process.env.TRIBUTARY_S3_ENDPOINT ? undefined : 'TRIBUTARY_S3_ENDPOINT is not set (bash scripts/services up minio; eval "$(bash scripts/services env)")');

export const cases: BatchBenchCase[] = [
  { case: 'duckdb-alone-fs', run: (args) => repeatDuckdbAlone(args) },
  { case: 'duckdb-typed-fs', run: (args) => repeatDuckdbAlone(args, ['', 'N/A']) },
  { case: 'toronto-clean-fs', run: repeatFs, peers: ['duckdb-alone-fs', 'duckdb-typed-fs'] },
  { case: 'duckdb-alone-s3', skip: needsS3, run: repeatDuckdbAloneS3 },
  { case: 'toronto-clean-s3', skip: needsS3, run: repeatS3, peers: ['toronto-clean-fs', 'duckdb-alone-s3'] },
];
