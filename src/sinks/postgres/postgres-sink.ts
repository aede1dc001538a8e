/**
 * The PostgreSQL sink, on node-postgres and pg-copy-streams. Exactly-once: one transaction per
 * write deletes the write's deletes (one statement over unnested key arrays), COPYs the rows into a
 * staging table, upserts the last row per key into the table, and upserts the positions into `<schema>.tributary_sink_positions`, keyed by job, table, topic and
 * partition.
 *
 * One connection per sink, and one operation at a time on it: a scan queued in the middle of a
 * write would otherwise run inside the write's transaction. A connection that failed is dropped
 * and the next call opens a new one; nothing is retried here, the job runner decides.
 *
 * When a COMMIT is lost with the connection, the caller gets SINK_UNAVAILABLE without knowing
 * whether the write committed: an exactly-once job reads `positions()` again before it resumes.
 */
import { z } from 'zod';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import type { from as copyFromType } from 'pg-copy-streams';
import { TributaryError } from '../../errors.ts';
import type { RecordPosition } from '../../log/log.ts';
import { SinkLifecycle } from '../lifecycle.ts';
import { checkDeletes, checkPositions, checkRows, fromInt64 } from '../rows.ts';
import type { SinkComponent } from '../sink-component.ts';
import type { ColumnType, Row, Sink, SinkContext, SinkWrite, TableSpec } from '../sink.ts';
import { checkContext, checkIdentifier, checkTableSpec, columnType, orderedColumns, quote } from '../table-spec.ts';
import { copyLines } from './copy-text.ts';
import { toPostgresSinkError } from './postgres-errors.ts';
import { PG_DATA_TYPES, deleteParams, postgresStatements, primaryKeySql, schemaExistsSql, tableColumnsSql, type PostgresStatements } from './postgres-sql.ts';

export interface PostgresSinkOptions {
  /** postgres://user@host:port/db (TRIBUTARY_POSTGRES_URL). */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** Schema of the table and of tributary_sink_positions, created if missing; default public. */
  schema?: string;
  /** How long connecting may take; default 10 s. */
  connectTimeoutMs?: number;
  /** Server-side limit on one statement (a COPY, the upsert); default 60 s. Hitting it is SINK_UNAVAILABLE. */
  statementTimeoutMs?: number;
}

interface Connection {
  client: Client;
  copyFrom: typeof copyFromType;
  /** Set when the client reported an error or ended: it cannot be used again. */
  broken: boolean;
}

export const postgresSinkConfigSchema: z.ZodType<PostgresSinkOptions> = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a URL starting with postgres://').describe('postgres://user@host:port/db'),
  password: z.string().min(1).optional().describe('Overrides a password in the URL'),
  schema: z.string().min(1).optional().describe('Schema of the table and of tributary_sink_positions; default public'),
  connectTimeoutMs: z.number().int().min(1).optional().describe('How long connecting may take; default 10 s'),
  statementTimeoutMs: z.number().int().min(1).optional().describe('Server-side limit on one statement; default 60 s'),
});

export const postgresSink: SinkComponent<PostgresSinkOptions> = {
  name: 'postgres',
  configSchema: postgresSinkConfigSchema,
  create(spec, ctx, options) {
    checkTableSpec(spec, 63);
    checkContext('postgres', ctx);
    if (typeof options?.url !== 'string' || options.url === '') throw new TributaryError('CONFIG_INVALID', 'postgres sink: options.url (postgres.url) is required');
    checkIdentifier(options.schema ?? 'public', 'postgres.schema', 63);
    return new PostgresSink(spec, ctx, options);
  },
};

/** Every value arrives as the server's text; parsing is ours, so no global pg.types setting changes what scan returns. */
const rawText = { getTypeParser: () => (value: string) => value };

class PostgresSink implements Sink {
  readonly guarantee = 'exactly-once';
  private readonly spec: TableSpec;
  private readonly job: string;
  private readonly options: PostgresSinkOptions;
  private readonly schema: string;
  private readonly columns: string[];
  private readonly sql: PostgresStatements;
  private readonly life: SinkLifecycle;
  private connection: Connection | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(spec: TableSpec, ctx: SinkContext, options: PostgresSinkOptions) {
    this.spec = spec;
    this.job = ctx.job;
    this.options = options;
    this.schema = options.schema ?? 'public';
    this.columns = orderedColumns(spec);
    this.sql = postgresStatements(this.schema, spec);
    this.life = new SinkLifecycle(`postgres sink for table ${this.schema}.${spec.name}`);
  }

