/**
 * The Cassandra sink, on cassandra-driver. Idempotent: a write is prepared DELETEs by primary key
 * and INSERTs (upserts), deduplicated by key (the last row wins), sent as one request per partition
 * (an UNLOGGED batch when several share it), many requests at a time. It keeps no positions: the job
 * commits its log offsets after a write succeeded and replays from there after a crash.
 *
 * A write that fails may have applied some partitions and not others; replaying it is harmless,
 * since every row is an upsert and every delete removes a key or finds nothing. Rows replace each
 * other in the order of the client's write timestamps (last write wins), which the driver keeps
 * increasing within one process.
 *
 * Deletes before upserts: a delete of a key that the same write upserts is left out. The upsert
 * sets every column (a missing one to null), so the row ends as the delete-then-upsert would leave
 * it; sending both could not work anyway, since statements of one batch share a write timestamp and
 * Cassandra lets a delete win a tie. Every other delete is of a key no row of the write touches, so
 * deletes and upserts may go out together, in any order, grouped by partition.
 */
import { z } from 'zod';
import type { Client } from 'cassandra-driver';
import { TributaryError } from '../../errors.ts';
import type { RecordPosition } from '../../log/log.ts';
import { SinkLifecycle } from '../lifecycle.ts';
import { checkDeletes, checkPositions, checkRows, compareByKey, keyOf } from '../rows.ts';
import type { SinkComponent } from '../sink-component.ts';
import type { Row, Sink, SinkWrite, TableSpec } from '../sink.ts';
import { checkContext, checkIdentifier, checkTableSpec, columnType, orderedColumns } from '../table-spec.ts';
import { partitionBatches, runBounded } from './batches.ts';
import { CQL_TYPES, cassandraStatements, estimateBytes, fromCassandra, rowToCassandra, tableColumnsCql, toCassandra, type CassandraStatements } from './cassandra-cql.ts';
import { toCassandraSinkError } from './cassandra-errors.ts';

export type CassandraConsistency = 'one' | 'localOne' | 'quorum' | 'localQuorum' | 'all';

export interface CassandraSinkOptions {
  /** host:port (TRIBUTARY_CASSANDRA_CONTACT_POINTS). */
  contactPoints: readonly string[];
  /** The local data center, for the load-balancing policy. */
  datacenter: string;
  /** Created if missing, with `replication`. */
  keyspace: string;
  username?: string;
  password?: string;
  /** Replication of a keyspace the sink creates; default SimpleStrategy with replication factor 1. */
  replication?: Readonly<Record<string, string | number>>;
  /** Consistency of writes and scans; default localQuorum. */
  consistency?: CassandraConsistency;
  /** Rows per UNLOGGED batch; default 100. */
  maxBatchRows?: number;
  /** Approximate bytes per batch; default 256 KiB. */
  maxBatchBytes?: number;
  /** Requests in flight per write; default 32. */
  concurrency?: number;
  connectTimeoutMs?: number;
  /** Per request, client side; default 12 s (the driver's). */
  readTimeoutMs?: number;
}

/** One prepared statement of a write; `row` is the index of the row an upsert came from. */
interface Statement {
  query: string;
  /** Key columns first in both statements, so params[0] is the partition key's value. */
  params: unknown[];
  row?: number;
}

const DEFAULT_REPLICATION = { class: 'SimpleStrategy', replication_factor: 1 };

