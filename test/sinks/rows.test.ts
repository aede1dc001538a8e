import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { checkPositions, checkRows, compareByKey, keyOf, lastPerKey } from '../../src/sinks/rows.ts';
import type { TableSpec } from '../../src/sinks/sink.ts';

const spec: TableSpec = { name: 'views', columns: { id: 'text', n: 'integer', big: 'bigint', at: 'timestamp', j: 'json' }, key: ['id', 'big'] };

function rejected(run: () => unknown): TributaryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('SINK_REJECTED');
    return error as TributaryError;
  }
  throw new Error('expected SINK_REJECTED');
}

describe('sink rows', () => {
  it('should name the sink, the table, the row and the column of a wrong value, without its contents', () => {
    const error = rejected(() => checkRows('test', spec, [{ id: 'a', big: 1 }, { id: 'b', big: 2, n: 'secret value' }]));
    expect(error.message).toBe('test sink: table views refused row 1, column n: expected an integer from -2147483648 to 2147483647 (integer), got a string');
    expect(rejected(() => checkRows('test', spec, [{ id: 'a', big: 2n ** 63n }])).message).toContain('column big');
    expect(rejected(() => checkRows('test', spec, [{ id: 'a', big: 1, at: new Date(Number.NaN) }])).message).toContain('an invalid Date');
    expect(rejected(() => checkRows('test', spec, [{ id: 'a', big: 1, j: { b: 1n } }])).message).toContain('column j');
    expect(rejected(() => checkRows('test', spec, [{ id: 'a' }])).message).toContain('column big: a key column cannot be null');
  });

  it('should accept every value the column types allow, and null outside the key', () => {
    expect(() => checkRows('test', spec, [{ id: '', big: -(2n ** 63n), n: -(2 ** 31), at: new Date(0), j: [null, 'x'] }, { id: 'x', big: Number.MAX_SAFE_INTEGER, n: null, at: undefined, j: null }])).not.toThrow();
  });

  it('should treat a bigint column\'s 5 and 5n, and two Dates of the same instant, as one key', () => {
    expect(keyOf(spec, { id: 'a', big: 5 })).toBe(keyOf(spec, { id: 'a', big: 5n }));
    const rows = [
      { id: 'a', big: 5, n: 1 },
      { id: 'a', big: 5n, n: 2 },
      { id: 'b', big: 5, n: 3 },
    ];
    expect(lastPerKey(spec, rows)).toEqual([rows[1], rows[2]]);
  });

  it('should order text keys by UTF-8 bytes and numbers numerically', () => {
    const rows = [{ id: 'é', big: 1 }, { id: 'z', big: 10 }, { id: 'z', big: 9n }, { id: 'Z', big: 1 }, { id: '😀', big: 1 }, { id: '\uffff', big: 1 }];
    expect(rows.sort(compareByKey(spec)).map((r) => `${r.id}${r.big}`)).toEqual(['Z1', 'z9', 'z10', 'é1', '\uffff1', '😀1']);
  });

  it('should keep the last position per partition and refuse a malformed one', () => {
    expect(checkPositions('test', 'views', [{ topic: 'a', partition: 0, offset: 1 }, { topic: 'a', partition: 0, offset: 5 }, { topic: 'a', partition: 1, offset: 2 }])).toEqual([
      { topic: 'a', partition: 0, offset: 5 },
      { topic: 'a', partition: 1, offset: 2 },
    ]);
    rejected(() => checkPositions('test', 'views', [{ topic: 'a', partition: -1, offset: 1 }]));
    rejected(() => checkPositions('test', 'views', [{ topic: '', partition: 0, offset: 1 }]));
    rejected(() => checkPositions('test', 'views', [{ topic: 'a', partition: 0, offset: 1.5 }]));
  });
});
