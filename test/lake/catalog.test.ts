import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openFsLake } from '../../src/lake/fs/fs-lake.ts';
import { describeCatalogContract } from './catalog-contract.ts';

/** One lake directory for the file; each test works on a dataset of its own inside it. */
const root = await mkdtemp(path.join(tmpdir(), 'tributary-catalog-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describeCatalogContract('fs', () => openFsLake({ root }));