  /** Runs `work` after every operation already queued, with a usable connection; drops the connection when it failed. */
  private serial<T>(operation: string, work: (connection: Connection) => Promise<T>): Promise<T> {
    const run = async () => {
      const connection = await this.connect().catch((error: unknown) => {
        throw toPostgresSinkError(error, this.spec.name, operation);
      });
      try {
        return await work(connection);
      } catch (error) {
        const failure = toPostgresSinkError(error, this.spec.name, operation);
        if (failure.code === 'SINK_UNAVAILABLE' || failure.code === 'INTERNAL') await this.disconnect();
        throw failure;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async connect(): Promise<Connection> {
    if (this.connection && !this.connection.broken) return this.connection;
    await this.disconnect();
    const [{ default: pg }, { from: copyFrom }] = await Promise.all([import('pg'), import('pg-copy-streams')]);
    const client = new pg.Client({
      connectionString: this.options.url,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
      statement_timeout: this.options.statementTimeoutMs ?? 60_000,
      application_name: `tributary sink ${this.spec.name}`,
      keepAlive: true,
      types: rawText,
    });
    const connection: Connection = { client, copyFrom, broken: false };
    // Without a listener an idle connection the server closes would crash the process.
    client.on('error', () => {
      connection.broken = true;
    });
    client.on('end', () => {
      connection.broken = true;
    });
    try {
      await client.connect();
      await client.query(this.sql.createStaging);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.connection = connection;
    return connection;
  }

  private async disconnect(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.client.end().catch(() => undefined);
  }

  async open(): Promise<void> {
    if (!this.life.beginOpen()) return;
    try {
      await this.serial('open', async ({ client }) => {
        const { rowCount } = await client.query(schemaExistsSql, [this.schema]);
        // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
        if (rowCount === 0) await createConcurrently(client, `CREATE SCHEMA IF NOT EXISTS ${quote(this.schema)}`);
        await createConcurrently(client, this.sql.createTable);
        await createConcurrently(client, this.sql.createPositions);
        await this.checkTable(client);
      });
      this.life.endOpen(true);
    } catch (error) {
      this.life.endOpen(false);
      await this.disconnect();
      throw error;
    }
  }

  /** A table made earlier under the same name must have the spec's columns, types and key. */
  private async checkTable(client: Client): Promise<void> {
    const name = `${this.schema}.${this.spec.name}`;
    const { rows } = await client.query<{ column_name: string; data_type: string }>(tableColumnsSql, [this.schema, this.spec.name]);
    const found = new Map(rows.map((r) => [r.column_name, r.data_type]));
    for (const column of this.columns) {
      const expected = PG_DATA_TYPES[columnType(this.spec, column)];
      const actual = found.get(column);
      if (actual !== expected) {
        throw new TributaryError('SINK_REJECTED', `postgres sink: table ${name} exists with other columns: expected column ${column} ${expected}, found ${actual ?? 'none'}`);
      }
    }
    const key = (await client.query<{ column_name: string }>(primaryKeySql, [this.schema, this.spec.name])).rows.map((r) => r.column_name);
    if (key.join(',') !== this.spec.key.join(',')) {
      throw new TributaryError('SINK_REJECTED', `postgres sink: table ${name} exists with primary key (${key.join(', ')}), not (${this.spec.key.join(', ')})`);
    }
  }

  async positions(): Promise<RecordPosition[]> {
    this.life.check('positions');
    return this.serial('positions', async ({ client }) => {
      const { rows } = await client.query<{ topic: string; partition: string; next_offset: string }>(this.sql.readPositions, [this.job, this.spec.name]);
      return rows.map((r) => ({ topic: r.topic, partition: Number(r.partition), offset: Number(r.next_offset) }));
    });
  }

  async write(batch: SinkWrite): Promise<void> {
    this.life.check('write');
    const deletes = batch.deletes ?? [];
    checkDeletes('postgres', this.spec, deletes);
    checkRows('postgres', this.spec, batch.rows);
    const positions = checkPositions('postgres', this.spec.name, batch.positions);
    if (batch.rows.length === 0 && deletes.length === 0 && positions.length === 0) return;
    await this.serial('write', async ({ client, copyFrom }) => {
      await client.query('BEGIN');
      try {
        // Deletes first, so a row of this write for a deleted key stays.
        if (deletes.length > 0) await client.query(this.sql.delete, deleteParams(this.spec, deletes));
        if (batch.rows.length > 0) {
          await pipeline(Readable.from(copyLines(this.spec, this.columns, batch.rows)), client.query(copyFrom(this.sql.copy)));
          await client.query(this.sql.upsert);
        }
        if (positions.length > 0) {
          await client.query(this.sql.savePositions, [this.job, this.spec.name, positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.offset)]);
        }
        await client.query('COMMIT');
      } catch (error) {
        // On a lost connection the server rolls back by itself; serial() then drops the connection.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async scan(): Promise<Row[]> {
    this.life.check('scan');
    return this.serial('scan', async ({ client }) => {
      const { rows } = await client.query<Record<string, string | null>>(this.sql.scan);
      return rows.map((stored) => {
        const row: Record<string, unknown> = {};
        for (const column of this.columns) row[column] = fromPostgresText(columnType(this.spec, column), stored[column] ?? null);
        return row;
      });
    });
  }

  async close(): Promise<void> {
    if (!this.life.close()) return;
    // After whatever is queued: closing under a running write would turn it into a lost connection.
    await this.tail;
    await this.disconnect();
  }
}

/** A value in the server's text output back as the JS value that was written (timestamps arrive as epoch milliseconds). */
function fromPostgresText(type: ColumnType, text: string | null): unknown {
  if (text === null) return null;
  switch (type) {
    case 'text':
      return text;
    case 'integer':
    case 'double':
      return Number(text);
    case 'bigint':
      return fromInt64(text);
    case 'boolean':
      return text === 't';
    case 'timestamp':
      return new Date(Number(text));
    case 'json':
      return JSON.parse(text) as unknown;
  }
}

/**
 * Runs an IF NOT EXISTS statement that another process may be running at the same moment: the
 * loser of that race gets a unique violation on the catalog (23505) or "already exists" (42P07,
 * 42P06) instead of the notice, and the object is there either way.
 */
async function createConcurrently(client: Client, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P07' && code !== '42P06') throw error;
  }
}