function checkReplication(replication: Readonly<Record<string, string | number>>): void {
  for (const [key, value] of Object.entries(replication)) {
    const valid = /^[A-Za-z0-9_.-]+$/.test(key) && (typeof value === 'number' ? Number.isInteger(value) && value > 0 : /^[A-Za-z0-9_.]+$/.test(value));
    if (!valid) throw new TributaryError('CONFIG_INVALID', `cassandra sink: invalid replication setting ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  }
  if (typeof replication.class !== 'string') throw new TributaryError('CONFIG_INVALID', 'cassandra sink: replication needs a class (e.g. SimpleStrategy)');
}

export const cassandraSinkConfigSchema: z.ZodType<CassandraSinkOptions> = z.strictObject({
  contactPoints: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1).describe('host:port of the contact points'),
  datacenter: z.string().min(1).describe('The local data center, for the load-balancing policy'),
  keyspace: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case CQL identifier').describe('Created if missing, with replication'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  replication: z.record(z.string(), z.union([z.string(), z.number()])).optional().describe('Replication of a keyspace the sink creates; default SimpleStrategy, factor 1'),
  consistency: z.enum(['one', 'localOne', 'quorum', 'localQuorum', 'all']).optional().describe('Consistency of writes and scans; default localQuorum'),
  maxBatchRows: z.number().int().min(1).optional(),
  maxBatchBytes: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).optional(),
  connectTimeoutMs: z.number().int().min(1).optional(),
  readTimeoutMs: z.number().int().min(1).optional(),
});

export const cassandraSink: SinkComponent<CassandraSinkOptions> = {
  name: 'cassandra',
  configSchema: cassandraSinkConfigSchema,
  create(spec, ctx, options) {
    // Cassandra refuses table and keyspace names past 48 characters.
    checkTableSpec(spec, 48);
    checkContext('cassandra', ctx);
    if (!Array.isArray(options?.contactPoints) || options.contactPoints.length === 0) throw new TributaryError('CONFIG_INVALID', 'cassandra sink: options.contactPoints (cassandra.contactPoints) is required');
    if (typeof options.datacenter !== 'string' || options.datacenter === '') throw new TributaryError('CONFIG_INVALID', 'cassandra sink: options.datacenter (cassandra.datacenter) is required');
    checkIdentifier(options.keyspace, 'cassandra.keyspace', 48);
    checkReplication(options.replication ?? DEFAULT_REPLICATION);
    return new CassandraSink(spec, options);
  },
};

class CassandraSink implements Sink {
  readonly guarantee = 'idempotent';
  private readonly spec: TableSpec;
  private readonly options: CassandraSinkOptions;
  private readonly columns: string[];
  private readonly cql: CassandraStatements;
  private readonly life: SinkLifecycle;
  private client: Client | undefined;
  private consistency = 0;

  constructor(spec: TableSpec, options: CassandraSinkOptions) {
    this.spec = spec;
    this.options = options;
    this.columns = orderedColumns(spec);
    this.cql = cassandraStatements(options.keyspace, spec, options.replication ?? DEFAULT_REPLICATION);
    this.life = new SinkLifecycle(`cassandra sink for table ${options.keyspace}.${spec.name}`);
  }

  async open(): Promise<void> {
    if (!this.life.beginOpen()) return;
    let client: Client | undefined;
    try {
      const { default: cassandra } = await import('cassandra-driver');
      const { username, password } = this.options;
      client = new cassandra.Client({
        contactPoints: [...this.options.contactPoints],
        localDataCenter: this.options.datacenter,
        ...(username ? { credentials: { username, password: password ?? '' } } : {}),
        encoding: { useBigIntAsLong: true },
        socketOptions: { connectTimeout: this.options.connectTimeoutMs ?? 5000, readTimeout: this.options.readTimeoutMs ?? 12_000 },
      });
      this.consistency = cassandra.types.consistencies[this.options.consistency ?? 'localQuorum'];
      await client.connect();
      await client.execute(this.cql.createKeyspace);
      await client.execute(this.cql.createTable);
      await this.checkTable(client);
      this.client = client;
      this.life.endOpen(true);
    } catch (error) {
      await client?.shutdown().catch(() => undefined);
      this.life.endOpen(false);
      throw toCassandraSinkError(error, this.spec.name, 'open');
    }
  }

  /** A table made earlier under the same name must have the spec's columns, types, partition key and clustering columns. */
  private async checkTable(client: Client): Promise<void> {
    const name = `${this.options.keyspace}.${this.spec.name}`;
    const result = await client.execute(tableColumnsCql, [this.options.keyspace, this.spec.name], { prepare: true });
    const found = new Map(result.rows.map((r) => [r.get('column_name') as string, { kind: r.get('kind') as string, position: r.get('position') as number, type: r.get('type') as string }]));
    for (const column of this.columns) {
      const expected = CQL_TYPES[columnType(this.spec, column)];
      const actual = found.get(column);
      if (actual?.type !== expected) {
        throw new TributaryError('SINK_REJECTED', `cassandra sink: table ${name} exists with other columns: expected column ${column} ${expected}, found ${actual?.type ?? 'none'}`);
      }
    }
    const keyOfKind = (kind: string) => [...found].filter(([, c]) => c.kind === kind).sort(([, a], [, b]) => a.position - b.position).map(([column]) => column);
    const key = [...keyOfKind('partition_key'), ...keyOfKind('clustering')];
    if (keyOfKind('partition_key').length !== 1 || key.join(',') !== this.spec.key.join(',')) {
      throw new TributaryError('SINK_REJECTED', `cassandra sink: table ${name} exists with primary key (${key.join(', ')}), not (${this.spec.key.join(', ')}) with ${this.spec.key[0]} as the partition key`);
    }
  }

  /** An idempotent sink stores no positions. */
  positions(): Promise<RecordPosition[]> {
    return new Promise((resolve) => {
      this.life.check('positions');
      resolve([]);
    });
  }

  async write(batch: SinkWrite): Promise<void> {
    this.life.check('write');
    const client = this.client!;
    const deletes = batch.deletes ?? [];
    checkDeletes('cassandra', this.spec, deletes);
    checkRows('cassandra', this.spec, batch.rows);
    checkPositions('cassandra', this.spec.name, batch.positions);
    // The last row per key, remembering where it was in the write so an error can name it.
    const last = new Map<string, Statement>();
    batch.rows.forEach((row, index) => last.set(keyOf(this.spec, row), { query: this.cql.insert, params: rowToCassandra(this.spec, this.columns, row), row: index }));
    const removed = new Map<string, Statement>();
    for (const key of deletes) {
      const id = keyOf(this.spec, key);
      if (!last.has(id)) removed.set(id, { query: this.cql.delete, params: this.spec.key.map((column) => toCassandra(columnType(this.spec, column), key[column])) });
    }
    const partitionKey = [this.spec.key[0]!];
    const requests = partitionBatches(
      [...removed.values(), ...last.values()],
      (r) => keyOf(this.spec, { [partitionKey[0]!]: r.params[0] }, partitionKey),
      (r) => estimateBytes(r.params),
      { maxRows: this.options.maxBatchRows ?? 100, maxBytes: this.options.maxBatchBytes ?? 256 * 1024 },
    );
    const options = { prepare: true, isIdempotent: true, consistency: this.consistency };
    await runBounded(requests, this.options.concurrency ?? 32, async ({ items }) => {
      const only = items.length === 1 ? items[0]!.item : undefined;
      try {
        if (only) await client.execute(only.query, only.params, options);
        else await client.batch(items.map(({ item }) => ({ query: item.query, params: item.params })), { ...options, logged: false });
      } catch (error) {
        throw toCassandraSinkError(error, this.spec.name, 'write', only?.row);
      }
    });
  }

  async scan(): Promise<Row[]> {
    this.life.check('scan');
    const client = this.client!;
    const rows: Row[] = [];
    try {
      let pageState: string | undefined;
      do {
        const result = await client.execute(this.cql.scan, [], { prepare: true, fetchSize: 1000, consistency: this.consistency, ...(pageState ? { pageState } : {}) });
        for (const stored of result.rows) {
          const row: Record<string, unknown> = {};
          for (const column of this.columns) row[column] = fromCassandra(columnType(this.spec, column), stored.get(column));
          rows.push(row);
        }
        pageState = result.pageState ?? undefined;
      } while (pageState);
    } catch (error) {
      throw toCassandraSinkError(error, this.spec.name, 'scan');
    }
    // Partitions come back in token order; the interface promises key order.
    return rows.sort(compareByKey(this.spec));
  }

  async close(): Promise<void> {
    if (!this.life.close()) return;
    const client = this.client;
    this.client = undefined;
    await client?.shutdown().catch(() => undefined);
  }
}
