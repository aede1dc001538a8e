/**
 * The Lake page's reader: the processed and curated zones' DuckLake tables as the catalog describes
 * them (snapshots, partitions, schema, data files with their sizes) and a bounded preview of a
 * table's rows at any snapshot still kept (time travel).
 *
 * Glossary (see lake/tables/tables.ts): a snapshot *touches* a table when its catalog change list
 * names the table (created, inserted into, deleted from, altered, compacted, dropped); a table's
 * files at snapshot S are the data files that began at or before S and had not ended by S.
 *
 * Everything runs on the SQL explorer's locked, read-only DuckDB (`withReadOnlyLake`), opened per
 * call and closed after it, so the catalog is never held against a batch run. Names coming from a
 * request are looked up with bind values and put into SQL only quoted (`ident`); a snapshot only as
 * a checked whole number.
 *
 * Errors: LAKE_NOT_FOUND (no such table, or not at that snapshot, or no such snapshot), CLI_USAGE (a
 * zone other than processed/curated, a snapshot that is not a whole number), LAKE_UNAVAILABLE (the
 * catalog cannot be attached; retryable), SQL_TIMEOUT (a preview past its time limit).
 */
import { stat } from 'node:fs/promises';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { TributaryError } from '../../errors.ts';
import { TABLES_ALIAS } from '../../lake/tables/open-tables.ts';
import { ident } from '../../lake/tables/sql.ts';
import type { TableZone, TablesSettings } from '../../lake/tables/tables.ts';
import type { LakeFile, LakeOverview, LakeRows, LakeSnapshot, LakeTableDetail, LakeTableSummary } from './lake-shapes.ts';
import { DEFAULT_SQL_LIMITS, toCell, withReadOnlyLake } from './sql-explorer.ts';

export const LAKE_ZONES: readonly TableZone[] = ['processed', 'curated'];
/** Rows a preview shows at most. */
export const MAX_PREVIEW_ROWS = 100;
/** Data files listed at most for one table (the partitions still count them all). */
export const MAX_FILES = 200;
const PREVIEW_TIMEOUT_MS = 15_000;

export interface LakeBrowser {
  overview(): Promise<LakeOverview>;
  table(zone: string, name: string, snapshot?: number): Promise<LakeTableDetail>;
  rows(zone: string, name: string, options?: { snapshot?: number; limit?: number }): Promise<LakeRows>;
  /**
   * The newest snapshot id, read again only when the catalog may have changed (an embedded catalog
   * file's size or time moved, and then stayed so until the next call; a PostgreSQL catalog at most
   * every 10 s); undefined while there is no catalog. For the UI's live samples: never throws.
   */
  currentSnapshot(): Promise<number | undefined>;
}

type Row = Record<string, unknown>;

async function rowsOf(c: DuckDBConnection, sql: string, values: DuckDBValue[] = []): Promise<Row[]> {
  return (await c.runAndReadAll(sql, values)).getRowObjectsJS();
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

function checkZone(zone: string): TableZone {
  if (!(LAKE_ZONES as readonly string[]).includes(zone)) throw new TributaryError('CLI_USAGE', `zone: expected one of ${LAKE_ZONES.join(', ')}, got "${zone}"`);
  return zone as TableZone;
}

export function checkSnapshot(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new TributaryError('CLI_USAGE', `snapshot: expected a snapshot id (a whole number), got "${text}"`);
  return Number(text);
}

/** `kind:value` entries of a DuckLake change list; values are ids or quoted names, which may hold commas. */
export function changeEntries(text: string): string[] {
  return [...text.matchAll(/([a-z_]+):((?:"(?:[^"]|"")*"(?:\."(?:[^"]|"")*")*)|[^,]*)/g)].map((m) => `${m[1]}:${m[2]}`);
}

function touches(entry: string, tableId: number, zone: string, name: string): boolean {
  const value = entry.slice(entry.indexOf(':') + 1);
  return value === String(tableId) || value === `${ident(zone)}.${ident(name)}`;
}

