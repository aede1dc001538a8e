import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/errors.ts';
import { checkKey, checkPrefix, compareKeys, datasetPrefix, parseKey, partFileName, partitionPrefix } from '../../src/lake/keys.ts';
import { invalidKeys } from './lake-contract.ts';

const refusal = (call: () => unknown) => {
  try {
    call();
  } catch (error) {
    return isTributaryError(error, 'LAKE_INVALID_KEY');
  }
  return false;
};

// eslint-disable-next-line no-control-regex -- control characters are what the filter keeps out
const unwanted = /[/\\\u0000-\u001f\u007f]/;
/** A segment of printable characters (any script), never starting with "." and without "/" or "\". */
const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((s) => !s.startsWith('.') && !unwanted.test(s) && s.isWellFormed());

describe('lake keys', () => {
  it('every invalid key should be refused with LAKE_INVALID_KEY', () => {
    for (const key of invalidKeys) expect(refusal(() => checkKey(key)), JSON.stringify(key)).toBe(true);
    expect(refusal(() => checkKey(`${'a/'.repeat(512)}b`))).toBe(true);
  });

  it('keys of plain segments should be accepted as they are', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        const key = segments.join('/');
        expect(checkKey(key)).toBe(key);
        expect(checkPrefix(key)).toBe(key);
        expect(checkPrefix(`${key}/`)).toBe(`${key}/`);
      }),
    );
    for (const key of ['a', 'raw/orders/dt=2026-11-21/part-0.parquet', 'a..b/c', 'é/日本/😀', 'with space/x', '_manifest.json']) expect(checkKey(key)).toBe(key);
  });

  it('a prefix may be empty or end inside a segment, but not contain a bad segment', () => {
    expect(checkPrefix('')).toBe('');
    expect(checkPrefix('raw/ord')).toBe('raw/ord');
    for (const prefix of ['/', '/raw', 'raw//', 'raw/../', '../raw', 'raw/.', 'a\\b']) expect(refusal(() => checkPrefix(prefix)), prefix).toBe(true);
  });

  it('compareKeys should order keys by their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
    // UTF-16 code units put U+FFFD after U+1F600's surrogates; bytes put it before.
    expect(compareKeys('\uFFFD', '😀')).toBeLessThan(0);
    expect(compareKeys('a-c', 'a/b')).toBeLessThan(0);
  });

  it('the Hive helpers should build zone, dataset, partition and file paths', () => {
    expect(datasetPrefix('raw', 'orders')).toBe('raw/orders/');
    expect(partitionPrefix('processed', 'orders', { dt: '2026-11-21' })).toBe('processed/orders/dt=2026-11-21/');
    expect(partitionPrefix('curated', 'daily_sales', { dt: '2024-02-29', hr: '07' })).toBe('curated/daily_sales/dt=2024-02-29/hr=07/');
    expect(partFileName('r7-00001')).toBe('part-r7-00001.parquet');
    expect(partFileName('0', 'csv')).toBe('part-0.csv');
  });

  it('the Hive helpers should refuse bad zones, dataset names, dates, hours and ids', () => {
    const bad: (() => unknown)[] = [
      () => datasetPrefix('bronze' as 'raw', 'orders'),
      () => datasetPrefix('raw', 'Orders'),
      () => datasetPrefix('raw', '_orders'),
      () => datasetPrefix('raw', 'a/b'),
      () => datasetPrefix('raw', ''),
      () => partitionPrefix('raw', 'orders', { dt: '2026-02-30' }),
      () => partitionPrefix('raw', 'orders', { dt: '2025-02-29' }),
      () => partitionPrefix('raw', 'orders', { dt: '2026-13-01' }),
      () => partitionPrefix('raw', 'orders', { dt: '26-11-21' }),
      () => partitionPrefix('raw', 'orders', { dt: '2026-11-21T00' }),
      () => partitionPrefix('raw', 'orders', { dt: '2026-11-21', hr: '24' }),
      () => partitionPrefix('raw', 'orders', { dt: '2026-11-21', hr: '7' }),
      () => partFileName(''),
      () => partFileName('a/b'),
      () => partFileName('a.b'),
      () => partFileName('x', 'PAR QUET'),
    ];
    for (const call of bad) expect(refusal(call), call.toString()).toBe(true);
  });

  it('parseKey should split a Hive key into zone, dataset, partition and file', () => {
    expect(parseKey('processed/orders/dt=2026-11-21/hr=07/part-r1-0.parquet')).toEqual({
      zone: 'processed',
      dataset: 'orders',
      partition: { dt: '2026-11-21', hr: '07' },
      file: 'part-r1-0.parquet',
    });
    expect(parseKey('raw/orders/_manifest.json')).toEqual({ zone: 'raw', dataset: 'orders', partition: {}, file: '_manifest.json' });
    // Partition columns keep their path order.
    expect(Object.keys(parseKey('raw/x/hr=07/dt=2026-11-21/f').partition)).toEqual(['hr', 'dt']);
    for (const key of ['raw/orders', 'bronze/orders/f', 'raw/Orders/f', 'raw/orders/notapartition/f', 'raw/orders/=x/f', 'raw/orders/dt=1/dt=2/f', '/raw/orders/f']) {
      expect(refusal(() => parseKey(key)), key).toBe(true);
    }
  });

  it('parseKey should give back what the helpers built', () => {
    const date = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    const hour = fc.option(fc.integer({ min: 0, max: 23 }).map((h) => String(h).padStart(2, '0')), { nil: undefined });
    const dataset = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
    fc.assert(
      fc.property(fc.constantFrom('raw', 'processed', 'curated' as const), dataset, date, hour, id, (zone, name, dt, hr, part) => {
        const key = `${partitionPrefix(zone, name, hr === undefined ? { dt } : { dt, hr })}${partFileName(part)}`;
        expect(parseKey(key)).toEqual({ zone, dataset: name, partition: hr === undefined ? { dt } : { dt, hr }, file: `part-${part}.parquet` });
      }),
    );
  });
});
