import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvHeader } from '../../src/batch/inputs.ts';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';

describe('readCsvHeader', () => {
  it('should refuse a UTF-16 file with BATCH_INPUT_INVALID naming the file and the encoding, not as a column mismatch', async () => {
    const root = await tempDir();
    const file = 'raw/evaluations/dt=2026-12-01/evaluations-utf16.csv';
    await writeFileIn(root, file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('_id,RSN,YEAR REGISTERED\r\n1,4155,2018\r\n', 'utf16le')]));
    const lake = await openFsLake({ root });
    const error = await rejection(readCsvHeader(lake, file)).finally(() => lake.close());
    expect(error.code).toBe('BATCH_INPUT_INVALID');
    expect(error.message).toBe(`${file}: the file is UTF-16 LE (it starts with that byte order mark); CSV input must be UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8`);
  });

  it('should read the header of the same file in UTF-8', async () => {
    const root = await tempDir();
    const file = 'raw/evaluations/dt=2026-12-01/evaluations-utf8.csv';
    await writeFileIn(root, file, '_id,RSN,YEAR REGISTERED\r\n1,4155,2018\r\n');
    const lake = await openFsLake({ root });
    expect(await readCsvHeader(lake, file).finally(() => lake.close())).toEqual(['_id', 'RSN', 'YEAR REGISTERED']);
  });
});

async function writeFileIn(root: string, key: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(path.join(root, key)), { recursive: true });
  await writeFile(path.join(root, key), content);
}
