import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedMetadataStore } from '../../src/metadata/embedded/embedded-metadata.ts';
import { tempDir } from '../support/cli.ts';
import { describeMetadataContract } from './metadata-contract.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'tributary-metadata-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
let n = 0;
describeMetadataContract('embedded', () => openEmbeddedMetadataStore({ file: path.join(dir, `m${n++}.sqlite`) }));

describe('embedded metadata store', () => {
  it('should keep runs across a reopen of the file', async () => {
    const file = path.join(await tempDir(), 'metadata.sqlite');
    const store = await openEmbeddedMetadataStore({ file });
    await store.startRun({ job: 'j', runId: 'r1', unit: 'dt=2026-01-02', started: new Date(5) });
    await store.finishRun('r1', { status: 'succeeded', finished: new Date(9), counts: { read: 3, written: 2, quarantined: 1, filtered: 0, files: 1 } });
    await store.close();
    const again = await openEmbeddedMetadataStore({ file });
    expect((await again.runs('j'))[0]?.status).toBe('succeeded');
    expect((await again.runs('j'))[0]?.counts).toEqual({ read: 3, written: 2, quarantined: 1, filtered: 0, files: 1 });
    await again.close();
  });
});
