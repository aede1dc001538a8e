/**
 * Attaching the lake's DuckLake catalog to a DuckDB instance, and the LakeTables over it.
 *
 * Where things go follows the other areas' backends (tablesSettings): the catalog follows
 * `metadata.backend` (embedded: `<dataDir>/lake-tables.ducklake`, a DuckDB file that one process
 * opens at a time; postgres: the metadata schema `<postgres.schema>_lake` in `postgres.url`'s
 * database), the data follows `lake.backend` (fs: `<dataDir>/lake/tables/`; s3: `s3://<bucket>/tables/`).
 * Credentials go into DuckDB secrets, never into a statement's text, so no error message shows them.
 */
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../../config/schema.ts';
import { TributaryError, isTributaryError } from '../../errors.ts';
import { leaseCatalog } from './catalog-lease.ts';
import { ensureExtensions } from './extensions.ts';
import { firstLine, ident, literal, query } from './sql.ts';
import type { AsOf, Column, LakeTables, Snapshot, TableZone, TablesSettings } from './tables.ts';

export const TABLES_ALIAS = 'lake';

/** Where the tables live for this config (see the module comment). */
export function tablesSettings(config: Readonly<Config>, cwd = process.cwd()): TablesSettings {
  const dataDir = path.resolve(cwd, config.dataDir);
  let catalog: TablesSettings['catalog'];
  if (config.metadata.backend === 'postgres') {
    if (!config.postgres.url) throw new TributaryError('CONFIG_INVALID', 'postgres.url is required when metadata.backend is "postgres"');
    catalog = { kind: 'postgres', url: config.postgres.url, ...(config.postgres.password ? { password: config.postgres.password } : {}), schema: `${config.postgres.schema}_lake` };
  } else {
    catalog = { kind: 'duckdb', file: path.join(dataDir, 'lake-tables.ducklake') };
  }
  let data: TablesSettings['data'];
  if (config.lake.backend === 's3') {
    const { endpoint, region, bucket, forcePathStyle, accessKeyId, secretAccessKey } = config.s3;
    if (accessKeyId === undefined || secretAccessKey === undefined) throw new TributaryError('CONFIG_INVALID', 's3.accessKeyId and s3.secretAccessKey are required when lake.backend is "s3"');
    data = { kind: 's3', bucket, prefix: 'tables/', ...(endpoint ? { endpoint } : {}), region, forcePathStyle, accessKeyId, secretAccessKey };
  } else {
    data = { kind: 'fs', dir: path.join(dataDir, 'lake', 'tables') };
  }
  return { catalog, data };
}

