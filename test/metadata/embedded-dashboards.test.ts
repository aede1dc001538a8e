import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedDashboardStore } from '../../src/metadata/embedded/embedded-dashboards.ts';
import { openEmbeddedMetadataStore } from '../../src/metadata/embedded/embedded-metadata.ts';
import { tempDir } from '../support/cli.ts';
import { describeDashboardContract } from './dashboard-contract.ts';

let n = 0;
const dir = await mkdtemp(path.join(tmpdir(), 'tributary-dashboards-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
describeDashboardContract('embedded', () => openEmbeddedDashboardStore({ file: path.join(dir, `d${n++}.sqlite`) }));

describe('embedded dashboard store', () => {
  it('should keep dashboards across a reopen, in the same file as the batch runs', async () => {
    const file = path.join(await tempDir(), 'metadata.sqlite');
    const runs = await openEmbeddedMetadataStore({ file });
    const store = await openEmbeddedDashboardStore({ file });
    await store.save({ name: 'kept', title: 'Kept', charts: [{ title: 'n', sql: 'SELECT 1 AS n', kind: 'number' }] });
    await store.close();
    const again = await openEmbeddedDashboardStore({ file });
    expect(await again.get('kept')).toMatchObject({ title: 'Kept', charts: [{ title: 'n', sql: 'SELECT 1 AS n', kind: 'number' }] });
    await again.close();
    await runs.close();
  });
});
