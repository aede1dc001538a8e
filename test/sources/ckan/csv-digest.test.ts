import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvDigest, parseHeader } from '../../../src/sources/ckan/csv-digest.ts';
import { PRE_2023, SNAPSHOT_CRLF } from './ckan-fixture.ts';

function digestInChunks(bytes: Buffer, cuts: number[]): ReturnType<CsvDigest['digest']> {
  const digest = new CsvDigest({ md5: true });
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
    digest.update(bytes.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  digest.update(bytes.subarray(at));
  return digest.digest();
}

describe('CSV digest', () => {
  it('should count RFC 4180 rows, not lines, in the pre-2023 file with quoted line breaks', async () => {
    const bytes = await readFile(PRE_2023);
    const result = digestInChunks(bytes, [1, 7, 65_536, 1_000_000]);
    expect(result.rows).toBe(11_760);
    expect(bytes.toString('utf8').split('\n').length - 1).toBe(11_769);
    expect(result.bytes).toBe(bytes.length);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.md5).toBe(createHash('md5').update(bytes).digest('hex'));
    expect(result.columns).toHaveLength(40);
  });

  it('should read a CRLF header without the carriage return', async () => {
    const result = digestInChunks(await readFile(SNAPSHOT_CRLF), []);
    expect(result.rows).toBe(3_572);
    expect(result.columns.at(-1)).toBe('Y');
    expect(result.columns).toContain('CATCH BASINS / STORM DRAINAGE');
  });

  it('should give the same result however the bytes are split into chunks', () => {
    const field = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', ' ') }), fc.constant(''));
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (rows, trailing, cuts) => {
        const text = rows.map((row) => row.map((f) => `"${f.replace(/"/g, '""')}"`).join(',')).join('\n') + (trailing ? '\n' : '');
        const bytes = Buffer.from(text);
        const whole = digestInChunks(bytes, []);
        expect(whole.rows).toBe(rows.length - 1);
        expect(digestInChunks(bytes, cuts)).toEqual(whole);
      }),
    );
  });

  it('should unquote header fields', () => {
    expect(parseHeader('a,"b,c","d ""e""",\r')).toEqual(['a', 'b,c', 'd "e"', '']);
    expect(parseHeader('')).toEqual([]);
  });
});
