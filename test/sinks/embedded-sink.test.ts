import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it, onTestFinished } from 'vitest';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { rejection } from '../support/errors.ts';
import { describeSinkContract } from './sink-contract.ts';

const newDir = () => mkdtemp(path.join(tmpdir(), 'tributary-sinks-'));

/** A fresh directory, removed when the test finishes. */
async function tempDir(): Promise<string> {
  const dir = await newDir();
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describeSinkContract('embedded', 'exactly-once', async () => {
  const dir = await newDir();
  return {
    create: (spec, ctx) => embeddedSink.create(spec, ctx, { dir }),
    // The table's file with its WAL and shared-memory files is the whole table, positions included.
    drop: async (table) => {
      for (const suffix of ['', '-wal', '-shm']) await rm(path.join(dir, `${table}.sqlite${suffix}`), { force: true });
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
    breakInserts: async (table) => {
      const db = new DatabaseSync(path.join(dir, `${table}.sqlite`));
      try {
        db.exec(`CREATE TRIGGER refuse_inserts BEFORE INSERT ON "${table}" BEGIN SELECT RAISE(ABORT, 'inserts refused by the test'); END`);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
  };
});

describe('the embedded sink', () => {
  const spec = { name: 'pins', columns: { id: 'text', n: 'integer', at: 'timestamp', ok: 'boolean', meta: 'json' }, key: ['id'] } as const;

  it('should keep one SQLite file per table, in WAL mode, with timestamps as epoch milliseconds and booleans as 0/1', async () => {
    const dir = path.join(await tempDir(), 'views');
    const sink = embeddedSink.create(spec, { job: 'j' }, { dir });
    await sink.open();
    await sink.write({ rows: [{ id: 'a', n: 1, at: new Date(1234), ok: true, meta: { x: [1] } }], positions: [{ topic: 't', partition: 0, offset: 1 }] });
    await sink.close();

    const db = new DatabaseSync(path.join(dir, 'pins.sqlite'));
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect({ ...db.prepare('SELECT id, n, at, ok, meta, typeof(at) AS at_type FROM pins').get() }).toEqual({ id: 'a', n: 1, at: 1234, ok: 1, meta: '{"x":[1]}', at_type: 'integer' });
      expect({ ...db.prepare('SELECT job, tbl, topic, partition, next_offset FROM tributary_sink_positions').get() }).toEqual({ job: 'j', tbl: 'pins', topic: 't', partition: 0, next_offset: 1 });
    } finally {
      db.close();
    }
  });

  it('should roll back the rows of a write when storing it fails halfway', async () => {
    const dir = await tempDir();
    const sink = embeddedSink.create(spec, { job: 'j' }, { dir });
    await sink.open();
    await sink.write({ rows: [{ id: 'a', n: 1 }], positions: [{ topic: 't', partition: 0, offset: 1 }] });
    // A trigger makes SQLite itself refuse the second row, after the first was upserted.
    const db = new DatabaseSync(path.join(dir, 'pins.sqlite'));
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON pins WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END`);
    db.close();
    const error = await rejection(sink.write({ rows: [{ id: 'b', n: 2 }, { id: 'bad', n: 3 }], positions: [{ topic: 't', partition: 0, offset: 3 }] }), 'SINK_REJECTED');
    expect(error.message).toContain('row 1');
    expect(error.message).toContain('refused by trigger');
    expect(await sink.scan()).toEqual([{ id: 'a', n: 1, at: null, ok: null, meta: null }]);
    expect(await sink.positions()).toEqual([{ topic: 't', partition: 0, offset: 1 }]);
    await sink.close();
  });

  it('should report SINK_UNAVAILABLE when another connection holds the write lock past the busy timeout', async () => {
    const dir = await tempDir();
    const sink = embeddedSink.create(spec, { job: 'j' }, { dir, busyTimeoutMs: 50 });
    await sink.open();
    const db = new DatabaseSync(path.join(dir, 'pins.sqlite'));
    db.exec('BEGIN IMMEDIATE');
    try {
      const error = await rejection(sink.write({ rows: [{ id: 'a', n: 1 }], positions: [] }), 'SINK_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
    await sink.write({ rows: [{ id: 'a', n: 1 }], positions: [] });
    expect(await sink.scan()).toHaveLength(1);
    await sink.close();
  });

  it('should refuse to be created without a directory', () => {
    expect(() => embeddedSink.create(spec, { job: 'j' }, { dir: '' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
