import { describe, expect, it } from 'vitest';
import { csvEncodingProblem, firstCsvRecord } from '../../src/lake/csv-header.ts';

describe('csvEncodingProblem', () => {
  it('should name UTF-16 LE and BE by their byte order marks and say how to convert', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
    expect(csvEncodingProblem(le)).toMatch(/^the file is UTF-16 LE .*must be UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8$/);
    const be = Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00, 0x2c, 0x00, 0x62]);
    expect(csvEncodingProblem(be)).toMatch(/^the file is UTF-16 BE/);
  });

  it('should notice UTF-16 without a byte order mark by its NUL bytes', () => {
    expect(csvEncodingProblem(Buffer.from('id,name\n1,x\n', 'utf16le'))).toMatch(/NUL bytes/);
  });

  it('should accept UTF-8, with or without its byte order mark', () => {
    expect(csvEncodingProblem(Buffer.from('\uFEFFid,nom\n1,é\n', 'utf8'))).toBeUndefined();
    expect(csvEncodingProblem(Buffer.from('id,name\n', 'utf8'))).toBeUndefined();
  });
});

describe('firstCsvRecord', () => {
  it('should split a quoted header with escapes and drop a UTF-8 byte order mark', () => {
    expect(firstCsvRecord('\uFEFF"a ""x""",b,"c,d"\r\nrest')).toEqual({ fields: ['a "x"', 'b', 'c,d'], complete: true });
  });
});
