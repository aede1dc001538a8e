import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvHeader } from '../../src/batch/inputs.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';

describe('readCsvHeader', () => {
  it('should refuse a UTF-16 file with BATCH_INPUT_INVALID naming the file and the encoding, not as a column mismatch', async () => {
    const file = path.join(await tempDir(), 'evaluations-utf16.csv');
    await writeFile(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('_id,RSN,YEAR REGISTERED\r\n1,4155,2018\r\n', 'utf16le')]));
    const error = await rejection(readCsvHeader(file));
    expect(error.code).toBe('BATCH_INPUT_INVALID');
    expect(error.message).toBe(`${file}: the file is UTF-16 LE (it starts with that byte order mark); CSV input must be UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8`);
  });

  it('should read the header of the same file in UTF-8', async () => {
    const file = path.join(await tempDir(), 'evaluations-utf8.csv');
    await writeFile(file, '_id,RSN,YEAR REGISTERED\r\n1,4155,2018\r\n');
    expect(await readCsvHeader(file)).toEqual(['_id', 'RSN', 'YEAR REGISTERED']);
  });
});
