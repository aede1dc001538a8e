/**
 * The batch layer of a field count: DuckDB counts the archived raw zone up to a high-watermark and
 * stores the result, with that watermark, as the curated dataset `curated/<view>`.
 *
 * The high-watermark T_p of partition p is the archiver's committed position rounded down to a
 * bucket boundary (field-counts.ts), read from the same raw manifest version as the files the
 * count reads, so the view is exactly the records below T_p whatever the archiver does meanwhile.
 * The result is one Parquet file (columns value, count) whose key-value metadata holds T; a
 * recompute replaces it (overwrite), so a reader sees the old view or the new one, each with its T.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { archivedRanges, positionsOf, topicDataset } from '../../batch/archiver-layout.ts';
import { isTributaryError } from '../../errors.ts';
import { commitFiles, readManifest, readManifestAt, visibleFiles, type Manifest } from '../../lake/catalog.ts';
import type { Lake } from '../../lake/lake.ts';
import type { AsOf } from '../../lake/tables/tables.ts';
import { bucketSize, countedSql, fieldSql, type BatchCounts, type FieldCountsOptions } from './field-counts.ts';

const WATERMARK = 'tributary.high_watermark';

async function withDuckDb<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function latestOrNone(lake: Lake, zone: 'raw' | 'curated', dataset: string): Promise<Manifest | undefined> {
  try {
    return await readManifest(lake, zone, dataset);
  } catch (error) {
    if (isTributaryError(error, 'LAKE_NOT_FOUND')) return undefined;
    throw error;
  }
}

/** Recount the raw zone up to its bucket-aligned archived positions and publish the batch view. */
export async function recomputeFieldCounts(lake: Lake, options: FieldCountsOptions): Promise<BatchCounts> {
  const size = bucketSize(options);
  const raw = await latestOrNone(lake, 'raw', topicDataset(options.topic));
  const archived = raw ? positionsOf(archivedRanges(raw, options.topic)) : new Map<number, number>();
  const offsets = new Map([...archived].map(([p, next]) => [p, Math.floor(next / size) * size]));
  const started = new Date();
  const runId = `batch.${started.getTime()}.${randomBytes(3).toString('hex')}`;
  const staging = await mkdtemp(path.join(tmpdir(), 'tributary-view-'));
  try {
    const file = path.join(staging, 'view.parquet');
    const counts = await withDuckDb(async (c) => {
      const files = raw ? await Promise.all(visibleFiles(raw).map((f) => lake.localPath(f.key))) : [];
      const bounds = [...offsets].filter(([, t]) => t > 0).map(([p, t]) => `("partition" = ${p} AND "offset" < ${t})`);
      const source =
        files.length === 0 || bounds.length === 0
          ? `SELECT NULL::VARCHAR AS value, 0::BIGINT AS count WHERE false`
          : `SELECT ${fieldSql(options.field)} AS value, count(*)::BIGINT AS count FROM read_parquet([${files.map(sqlString).join(', ')}]) WHERE ${countedSql} AND (${bounds.join(' OR ')}) GROUP BY ALL`;
      await c.run(`CREATE TABLE view AS ${source}`);
      const watermark = JSON.stringify({ topic: options.topic, bucketOffsets: size, offsets: Object.fromEntries(offsets), computed: started.toISOString() });
      await c.run(`COPY (SELECT * FROM view ORDER BY value) TO ${sqlString(file)} (FORMAT parquet, KV_METADATA {${sqlString(WATERMARK)}: ${sqlString(watermark)}})`);
      const rows = (await c.runAndReadAll(`SELECT value, count::DOUBLE FROM view`)).getRows();
      return new Map(rows.map(([value, count]) => [String(value), Number(count)]));
    });
    const key = `curated/${options.name}/part-${runId.replaceAll('.', '-')}.parquet`;
    const object = await lake.put(key, createReadStream(file), { contentType: 'application/vnd.apache.parquet' });
    await commitFiles(lake, 'curated', options.name, {
      runId,
      job: `batch-view:${options.name}`,
      mode: 'overwrite-partitions',
      started,
      schema: [{ name: 'value', type: 'VARCHAR' }, { name: 'count', type: 'BIGINT' }],
      files: [{ key, rows: counts.size, bytes: object.size }],
    });
    return { offsets, counts, computed: started.toISOString() };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The batch view as last published; empty (T = 0 everywhere) before the first recompute. With
 * `asOf`, as that version of `curated/<view>` held it (or the version current at that time).
 */
export async function readFieldCounts(lake: Lake, options: FieldCountsOptions, asOf?: AsOf): Promise<BatchCounts> {
  const manifest = asOf ? await readManifestAt(lake, 'curated', options.name, asOf) : await latestOrNone(lake, 'curated', options.name);
  const file = manifest ? visibleFiles(manifest)[0] : undefined;
  if (!file) return { offsets: new Map(), counts: new Map(), computed: null };
  const local = await lake.localPath(file.key);
  return withDuckDb(async (c) => {
    const rows = (await c.runAndReadAll(`SELECT value, count::DOUBLE FROM read_parquet(${sqlString(local)})`)).getRows();
    const meta = (await c.runAndReadAll(`SELECT decode(value) FROM parquet_kv_metadata(${sqlString(local)}) WHERE decode(key) = ${sqlString(WATERMARK)}`)).getRows();
    const watermark = JSON.parse(String(meta[0]?.[0] ?? '{}')) as { offsets?: Record<string, number>; computed?: string };
    return {
      offsets: new Map(Object.entries(watermark.offsets ?? {}).map(([p, t]) => [Number(p), t])),
      counts: new Map(rows.map(([value, count]) => [String(value), Number(count)])),
      computed: watermark.computed ?? null,
    };
  });
}
