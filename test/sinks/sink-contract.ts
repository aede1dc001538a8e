/**
 * The conformance suite every sink passes: `describeSinkContract(name, guarantee, makeFixture)`.
 * A fixture creates sinks over one store (one directory, one schema, one keyspace), so a test can
 * close a sink and create it again as a restarted job would. Every test makes its own table, and
 * drops it (with its positions) when it ends. Exactly-once sinks pass `breakInserts` too, for the
 * tests of a write that fails inside its transaction.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RecordPosition } from '../../src/log/log.ts';
import type { Row, Sink, SinkContext, TableSpec } from '../../src/sinks/sink.ts';
import { rejection } from '../support/errors.ts';
import { uniqueName } from '../support/services.ts';

export interface SinkFixture {
  create(spec: TableSpec, ctx: SinkContext): Sink;
  /** Drops a table a test made, and the positions stored for it. */
  drop(table: string): Promise<void>;
  /** Removes what the fixture made (a directory, a schema, a keyspace). */
  cleanup(): Promise<void>;
  /**
   * Exactly-once sinks: makes the store itself refuse every insert into the table from now on (a
   * trigger), so a write fails in its transaction after its deletes ran.
   */
  breakInserts?: (table: string) => Promise<void>;
}

const byPartition = (a: RecordPosition, b: RecordPosition) => a.topic.localeCompare(b.topic) || a.partition - b.partition;

/** A row of every column type, with the awkward values each store escapes or converts differently. */
const allTypes = (id: string, variant: 'full' | 'edge' | 'nulls'): Row => {
  if (variant === 'nulls') return { id, t: null, i: null, b: null, d: null, f: null, ts: null, j: null };
  if (variant === 'edge') {
    return {
      id,
      t: 'tab\there\nnew line\r\ncarriage \\ backslash \\N \\. end',
      i: -2147483648,
      b: 2n ** 62n + 1n,
      d: -1.5e300,
      f: false,
      ts: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
      j: ['a\tb', { 'quote"d': 'back\\slash\nline', nested: { deeper: [null, true, 1.25, 'ünïcödé 🚀'] } }, 'tail'],
    };
  }
  return {
    id,
    t: 'héllo wörld ✓ 日本語 🚀',
    i: 2147483647,
    b: Number.MAX_SAFE_INTEGER,
    d: 0.1,
    f: true,
    ts: new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)),
    j: { a: 1, b: [1, 2, { c: 'd' }], e: null, s: 'x' },
  };
};

