/**
 * The batch layer of a field count: DuckDB counts the archived raw zone up to a high-watermark and
 * stores the result as the lake table `curated.<view>` (columns value, count), with its watermark
 * in `serving.<view>` (one row: the offsets per partition as JSON, the bucket size, when it was
 * computed). A recompute replaces both in one transaction, so every snapshot of the lake holds a
 * batch view and the watermark it was counted to, and `--as-of <snapshot>` reads both as they were.
 *
 * The high-watermark T_p of partition p is the archiver's committed position rounded down to a
 * bucket boundary (field-counts.ts), read from the same raw manifest version as the files the
 * count reads, so the view is exactly the records below T_p whatever the archiver does meanwhile.
 * DuckDB reads the archive in place where it can (`uriOf`: local files, or the tables' own bucket).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { archivedRanges, positionsOf, topicDataset } from '../../batch/archiver-layout.ts';
import { uriOf } from '../../batch/run-batch-job.ts';
import { isTributaryError, TributaryError } from '../../errors.ts';
import { readManifest, visibleFiles, type Manifest } from '../../lake/catalog.ts';
import type { Lake } from '../../lake/lake.ts';
import { asOfClause } from '../../lake/tables/open-tables.ts';
import { ident, literal, query } from '../../lake/tables/sql.ts';
import type { AsOf, LakeTables } from '../../lake/tables/tables.ts';
import { prepareTable, replacePartitions } from '../../lake/tables/write.ts';
import { bucketSize, countedSql, fieldSql, type BatchCounts, type FieldCountsOptions } from './field-counts.ts';

/** Runs `fn` with the lake's tables attached (for the call only, in the runtime: `ctx.withTables`). */
export type WithTables = <T>(fn: (tables: LakeTables) => Promise<T>) => Promise<T>;

/** The schema of the batch views' watermarks, beside the zones' schemas. */
export const WATERMARK_SCHEMA = 'serving';
const WATERMARK_COLUMNS = [
  { name: 'topic', type: 'VARCHAR' },
  { name: 'bucket_offsets', type: 'BIGINT' },
  { name: 'offsets', type: 'VARCHAR' },
  { name: 'computed', type: 'VARCHAR' },
] as const;
const VIEW_COLUMNS = [
  { name: 'value', type: 'VARCHAR' },
  { name: 'count', type: 'BIGINT' },
];

export interface PublishedCounts extends BatchCounts {
  /** The lake snapshot that holds this batch view. */
  snapshot: number;
}

/** The id of the snapshot `asOf` names: itself, or for a time the newest snapshot at or before it. */
async function snapshotId(tables: LakeTables, asOf: AsOf): Promise<number | undefined> {
  if ('version' in asOf) return asOf.version;
  const at = asOf.time.getTime();
  return (await tables.snapshots()).filter((s) => s.time.getTime() <= at).at(-1)?.id;
}

const watermarkTable = (tables: LakeTables, view: string) => `${ident(tables.alias)}.${ident(WATERMARK_SCHEMA)}.${ident(view)}`;

async function rawManifest(lake: Lake, topic: string): Promise<Manifest | undefined> {
  try {
    return await readManifest(lake, 'raw', topicDataset(topic));
  } catch (error) {
    if (isTributaryError(error, 'LAKE_NOT_FOUND')) return undefined;
    throw error;
  }
}