/** The libpq connection string of a postgres:// URL, without its password (that goes in a secret). */
function libpq(url: string): { conninfo: string; password?: string } {
  const u = new URL(url);
  const parts: string[] = [];
  const add = (key: string, value: string | undefined) => {
    if (value) parts.push(`${key}=${value.includes(' ') || value.includes("'") ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : value}`);
  };
  add('host', u.hostname.replace(/^\[|\]$/g, ''));
  add('port', u.port);
  add('user', decodeURIComponent(u.username));
  add('dbname', decodeURIComponent(u.pathname.replace(/^\//, '')));
  for (const [key, value] of u.searchParams) add(key, value);
  return { conninfo: parts.join(' '), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) };
}

/** The statements that attach the catalog: secrets first, then ATTACH. */
export function attachStatements(settings: TablesSettings, alias = TABLES_ALIAS): string[] {
  const statements: string[] = [];
  let dataPath: string;
  if (settings.data.kind === 's3') {
    const d = settings.data;
    const endpoint = d.endpoint ? new URL(d.endpoint) : undefined;
    const options = [
      `TYPE s3`,
      `KEY_ID ${literal(d.accessKeyId)}`,
      `SECRET ${literal(d.secretAccessKey)}`,
      `REGION ${literal(d.region)}`,
      `URL_STYLE ${literal(d.forcePathStyle ? 'path' : 'vhost')}`,
      `SCOPE ${literal(`s3://${d.bucket}`)}`,
      ...(endpoint ? [`ENDPOINT ${literal(endpoint.host)}`, `USE_SSL ${endpoint.protocol === 'https:'}`] : []),
    ];
    statements.push(`CREATE OR REPLACE TEMPORARY SECRET ${ident(`${alias}_s3`)} (${options.join(', ')})`);
    dataPath = `s3://${d.bucket}/${d.prefix}`;
  } else {
    dataPath = `${settings.data.dir.replace(/\/+$/, '')}/`;
  }
  let target: string;
  const options = [`DATA_PATH ${literal(dataPath)}`];
  if (settings.catalog.kind === 'postgres') {
    const { conninfo, password } = libpq(settings.catalog.url);
    const secret = settings.catalog.password ?? password;
    if (secret !== undefined) {
      // The postgres extension fills what the connection string leaves out from this secret.
      statements.push(`CREATE OR REPLACE TEMPORARY SECRET ${ident(`${alias}_pg`)} (TYPE postgres, PASSWORD ${literal(secret)})`);
    }
    target = `ducklake:postgres:${conninfo}`;
    options.push(`METADATA_SCHEMA ${literal(settings.catalog.schema)}`);
  } else {
    target = `ducklake:${settings.catalog.file}`;
  }
  statements.push(`ATTACH IF NOT EXISTS ${literal(target)} AS ${ident(alias)} (${options.join(', ')})`);
  return statements;
}

export function dataPathOf(settings: TablesSettings): string {
  return settings.data.kind === 's3' ? `s3://${settings.data.bucket}/${settings.data.prefix}` : `${settings.data.dir.replace(/\/+$/, '')}/`;
}

export interface OpenTablesOptions {
  /** Attach to this instance (opened with `extensionDirectory`); default: open an in-memory one. */
  instance?: DuckDBInstance;
  /** DuckDB settings for the instance this opens (e.g. threads, memory_limit); default two threads. */
  settings?: Record<string, string>;
}

/** DuckDB settings any instance that attaches the lake needs. */
export async function duckSettings(settings: Pick<TablesSettings, 'extensionDirectory'>): Promise<Record<string, string>> {
  const directory = await ensureExtensions(settings.extensionDirectory);
  return { extension_directory: directory, autoinstall_known_extensions: 'false', autoload_known_extensions: 'true' };
}

function unavailable(error: unknown, settings: TablesSettings): TributaryError {
  if (isTributaryError(error)) return error;
  const where = settings.catalog.kind === 'postgres' ? 'the PostgreSQL catalog' : settings.catalog.file;
  return new TributaryError('LAKE_UNAVAILABLE', `Cannot attach the lake's tables (catalog ${where}, data ${dataPathOf(settings)}): ${firstLine(error)}`, { cause: error, retryable: true });
}

export function conflictOrSelf(error: unknown, what: string): unknown {
  if (isTributaryError(error)) return error;
  const message = firstLine(error);
  if (/conflict/i.test(message)) return new TributaryError('LAKE_TABLE_CONFLICT', `${what}: another writer committed a change to the same table first (${message}); retry`, { cause: error, retryable: true });
  return error;
}

/**
 * An embedded catalog is one DuckDB file, and DuckDB's lock on it is held per process: two DuckDB
 * instances of one process could both open it, and each would write over the other's changes (checked:
 * two instances inserting into one table each saw only their own rows). So every handle of one
 * process on an embedded catalog shares one instance with the catalog attached, counted; the last
 * close closes it, and so releases the file to other processes.
 */
interface SharedCatalog {
  instance: Promise<DuckDBInstance>;
  handles: number;
}
const sharedCatalogs = new Map<string, SharedCatalog>();

export async function openLakeTables(settings: TablesSettings, options: OpenTablesOptions = {}): Promise<LakeTables> {
  const duck = await duckSettings(settings);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  // Partitioned writes keep a file open per partition: DuckDB's default of 100 would close and reopen
  // files over and over for a table of hundreds of dates, writing many small files.
  const instanceSettings = { threads: '2', partitioned_write_max_open_files: '4096', ...options.settings };
  const alias = TABLES_ALIAS;
  if (settings.catalog.kind === 'duckdb' && !options.instance) {
    const key = path.resolve(settings.catalog.file);
    let shared = sharedCatalogs.get(key);
    if (!shared) {
      const created = { handles: 0 } as SharedCatalog;
      created.instance = (async () => {
        let instance: DuckDBInstance | undefined;
        try {
          instance = await DuckDBInstance.create(':memory:', { ...instanceSettings, ...duck });
          await attach(instance, settings, alias);
        } catch (error) {
          instance?.closeSync();
          throw error;
        }
        return instance;
      })();
      shared = created;
      sharedCatalogs.set(key, created);
      created.instance.catch(() => {
        if (sharedCatalogs.get(key) === created) sharedCatalogs.delete(key);
      });
    }
    // Counted before any wait, so that the last other handle closing meanwhile leaves the instance open.
    shared.handles++;
    let instance: DuckDBInstance;
    try {
      instance = await shared.instance;
      if (options.settings && shared.handles > 1) {
        // A handle that asks for its own settings (a batch run's threads and memory) applies them to the shared instance.
        const c = await instance.connect();
        try {
          for (const [name, value] of Object.entries(options.settings)) await c.run(`SET ${name} = ${literal(value)}`);
        } finally {
          c.closeSync();
        }
      }
    } catch (error) {
      if (--shared.handles === 0) {
        if (sharedCatalogs.get(key) === shared) sharedCatalogs.delete(key);
        void shared.instance.then((failed) => failed.closeSync(), () => undefined);
      }
      throw unavailable(error, settings);
    }
    const entry = shared;
    return new DuckLakeTables(instance, alias, settings, () => {
      if (--entry.handles > 0) return;
      if (sharedCatalogs.get(key) === entry) sharedCatalogs.delete(key);
      instance.closeSync();
    });
  }
  const own = !options.instance;
  const instance = options.instance ?? (await DuckDBInstance.create(':memory:', { ...instanceSettings, ...duck }));
  try {
    if (!own) {
      const setup = await instance.connect();
      try {
        for (const [name, value] of Object.entries(duck)) await setup.run(`SET ${name} = ${literal(value)}`);
      } finally {
        setup.closeSync();
      }
    }
    await attach(instance, settings, alias);
  } catch (error) {
    if (own) instance.closeSync();
    throw unavailable(error, settings);
  }
  return new DuckLakeTables(instance, alias, settings, own ? () => instance.closeSync() : undefined);
}

/** Attaches the catalog, one attach of a catalog at a time in this process (catalog-lease.ts), and makes the zones' schemas. */
async function attach(instance: DuckDBInstance, settings: TablesSettings, alias: string): Promise<void> {
  const release = await leaseCatalog(settings.catalog.kind === 'duckdb' ? `duckdb:${settings.catalog.file}` : `postgres:${settings.catalog.url}|${settings.catalog.schema}`);
  const setup = await instance.connect();
  try {
    for (const statement of attachStatements(settings, alias)) await setup.run(statement);
    for (const zone of ['processed', 'curated']) await setup.run(`CREATE SCHEMA IF NOT EXISTS ${ident(alias)}.${ident(zone)}`);
  } catch (error) {
    throw unavailable(error, settings);
  } finally {
    setup.closeSync();
    release();
  }
}

/** ` AT (VERSION => n)` or ` AT (TIMESTAMP => t)`, for any relation of the attached catalog; "" for the current rows. */
export function asOfClause(asOf: AsOf | undefined): string {
  if (!asOf) return '';
  if ('version' in asOf) {
    if (!Number.isSafeInteger(asOf.version) || asOf.version < 0) throw new TributaryError('CLI_USAGE', `A snapshot is a whole number, got ${asOf.version}`);
    return ` AT (VERSION => ${asOf.version})`;
  }
  return ` AT (TIMESTAMP => ${literal(asOf.time.toISOString())}::TIMESTAMPTZ)`;
}

class DuckLakeTables implements LakeTables {
  readonly catalog: LakeTables['catalog'];
  readonly metadataSchema: string;
  readonly dataPath: string;
  readonly alias: string;
  readonly instance: DuckDBInstance;
  /** Closes what this handle holds: its own instance, or its share of one; without, the catalog is detached from the caller's instance. */
  private readonly release: (() => void) | undefined;
  private closed = false;

  constructor(instance: DuckDBInstance, alias: string, settings: TablesSettings, release: (() => void) | undefined) {
    this.instance = instance;
    this.release = release;
    this.alias = alias;
    this.catalog = settings.catalog.kind;
    this.metadataSchema = settings.catalog.kind === 'postgres' ? settings.catalog.schema : 'main';
    this.dataPath = dataPathOf(settings);
  }

  qualified(zone: TableZone, dataset: string): string {
    return `${ident(this.alias)}.${ident(zone)}.${ident(dataset)}`;
  }

  relation(zone: TableZone, dataset: string, asOf?: AsOf): string {
    return `${this.qualified(zone, dataset)}${asOfClause(asOf)}`;
  }

  private async read<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new TributaryError('LAKE_UNAVAILABLE', 'The lake tables were used after close()', { retryable: false });
    const connection = await this.instance.connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  }

  async exists(zone: TableZone, dataset: string): Promise<boolean> {
    return this.read(async (c) => {
      const found = await query(c, `SELECT 1 FROM duckdb_tables() WHERE database_name = ${literal(this.alias)} AND schema_name = ${literal(zone)} AND table_name = ${literal(dataset)}`);
      return found.length > 0;
    });
  }

  async columns(zone: TableZone, dataset: string, asOf?: AsOf): Promise<Column[]> {
    return this.read(async (c) => {
      try {
        const described = await query(c, `DESCRIBE SELECT * FROM ${this.relation(zone, dataset, asOf)}`);
        return described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      } catch (error) {
        throw new TributaryError('LAKE_NOT_FOUND', `No table ${zone}.${dataset} in the lake${asOf ? ' at that snapshot' : ''}: ${firstLine(error)}`, { cause: error });
      }
    });
  }

  async snapshots(): Promise<Snapshot[]> {
    return this.read(async (c) => {
      const found = await query(c, `SELECT snapshot_id, snapshot_time, commit_message, to_json(changes)::VARCHAR AS changes FROM ${ident(this.alias)}.snapshots() ORDER BY snapshot_id`);
      return found.map((r) => ({
        id: Number(r.snapshot_id),
        time: r.snapshot_time as Date,
        ...(typeof r.commit_message === 'string' && r.commit_message ? { message: r.commit_message } : {}),
        changes: JSON.parse(typeof r.changes === 'string' ? r.changes : '{}') as Record<string, unknown>,
      }));
    });
  }

  async currentSnapshot(): Promise<number> {
    return this.read(async (c) => Number((await query(c, `SELECT id FROM ${ident(this.alias)}.current_snapshot()`))[0]?.id ?? 0));
  }

  async transaction<T>(fn: (connection: DuckDBConnection) => Promise<T>, message?: string, connection?: DuckDBConnection): Promise<{ value: T; snapshot: number }> {
    const on = connection ? <R>(f: (c: DuckDBConnection) => Promise<R>) => f(connection) : <R>(f: (c: DuckDBConnection) => Promise<R>) => this.read(f);
    return on(async (c) => {
      await c.run('BEGIN TRANSACTION');
      let value: T;
      try {
        value = await fn(c);
        if (message) await c.run(`CALL ${ident(this.alias)}.set_commit_message('tributary', ${literal(message)})`);
        await c.run('COMMIT');
      } catch (error) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw conflictOrSelf(error, message ?? 'lake transaction');
      }
      const snapshot = Number((await query(c, `SELECT id FROM ${ident(this.alias)}.last_committed_snapshot()`).catch(() => [] as Record<string, unknown>[]))[0]?.id ?? (await this.currentSnapshotOn(c)));
      return { value, snapshot };
    });
  }

  private async currentSnapshotOn(c: DuckDBConnection): Promise<number> {
    return Number((await query(c, `SELECT id FROM ${ident(this.alias)}.current_snapshot()`))[0]?.id ?? 0);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.release) this.release();
    else {
      return (async () => {
        const c = await this.instance.connect();
        try {
          await c.run(`DETACH ${ident(this.alias)}`);
        } catch {
          // Already detached, or the instance is closing: nothing holds the catalog any more.
        } finally {
          c.closeSync();
        }
      })();
    }
    return Promise.resolve();
  }
}