export function lakeBrowser(settings: TablesSettings): LakeBrowser {
  const meta = `${ident(`__ducklake_metadata_${TABLES_ALIAS}`)}.${ident(settings.catalog.kind === 'postgres' ? settings.catalog.schema : 'main')}`;
  const live = (alias: string, at = '$1') => `${alias}.begin_snapshot <= ${at} AND (${alias}.end_snapshot IS NULL OR ${alias}.end_snapshot > ${at})`;
  const open = <T>(use: (c: DuckDBConnection) => Promise<T>) => withReadOnlyLake(settings, DEFAULT_SQL_LIMITS.memoryLimit, use);

  const catalogMissing = async () => settings.catalog.kind === 'duckdb' && !(await stat(settings.catalog.file).catch(() => undefined));

  const current = async (c: DuckDBConnection) => num((await rowsOf(c, `SELECT max(snapshot_id) AS id FROM ${meta}.ducklake_snapshot`))[0]?.id);

  const snapshotChanges = async (c: DuckDBConnection) =>
    (
      await rowsOf(
        c,
        `SELECT s.snapshot_id AS id, s.snapshot_time AS time, c.changes_made AS changes, c.commit_message AS message
         FROM ${meta}.ducklake_snapshot s LEFT JOIN ${meta}.ducklake_snapshot_changes c USING (snapshot_id) ORDER BY s.snapshot_id DESC`,
      )
    ).map((r): LakeSnapshot => ({ id: num(r.id), time: iso(r.time), ...(typeof r.message === 'string' && r.message ? { message: r.message } : {}), changes: changeEntries(typeof r.changes === 'string' ? r.changes : '') }));

  /** The table's id at `snapshot`, or LAKE_NOT_FOUND naming it. */
  const tableId = async (c: DuckDBConnection, zone: TableZone, name: string, snapshot: number, newest: number): Promise<number> => {
    if (snapshot > newest) throw new TributaryError('LAKE_NOT_FOUND', `no snapshot ${snapshot} in the lake: the newest is ${newest}`);
    const found = await rowsOf(c, `SELECT t.table_id FROM ${meta}.ducklake_table t JOIN ${meta}.ducklake_schema s USING (schema_id) WHERE s.schema_name = $2 AND t.table_name = $3 AND ${live('t')} AND ${live('s')}`, [snapshot, zone, name]);
    if (found.length === 0) throw new TributaryError('LAKE_NOT_FOUND', `no table ${zone}.${name} in the lake${snapshot === newest ? '' : ` at snapshot ${snapshot}`}`);
    return num(found[0]!.table_id);
  };

  let seen: { fingerprint: string; id: number | undefined } | undefined;
  let settling: string | undefined;
  const fingerprint = async (): Promise<string> => {
    if (settings.catalog.kind === 'postgres') return String(Math.floor(Date.now() / 10_000));
    const parts = await Promise.all([settings.catalog.file, `${settings.catalog.file}.wal`].map((f) => stat(f).then((s) => `${s.size}@${s.mtimeMs}`, () => '-')));
    return parts.join('|');
  };

  return {
    async overview() {
      if (await catalogMissing()) return { zones: LAKE_ZONES.map((zone) => ({ zone, tables: [] })) };
      return open(async (c) => {
        const newest = await current(c);
        const tables = await rowsOf(
          c,
          `SELECT s.schema_name AS zone, t.table_name AS name, t.table_id AS id, coalesce(st.record_count, 0) AS rows,
             (SELECT count(*) FROM ${meta}.ducklake_data_file f WHERE f.table_id = t.table_id AND f.end_snapshot IS NULL) AS files,
             (SELECT coalesce(sum(f.file_size_bytes), 0) FROM ${meta}.ducklake_data_file f WHERE f.table_id = t.table_id AND f.end_snapshot IS NULL) AS bytes
           FROM ${meta}.ducklake_table t JOIN ${meta}.ducklake_schema s USING (schema_id) LEFT JOIN ${meta}.ducklake_table_stats st USING (table_id)
           WHERE t.end_snapshot IS NULL AND s.end_snapshot IS NULL ORDER BY zone, name`,
        );
        const changes = await snapshotChanges(c);
        return {
          current: newest,
          zones: LAKE_ZONES.map((zone) => ({
            zone,
            tables: tables
              .filter((t) => t.zone === zone)
              .map((t): LakeTableSummary => {
                const mine = changes.filter((s) => s.changes.some((e) => touches(e, num(t.id), zone, String(t.name))));
                return { zone, name: String(t.name), rows: num(t.rows), files: num(t.files), bytes: num(t.bytes), snapshots: mine.length, ...(mine[0] ? { lastChanged: { id: mine[0].id, time: mine[0].time } } : {}) };
              }),
          })),
        };
      });
    },

    async table(zoneText, name, snapshot) {
      const zone = checkZone(zoneText);
      if (await catalogMissing()) throw new TributaryError('LAKE_NOT_FOUND', `no table ${zone}.${name} in the lake: it has no tables yet`);
      return open(async (c) => {
        const newest = await current(c);
        const at = snapshot ?? newest;
        const id = await tableId(c, zone, name, at, newest);
        const columns = (await rowsOf(c, `DESCRIBE SELECT * FROM ${ident(TABLES_ALIAS)}.${ident(zone)}.${ident(name)} AT (VERSION => ${at})`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
        const partitionBy = (
          await rowsOf(
            c,
            `SELECT col.column_name AS column, pc.transform FROM ${meta}.ducklake_partition_info p JOIN ${meta}.ducklake_partition_column pc USING (partition_id, table_id)
             JOIN ${meta}.ducklake_column col ON col.table_id = pc.table_id AND col.column_id = pc.column_id AND ${live('col')}
             WHERE p.table_id = $2 AND ${live('p')} ORDER BY pc.partition_key_index`,
            [at, id],
          )
        ).map((r) => ({ column: String(r.column), transform: String(r.transform) }));
        const keys = partitionBy.map((p) => p.column);
        const files = await rowsOf(
          c,
          `SELECT f.path, f.record_count AS rows, f.file_size_bytes AS bytes,
             (SELECT list(v.partition_value ORDER BY v.partition_key_index) FROM ${meta}.ducklake_file_partition_value v WHERE v.data_file_id = f.data_file_id AND v.table_id = f.table_id) AS partition
           FROM ${meta}.ducklake_data_file f WHERE f.table_id = $2 AND ${live('f')} ORDER BY f.path`,
          [at, id],
        );
        const toFile = (r: Row): LakeFile => ({
          path: String(r.path),
          rows: num(r.rows),
          bytes: num(r.bytes),
          partition: Object.fromEntries(((r.partition as unknown[] | null) ?? []).map((v, i) => [keys[i] ?? `#${i}`, String(v)])),
        });
        const all = files.map(toFile);
        const partitions = new Map<string, LakeTableDetail['partitions'][number]>();
        for (const f of all) {
          const key = JSON.stringify(f.partition);
          const p = partitions.get(key) ?? { values: f.partition, files: 0, rows: 0, bytes: 0 };
          p.files += 1;
          p.rows += f.rows;
          p.bytes += f.bytes;
          partitions.set(key, p);
        }
        const count = await rowsOf(c, `SELECT count(*) AS n FROM ${ident(TABLES_ALIAS)}.${ident(zone)}.${ident(name)} AT (VERSION => ${at})`);
        const snapshots = (await snapshotChanges(c)).filter((s) => s.changes.some((e) => touches(e, id, zone, name)));
        return {
          zone,
          name,
          snapshot: at,
          current: newest,
          rows: num(count[0]?.n),
          columns,
          partitionBy,
          partitions: [...partitions.values()].sort((a, b) => JSON.stringify(a.values).localeCompare(JSON.stringify(b.values))),
          files: all.slice(0, MAX_FILES),
          filesTotal: all.length,
          bytesTotal: all.reduce((n, f) => n + f.bytes, 0),
          snapshots,
        };
      });
    },

    async rows(zoneText, name, options = {}) {
      const zone = checkZone(zoneText);
      const limit = Math.min(MAX_PREVIEW_ROWS, Math.max(1, options.limit ?? MAX_PREVIEW_ROWS));
      if (await catalogMissing()) throw new TributaryError('LAKE_NOT_FOUND', `no table ${zone}.${name} in the lake: it has no tables yet`);
      return open(async (c) => {
        const newest = await current(c);
        const at = options.snapshot ?? newest;
        await tableId(c, zone, name, at, newest);
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          c.interrupt();
        }, PREVIEW_TIMEOUT_MS);
        try {
          const reader = await c.runAndReadUntil(`SELECT * FROM ${ident(TABLES_ALIAS)}.${ident(zone)}.${ident(name)} AT (VERSION => ${at}) LIMIT ${limit + 1}`, limit + 1);
          const names = reader.columnNames();
          const types = reader.columnTypes().map((t) => t.toString());
          const all = reader.getRows();
          return { snapshot: at, columns: names.map((n, i) => ({ name: n, type: types[i]! })), rows: all.slice(0, limit).map((row) => row.map((v) => toCell(v))), truncated: all.length > limit };
        } catch (error) {
          if (timedOut) throw new TributaryError('SQL_TIMEOUT', `the preview of ${zone}.${name} ran past ${PREVIEW_TIMEOUT_MS} ms and was stopped`, { cause: error });
          throw error;
        } finally {
          clearTimeout(timer);
        }
      });
    },

    async currentSnapshot() {
      try {
        const print = await fingerprint();
        if (seen?.fingerprint === print) return seen.id;
        // The catalog changed: read it once it has stayed unchanged for a round, so that a writer
        // committing several times in a row does not find the file held by this read in between.
        if (seen !== undefined && print !== settling) {
          settling = print;
          return seen.id;
        }
        const id = (await catalogMissing()) ? undefined : await open(current);
        seen = { fingerprint: print, id };
        return id;
      } catch {
        return seen?.id;
      }
    },
  };
}