/** Recount the raw zone up to its bucket-aligned archived positions and publish the batch view. */
export async function recomputeFieldCounts(lake: Lake, withTables: WithTables, options: FieldCountsOptions): Promise<PublishedCounts> {
  const size = bucketSize(options);
  const raw = await rawManifest(lake, options.topic);
  const archived = raw ? positionsOf(archivedRanges(raw, options.topic)) : new Map<number, number>();
  const offsets = new Map([...archived].map(([p, next]) => [p, Math.floor(next / size) * size]));
  const computed = new Date().toISOString();
  const bounds = [...offsets].filter(([, t]) => t > 0).map(([p, t]) => `("partition" = ${p} AND "offset" < ${t})`);
  const watermark = { topic: options.topic, bucketOffsets: size, offsets: Object.fromEntries(offsets), computed };
  return withTables(async (tables) => {
    const files = raw ? await Promise.all(visibleFiles(raw).map((f) => uriOf(lake, tables)(f.key))) : [];
    const source =
      files.length === 0 || bounds.length === 0
        ? `SELECT NULL::VARCHAR AS value, 0::BIGINT AS count WHERE false`
        : `SELECT ${fieldSql(options.field)} AS value, count(*)::BIGINT AS count FROM read_parquet([${files.map(literal).join(', ')}]) WHERE ${countedSql} AND (${bounds.join(' OR ')}) GROUP BY ALL`;
    const c = await tables.instance.connect();
    try {
      // Counted before the transaction, so that it holds the catalog only for the swap.
      await c.run(`CREATE OR REPLACE TEMP TABLE field_counts AS ${source}`);
      const { snapshot } = await tables.transaction(
        async (t) => {
          const spec = { zone: 'curated' as const, dataset: options.name, columns: VIEW_COLUMNS, evolve: false };
          await prepareTable(t, tables, spec);
          await replacePartitions(t, tables, spec, 'all', `SELECT value, count FROM field_counts`);
          await t.run(`CREATE SCHEMA IF NOT EXISTS ${ident(tables.alias)}.${ident(WATERMARK_SCHEMA)}`);
          await t.run(`CREATE TABLE IF NOT EXISTS ${watermarkTable(tables, options.name)} (${WATERMARK_COLUMNS.map((col) => `${ident(col.name)} ${col.type}`).join(', ')})`);
          await t.run(`DELETE FROM ${watermarkTable(tables, options.name)}`);
          await t.run(`INSERT INTO ${watermarkTable(tables, options.name)} VALUES (${literal(options.topic)}, ${size}, ${literal(JSON.stringify(watermark.offsets))}, ${literal(computed)})`);
        },
        `batch-view:${options.name} ${computed}`,
        c,
      );
      const counts = new Map((await query(c, `SELECT value, count::DOUBLE AS n FROM field_counts`)).map((r) => [String(r.value), Number(r.n)]));
      return { offsets, counts, computed, snapshot };
    } finally {
      await c.run('DROP TABLE IF EXISTS field_counts').catch(() => undefined);
      c.closeSync();
    }
  });
}

/**
 * The batch view as last published; empty (T = 0 everywhere) before the first recompute. With
 * `asOf`, as the lake's snapshot `asOf` held it (LAKE_NOT_FOUND when the view did not exist then).
 */
export async function readFieldCounts(withTables: WithTables, options: FieldCountsOptions, asOf?: AsOf): Promise<BatchCounts> {
  return withTables(async (tables) => {
    if (!(await tables.exists('curated', options.name))) {
      if (asOf) throw new TributaryError('LAKE_NOT_FOUND', `No batch view curated.${options.name} in the lake, so none as of that snapshot`);
      return { offsets: new Map(), counts: new Map(), computed: null };
    }
    // Both tables at one snapshot: a recompute committing between the two reads cannot mix them.
    const at = asOf ?? { version: await tables.currentSnapshot() };
    await tables.columns('curated', options.name, at);
    const c = await tables.instance.connect();
    try {
      const snapshot = await snapshotId(tables, at);
      return { ...(await readAt(c, tables, options, at)), ...(snapshot === undefined ? {} : { snapshot }) };
    } finally {
      c.closeSync();
    }
  });
}

async function readAt(c: DuckDBConnection, tables: LakeTables, options: FieldCountsOptions, at: AsOf): Promise<BatchCounts> {
  const rows = await query(c, `SELECT value, count::DOUBLE AS n FROM ${tables.relation('curated', options.name, at)}`);
  const marks = await query(c, `SELECT offsets, computed FROM ${watermarkTable(tables, options.name)}${asOfClause(at)}`);
  const mark = marks[0] as { offsets: string; computed: string } | undefined;
  const offsets = JSON.parse(mark?.offsets ?? '{}') as Record<string, number>;
  return {
    offsets: new Map(Object.entries(offsets).map(([p, t]) => [Number(p), t])),
    counts: new Map(rows.map((r) => [String(r.value), Number(r.n)])),
    computed: mark ? mark.computed : null,
  };
}