export function describeSinkContract(name: string, guarantee: Sink['guarantee'], makeFixture: () => Promise<SinkFixture>): void {
  describe(`${name} sink contract`, () => {
    let fixture: SinkFixture;
    const sinks: Sink[] = [];
    const tables: string[] = [];

    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(() => fixture?.cleanup());
    afterEach(async () => {
      for (const sink of sinks.splice(0)) await sink.close();
      for (const table of tables.splice(0)) await fixture.drop(table);
    });

    const newSpec = (columns: TableSpec['columns'], key: string[]): TableSpec => {
      const table = uniqueName('sink');
      tables.push(table);
      return { name: table, columns, key };
    };
    const openSink = async (spec: TableSpec, job = 'contract-job') => {
      const sink = fixture.create(spec, { job });
      sinks.push(sink);
      await sink.open();
      return sink;
    };
    const simple = () => newSpec({ id: 'text', n: 'integer', note: 'text' }, ['id']);

    it(`should have the ${guarantee} guarantee`, async () => {
      expect((await openSink(simple())).guarantee).toBe(guarantee);
    });

    it('a second write with the same key should replace the row', async () => {
      const sink = await openSink(simple());
      await sink.write({ rows: [{ id: 'a', n: 1, note: 'first' }, { id: 'b', n: 2, note: 'kept' }], positions: [] });
      await sink.write({ rows: [{ id: 'a', n: 3, note: null }], positions: [] });
      expect(await sink.scan()).toEqual([
        { id: 'a', n: 3, note: null },
        { id: 'b', n: 2, note: 'kept' },
      ]);
    });

    it('the last row for a key within one write should win', async () => {
      const sink = await openSink(simple());
      await sink.write({
        rows: [
          { id: 'a', n: 1, note: 'one' },
          { id: 'b', n: 1, note: 'b' },
          { id: 'a', n: 2, note: 'two' },
          { id: 'a', n: 3, note: 'three' },
        ],
        positions: [],
      });
      expect(await sink.scan()).toEqual([
        { id: 'a', n: 3, note: 'three' },
        { id: 'b', n: 1, note: 'b' },
      ]);
    });

    it('a missing column should be stored as null and replace an earlier value', async () => {
      const sink = await openSink(simple());
      await sink.write({ rows: [{ id: 'a', n: 1, note: 'x' }], positions: [] });
      await sink.write({ rows: [{ id: 'a', n: 2 }], positions: [] });
      expect(await sink.scan()).toEqual([{ id: 'a', n: 2, note: null }]);
    });

    it('a composite key should identify a row by all its columns, and scan should order by them', async () => {
      const sink = await openSink(newSpec({ tenant: 'text', day: 'timestamp', seq: 'bigint', value: 'double' }, ['tenant', 'day', 'seq']));
      const day = (d: number) => new Date(Date.UTC(2025, 0, d));
      await sink.write({
        rows: [
          { tenant: 't2', day: day(1), seq: 1, value: 1.5 },
          { tenant: 't1', day: day(2), seq: 1, value: 2.5 },
          { tenant: 't1', day: day(1), seq: 2, value: 3.5 },
          { tenant: 't1', day: day(1), seq: 1, value: 4.5 },
        ],
        positions: [],
      });
      await sink.write({ rows: [{ tenant: 't1', day: day(1), seq: 2n, value: -1 }], positions: [] });
      expect(await sink.scan()).toEqual([
        { tenant: 't1', day: day(1), seq: 1, value: 4.5 },
        { tenant: 't1', day: day(1), seq: 2, value: -1 },
        { tenant: 't1', day: day(2), seq: 1, value: 2.5 },
        { tenant: 't2', day: day(1), seq: 1, value: 1.5 },
      ]);
    });

    it('column names that are reserved words should be quoted, not refused', async () => {
      const sink = await openSink(newSpec({ user: 'text', order: 'integer', select: 'boolean', from: 'json' }, ['user', 'order']));
      await sink.write({ rows: [{ user: 'u', order: 1, select: true, from: { where: 1 } }], positions: [] });
      expect(await sink.scan()).toEqual([{ user: 'u', order: 1, select: true, from: { where: 1 } }]);
    });

    it('a table of key columns only should take upserts', async () => {
      const sink = await openSink(newSpec({ a: 'text', b: 'integer' }, ['a', 'b']));
      await sink.write({ rows: [{ a: 'x', b: 1 }, { a: 'x', b: 1 }, { a: 'x', b: 2 }], positions: [] });
      await sink.write({ rows: [{ a: 'x', b: 1 }], positions: [] });
      expect(await sink.scan()).toEqual([
        { a: 'x', b: 1 },
        { a: 'x', b: 2 },
      ]);
    });

    it('every column type should round-trip through scan with the JS types that were written', async () => {
      const sink = await openSink(newSpec({ id: 'text', t: 'text', i: 'integer', b: 'bigint', d: 'double', f: 'boolean', ts: 'timestamp', j: 'json' }, ['id']));
      const rows = [
        allTypes('1-full', 'full'),
        allTypes('2-edge', 'edge'),
        allTypes('3-nulls', 'nulls'),
        { id: '4-empty', t: '', i: 0, b: -(2n ** 63n), d: 5e-324, f: false, ts: new Date(0), j: 'a json string' },
        { id: '5-scalars', t: '\\', i: -1, b: 2n ** 63n - 1n, d: 1e21, f: true, ts: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), j: [] },
        { id: '6-numbers', t: ' leading and trailing ', i: 7, b: -9007199254740991, d: -0.000123, f: true, ts: new Date(1), j: 42.5 },
      ];
      await sink.write({ rows, positions: [] });
      const scanned = await sink.scan();
      expect(scanned).toEqual(rows.map((row) => ({ ...row, b: typeof row.b === 'bigint' && row.b >= -(2n ** 53n) + 1n && row.b <= 2n ** 53n - 1n ? Number(row.b) : row.b })));
      const edge = scanned[1]!;
      expect(edge.b).toBe(2n ** 62n + 1n);
      expect(edge.ts).toBeInstanceOf(Date);
      expect(scanned[0]!.b).toBe(Number.MAX_SAFE_INTEGER);
    });

    it('a write of many rows over many partitions should store them all', async () => {
      const sink = await openSink(newSpec({ p: 'integer', c: 'integer', v: 'text' }, ['p', 'c']));
      const rows = Array.from({ length: 2500 }, (_, n) => ({ p: n % 37, c: n, v: `value ${n}\t${'x'.repeat(n % 50)}` }));
      await sink.write({ rows, positions: [] });
      const scanned = await sink.scan();
      expect(scanned).toHaveLength(2500);
      expect(scanned).toEqual([...rows].sort((a, b) => a.p - b.p || a.c - b.c));
    });

    it('an empty write should do nothing, or store its positions alone', async () => {
      const sink = await openSink(simple());
      await sink.write({ rows: [], positions: [] });
      await sink.write({ rows: [], positions: [{ topic: 'in', partition: 0, offset: 7 }] });
      expect(await sink.scan()).toEqual([]);
      if (sink.guarantee === 'exactly-once') expect(await sink.positions()).toEqual([{ topic: 'in', partition: 0, offset: 7 }]);
      else expect(await sink.positions()).toEqual([]);
    });

    it('positions should be stored with the rows, per job, and read back', async () => {
      const spec = simple();
      const sink = await openSink(spec);
      expect(await sink.positions()).toEqual([]);
      await sink.write({
        rows: [{ id: 'a', n: 1 }],
        positions: [
          { topic: 'in', partition: 1, offset: 5 },
          { topic: 'in', partition: 0, offset: 10 },
          { topic: 'other', partition: 0, offset: 1 },
        ],
      });
      await sink.write({
        rows: [{ id: 'b', n: 2 }],
        positions: [
          { topic: 'in', partition: 0, offset: 11 },
          { topic: 'in', partition: 0, offset: 20 },
        ],
      });
      const other = await openSink(spec, 'another-job');
      if (sink.guarantee === 'exactly-once') {
        expect((await sink.positions()).sort(byPartition)).toEqual([
          { topic: 'in', partition: 0, offset: 20 },
          { topic: 'in', partition: 1, offset: 5 },
          { topic: 'other', partition: 0, offset: 1 },
        ]);
        // Positions belong to the job; the rows belong to the table.
        expect(await other.positions()).toEqual([]);
      } else {
        expect(sink.guarantee).toBe('idempotent');
        expect(await sink.positions()).toEqual([]);
      }
      expect(await other.scan()).toHaveLength(2);
    });

    it('rows and positions should survive closing the sink and opening a new one on the same table', async () => {
      const spec = newSpec({ id: 'text', total: 'bigint', at: 'timestamp', meta: 'json' }, ['id']);
      const first = await openSink(spec);
      const rows = [
        { id: 'k1', total: 10, at: new Date(1_700_000_000_123), meta: { tags: ['x', 'y'] } },
        { id: 'k2', total: 20, at: new Date(1_700_000_000_456), meta: null },
      ];
      await first.write({ rows, positions: [{ topic: 'in', partition: 3, offset: 42 }] });
      await first.close();
      // A second close does nothing.
      await first.close();

      const second = await openSink(spec);
      expect(await second.scan()).toEqual(rows);
      expect(await second.positions()).toEqual(second.guarantee === 'exactly-once' ? [{ topic: 'in', partition: 3, offset: 42 }] : []);
      await second.write({ rows: [{ id: 'k1', total: 11, at: rows[0]!.at, meta: {} }], positions: [{ topic: 'in', partition: 3, offset: 43 }] });
      expect((await second.scan())[0]).toEqual({ id: 'k1', total: 11, at: rows[0]!.at, meta: {} });
    });

    it('a closed sink should refuse every call with SINK_CLOSED', async () => {
      const sink = await openSink(simple());
      await sink.close();
      await rejection(sink.write({ rows: [{ id: 'a', n: 1 }], positions: [] }), 'SINK_CLOSED');
      await rejection(sink.scan(), 'SINK_CLOSED');
      await rejection(sink.positions(), 'SINK_CLOSED');
      await rejection(sink.open(), 'SINK_CLOSED');
    });

    it('a wrong-typed value should be rejected with SINK_REJECTED naming the table, the row and the column, and write nothing', async () => {
      const spec = simple();
      const sink = await openSink(spec);
      const error = await rejection(
        sink.write({ rows: [{ id: 'a', n: 1 }, { id: 'b', n: 'two' }], positions: [{ topic: 'in', partition: 0, offset: 2 }] }),
        'SINK_REJECTED',
      );
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(spec.name);
      expect(error.message).toContain('row 1');
      expect(error.message).toContain('column n');
      expect(await sink.scan()).toEqual([]);
      expect(await sink.positions()).toEqual([]);

      for (const row of [{ id: 'a', n: 1.5 }, { id: 'a', n: 2 ** 31 }, { id: null, n: 1 }, { id: 'a', unknown: 1 }, { id: 'a', n: Number.NaN }]) {
        await rejection(sink.write({ rows: [row], positions: [] }), 'SINK_REJECTED');
      }
      // The sink stays usable after a rejection.
      await sink.write({ rows: [{ id: 'c', n: 3 }], positions: [] });
      expect(await sink.scan()).toEqual([{ id: 'c', n: 3, note: null }]);
    });

    it('a delete should remove the row with its key and leave the others', async () => {
      const sink = await openSink(simple());
      await sink.write({ rows: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }, { id: 'c', n: 3 }], positions: [] });
      await sink.write({ rows: [], deletes: [{ id: 'b' }], positions: [] });
      expect(await sink.scan()).toEqual([
        { id: 'a', n: 1, note: null },
        { id: 'c', n: 3, note: null },
      ]);
      // A delete may carry the row's other columns: only the key is read.
      await sink.write({ rows: [], deletes: [{ id: 'c', n: 99, note: 'ignored' }], positions: [] });
      expect(await sink.scan()).toEqual([{ id: 'a', n: 1, note: null }]);
    });

    it('a delete should match a composite key of every key type by all its columns', async () => {
      const sink = await openSink(newSpec({ tenant: 'text', day: 'timestamp', seq: 'bigint', ratio: 'double', live: 'boolean', small: 'integer', v: 'text' }, ['tenant', 'day', 'seq', 'ratio', 'live', 'small']));
      const day = (d: number) => new Date(Date.UTC(2025, 0, d, 12, 0, 0, 7));
      const row = (tenant: string, d: number, seq: number | bigint, ratio: number, live: boolean, small: number) => ({ tenant, day: day(d), seq, ratio, live, small });
      const rows = [
        { ...row("t'1\\\"{,}", 1, 2n ** 62n + 1n, 0.1, true, -1), v: 'quoted tenant, big seq' },
        { ...row("t'1\\\"{,}", 1, 2n ** 62n + 1n, 0.1, false, -1), v: 'differs in live only' },
        { ...row('t2', 1, 5, -1.5e300, true, 2147483647), v: 'extreme double' },
        { ...row('t2', 2, 5, 5e-324, true, 0), v: 'differs in day and ratio' },
      ];
      await sink.write({ rows, positions: [] });
      await sink.write({
        rows: [],
        deletes: [
          row("t'1\\\"{,}", 1, 2n ** 62n + 1n, 0.1, true, -1),
          // 5 as a bigint names the row written with the number 5.
          row('t2', 1, 5n, -1.5e300, true, 2147483647),
          // Matches nothing: one column differs from a row that is there.
          row('t2', 2, 5, 5e-324, true, 1),
        ],
        positions: [],
      });
      expect(await sink.scan()).toEqual([
        { ...row("t'1\\\"{,}", 1, 2n ** 62n + 1n, 0.1, false, -1), v: 'differs in live only' },
        { ...row('t2', 2, 5, 5e-324, true, 0), v: 'differs in day and ratio' },
      ]);
    });

    it('deleting a key that is not there should do nothing, so a replayed delete is harmless', async () => {
      const sink = await openSink(simple());
      await sink.write({ rows: [], deletes: [{ id: 'never' }], positions: [] });
      expect(await sink.scan()).toEqual([]);
      await sink.write({ rows: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], positions: [] });
      const replayed = { rows: [], deletes: [{ id: 'b' }, { id: 'b' }, { id: 'zz' }], positions: [{ topic: 'in', partition: 0, offset: 3 }] };
      await sink.write(replayed);
      await sink.write(replayed);
      expect(await sink.scan()).toEqual([{ id: 'a', n: 1, note: null }]);
      if (sink.guarantee === 'exactly-once') expect(await sink.positions()).toEqual([{ topic: 'in', partition: 0, offset: 3 }]);
      else expect(await sink.positions()).toEqual([]);
    });

    it('a delete and a row for the same key in one write should leave the row, deletes going first', async () => {
      const sink = await openSink(simple());
      await sink.write({ rows: [{ id: 'a', n: 1, note: 'old' }, { id: 'b', n: 2 }, { id: 'c', n: 3 }], positions: [] });
      await sink.write({
        rows: [{ id: 'a', n: 10 }, { id: 'new', n: 4, note: 'deleted before it existed' }, { id: 'a', n: 11, note: 'last' }],
        deletes: [{ id: 'a' }, { id: 'b' }, { id: 'new' }],
        positions: [],
      });
      expect(await sink.scan()).toEqual([
        { id: 'a', n: 11, note: 'last' },
        { id: 'c', n: 3, note: null },
        { id: 'new', n: 4, note: 'deleted before it existed' },
      ]);
      // Again right away: a write's own upsert wins over its delete however fast writes follow each other.
      for (let n = 0; n < 20; n++) await sink.write({ rows: [{ id: 'c', n }], deletes: [{ id: 'c' }], positions: [] });
      expect((await sink.scan()).find((r) => r.id === 'c')).toEqual({ id: 'c', n: 19, note: null });
    });

    it('a refused delete should fail the write with SINK_REJECTED naming it, and apply none of its rows, deletes or positions', async () => {
      const spec = simple();
      const sink = await openSink(spec);
      await sink.write({ rows: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], positions: [{ topic: 'in', partition: 0, offset: 1 }] });
      const error = await rejection(
        sink.write({ rows: [{ id: 'c', n: 3 }], deletes: [{ id: 'a' }, { id: 5 }], positions: [{ topic: 'in', partition: 0, offset: 2 }] }),
        'SINK_REJECTED',
      );
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(spec.name);
      expect(error.message).toContain('delete 1');
      expect(error.message).toContain('column id');
      for (const deletes of [[{}], [{ id: null }], [{ id: 'a', unknown: 1 }], [null as unknown as object]]) {
        await rejection(sink.write({ rows: [{ id: 'c', n: 3 }], deletes, positions: [] }), 'SINK_REJECTED');
      }
      expect(await sink.scan()).toEqual([
        { id: 'a', n: 1, note: null },
        { id: 'b', n: 2, note: null },
      ]);
      expect(await sink.positions()).toEqual(sink.guarantee === 'exactly-once' ? [{ topic: 'in', partition: 0, offset: 1 }] : []);
    });

    // An idempotent sink promises no atomicity across a write's requests: the test is for the others.
    const itExactlyOnce = guarantee === 'exactly-once' ? it : () => undefined;
    itExactlyOnce('a write the store fails after its deletes ran should apply none of its deletes, rows or positions', async () => {
      const spec = simple();
      const sink = await openSink(spec);
      expect(sink.guarantee).toBe('exactly-once');
      expect(fixture.breakInserts, 'an exactly-once fixture must provide breakInserts').toBeTypeOf('function');
      await sink.write({ rows: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], positions: [{ topic: 'in', partition: 0, offset: 1 }] });
      await fixture.breakInserts!(spec.name);
      await rejection(sink.write({ rows: [{ id: 'c', n: 3 }], deletes: [{ id: 'a' }, { id: 'b' }], positions: [{ topic: 'in', partition: 0, offset: 9 }] }), 'SINK_REJECTED');
      expect(await sink.scan()).toEqual([
        { id: 'a', n: 1, note: null },
        { id: 'b', n: 2, note: null },
      ]);
      expect(await sink.positions()).toEqual([{ topic: 'in', partition: 0, offset: 1 }]);
      // Deletes alone touch no insert trigger and still go through, with their positions.
      await sink.write({ rows: [], deletes: [{ id: 'a' }], positions: [{ topic: 'in', partition: 0, offset: 10 }] });
      expect(await sink.scan()).toEqual([{ id: 'b', n: 2, note: null }]);
      expect(await sink.positions()).toEqual([{ topic: 'in', partition: 0, offset: 10 }]);
    });

    it('opening a table that exists with other columns should fail with SINK_REJECTED', async () => {
      const spec = simple();
      const first = await openSink(spec);
      await first.close();
      const error = await rejection(openSink({ ...spec, columns: { ...spec.columns, n: 'text' } }), 'SINK_REJECTED');
      expect(error.message).toContain('column n');
      await rejection(openSink({ ...spec, columns: { ...spec.columns, extra: 'double' } }), 'SINK_REJECTED');
      await rejection(openSink({ ...spec, key: ['id', 'n'] }), 'SINK_REJECTED');
    });

    it('an invalid table spec should be refused when the sink is created', () => {
      const ctx = { job: 'contract-job' };
      const bad: TableSpec[] = [
        { name: 'Bad-Name', columns: { id: 'text' }, key: ['id'] },
        { name: 'x"; drop table y; --', columns: { id: 'text' }, key: ['id'] },
        { name: 'ok', columns: { 'id"': 'text' }, key: ['id"'] },
        { name: 'ok', columns: { id: 'text' }, key: ['missing'] },
        { name: 'ok', columns: { id: 'text' }, key: [] },
        { name: 'ok', columns: { id: 'json' }, key: ['id'] },
        { name: 'ok', columns: { id: 'varchar' as never }, key: ['id'] },
        { name: 'tributary_sink_positions', columns: { id: 'text' }, key: ['id'] },
      ];
      for (const spec of bad) expect(() => fixture.create(spec, ctx), spec.name).toThrow(expect.objectContaining({ code: 'SINK_REJECTED' }));
    });
  });
}
