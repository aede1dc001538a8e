import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { PendingWrite } from '../../src/sinks/pending-write.ts';
import { keyOfColumns } from '../../src/sinks/rows.ts';
import type { TableSpec } from '../../src/sinks/sink.ts';
import { tempDir } from '../support/cli.ts';

type Op = { kind: 'upsert'; id: string; n: number } | { kind: 'delete'; id: string } | { kind: 'write' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('upsert' as const), id: fc.constantFrom('a', 'b', 'c', 'd'), n: fc.integer({ min: 0, max: 99 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom('a', 'b', 'c', 'd') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const) }) },
);

describe('PendingWrite', () => {
  it('should keep only the last change per key: a row deleted later is only deleted, a key deleted then upserted only upserted', () => {
    const pending = new PendingWrite(['user', 'start']);
    pending.upsert({ user: 'u', start: 0, n: 1 });
    pending.upsert({ user: 'u', start: 10, n: 2 });
    pending.delete({ user: 'u', start: 0, n: 1 });
    pending.delete({ user: 'u', start: 20, n: 9 });
    pending.upsert({ user: 'u', start: 20, n: 3 });
    // 5n and 5 are one key, as in every store.
    pending.upsert({ user: 'v', start: 5, n: 4 });
    pending.delete({ user: 'v', start: 5n });
    expect(pending.size).toBe(4);
    expect(pending.take()).toEqual({
      rows: [
        { user: 'u', start: 10, n: 2 },
        { user: 'u', start: 20, n: 3 },
      ],
      // Only the key columns of a delete are kept.
      deletes: [{ user: 'u', start: 0 }, { user: 'v', start: 5n }],
    });
    expect(pending.size).toBe(0);
    expect(pending.take()).toEqual({ rows: [] });
  });

  it('should keep rows as they come without key columns, and refuse to delete', () => {
    const pending = new PendingWrite();
    pending.upsert({ id: 1, n: 1 });
    pending.upsert({ id: 1, n: 2 });
    expect(pending.size).toBe(2);
    expect(() => pending.delete({ id: 1 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(pending.take()).toEqual({ rows: [{ id: 1, n: 1 }, { id: 1, n: 2 }] });
  });

  it('written to the embedded sink at any points, should leave the table that applying each change in order leaves', async () => {
    const dir = await tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const spec: TableSpec = { name: `t${run++}`, columns: { id: 'text', n: 'integer' }, key: ['id'] };
        const sink = embeddedSink.create(spec, { job: 'pending' }, { dir });
        await sink.open();
        try {
          const pending = new PendingWrite(spec.key);
          const model = new Map<string, number>();
          const write = async () => {
            const { rows, deletes = [] } = pending.take();
            // Each key at most once, as a row or a delete: the sink's order of the two cannot matter.
            const keys = [...rows, ...deletes].map((r) => keyOfColumns(r, spec.key));
            expect(new Set(keys).size).toBe(keys.length);
            await sink.write({ rows, deletes, positions: [] });
          };
          for (const op of ops) {
            if (op.kind === 'write') await write();
            else if (op.kind === 'upsert') {
              pending.upsert({ id: op.id, n: op.n });
              model.set(op.id, op.n);
            } else {
              pending.delete({ id: op.id });
              model.delete(op.id);
            }
          }
          await write();
          expect(await sink.scan()).toEqual([...model].sort(([a], [b]) => a.localeCompare(b)).map(([id, n]) => ({ id, n })));
        } finally {
          await sink.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
