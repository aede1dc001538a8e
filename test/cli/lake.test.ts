import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import { cli, tempDir } from '../support/cli.ts';
import { archiveSample } from './lake-fixture.ts';

async function sampleLake() {
  const dir = await tempDir();
  const lake = await openFsLake({ root: path.join(dir, 'lake') });
  const hours = await archiveSample(lake, path.join(dir, 'log'));
  await lake.close();
  return { dir, hours };
}

describe('tributary lake ls', () => {
  it('should list datasets with versions, files, rows and sizes from the catalog', async () => {
    const { dir } = await sampleLake();
    const all = await cli(['--data-dir', dir, 'lake', 'ls']);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^dataset\s+version\s+partitions\s+files\s+rows\s+size\n/);
    expect(all.stdout).toMatch(/raw\/pins\s+\d+\s+2\s+\d+\s+300\s+\d+\.\d KiB\n/);
    const json = await cli(['--data-dir', dir, 'lake', 'ls', 'raw', '--json']);
    const [entry] = JSON.parse(json.stdout) as { zone: string; dataset: string; rows: number; partitions: number; bytes: number }[];
    expect(entry).toMatchObject({ zone: 'raw', dataset: 'pins', rows: 300, partitions: 2 });
    expect(entry!.bytes).toBeGreaterThan(0);
    expect((await cli(['--data-dir', dir, 'lake', 'ls', 'curated'])).stdout).toBe('no datasets in curated\n');
  });

  it('should list a dataset\'s partitions and a partition\'s files', async () => {
    const { dir, hours } = await sampleLake();
    const dataset = await cli(['--data-dir', dir, 'lake', 'ls', 'raw/pins']);
    expect(dataset.code).toBe(0);
    expect(dataset.stdout).toContain('columns topic VARCHAR, partition INTEGER, offset BIGINT, timestamp TIMESTAMP, key VARCHAR, value VARCHAR, headers VARCHAR');
    for (const [hour, rows] of Object.entries(hours)) expect(dataset.stdout).toMatch(new RegExp(`${hour}\\s+\\d+\\s+${rows}\\s`));
    const files = await cli(['--data-dir', dir, 'lake', 'ls', 'raw/pins/dt=2026-11-21/hr=09', '--json']);
    const list = JSON.parse(files.stdout) as { key: string; rows: number }[];
    expect(list.reduce((n, f) => n + f.rows, 0)).toBe(150);
    expect(list.every((f) => f.key.startsWith('raw/pins/dt=2026-11-21/hr=09/part-p'))).toBe(true);
  });

  it('should name what is wrong with a bad path', async () => {
    const { dir } = await sampleLake();
    const zone = await cli(['--data-dir', dir, 'lake', 'ls', 'warm']);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toContain('LAKE_INVALID_KEY');
    const missing = await cli(['--data-dir', dir, 'lake', 'ls', 'raw/nothing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No dataset raw/nothing');
  });
});
