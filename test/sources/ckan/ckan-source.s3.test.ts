import { describe, expect, it } from 'vitest';
import { readManifest, visibleFiles } from '../../../src/lake/catalog.ts';
import type { Sidecar } from '../../../src/sources/ckan/lake-file.ts';
import { startCkanEmulator } from '../../../src/sources/emulators/ckan-server.ts';
import { CURRENT, CURRENT_ID, LEGACY, PRE_2023, SNAPSHOT_CRLF, harness, sha256Bytes, sha256File, today } from './ckan-fixture.ts';
import { testBucket } from '../../support/s3.ts';

const { open } = await testBucket('ckan');
const signal = new AbortController().signal;
const DATASET = 'apartment-building-evaluation';

describe('CKAN source on MinIO', () => {
  const lakePromise = open();


  it('should bring all four Toronto files into the bucket byte for byte, resume a cut one, and skip them all on the next poll', async () => {
    const lake = await lakePromise;
    const files = [
      { id: CURRENT_ID, name: 'Apartment Building Evaluations 2023 - current', file: CURRENT, rows: 5_340 },
      { id: 'b1f6c0e2-2f3a-4d5b-8c7d-9e0f1a2b3c4d', name: 'Apartment Building Evaluations 2017 - 2023', file: PRE_2023, rows: 11_760 },
      { id: 'c2a7d1f3-3a4b-4e6c-9d8e-0f1a2b3c4d5e', name: 'Apartment Building Evaluation (legacy)', file: LEGACY, rows: 11_753 },
      { id: 'd3b8e2a4-4b5c-4f7d-8e9f-1a2b3c4d5e6f', name: 'Apartment Building Evaluations 2023 - current (2025-04 snapshot)', file: SNAPSHOT_CRLF, rows: 3_572 },
    ];
    const ckan = await startCkanEmulator({ packageName: DATASET, resources: files.map(({ rows: _rows, ...r }) => ({ ...r, hash: 'sha256' as const })) });
    try {
      const h = await harness(ckan, lake, DATASET);
      ckan.inject({ on: 'download', resourceId: CURRENT_ID, fault: { kind: 'cut', afterBytes: 1_000_000 }, times: 1 });

      const started = performance.now();
      expect(await h.source().poll(signal)).toEqual({ emitted: 4, skipped: 0, rejected: 0, done: true });
      const seconds = (performance.now() - started) / 1000;

      const manifest = await readManifest(lake, 'raw', DATASET);
      const visible = visibleFiles(manifest);
      expect(visible).toHaveLength(4);
      for (const file of files) {
        const entry = visible.find((v) => v.key.startsWith(`raw/${DATASET}/dt=${today()}/`) && v.rows === file.rows);
        expect(entry, file.name).toBeDefined();
        const key = entry?.key ?? '';
        expect(sha256Bytes(await lake.getBytes(key))).toBe(await sha256File(file.file));
        const sidecar = JSON.parse((await lake.getBytes(`${key}.meta.json`)).toString('utf8')) as Sidecar;
        expect(sidecar.resource.id).toBe(file.id);
        expect(sidecar.download.sha256).toBe(await sha256File(file.file));
      }
      const resumed = ckan.requests.filter((r) => r.resourceId === CURRENT_ID);
      expect(resumed.map((r) => r.status)).toEqual([200, 206]);
      const totalBytes = visible.reduce((n, f) => n + f.bytes, 0);
      process.stdout.write(`ckan → MinIO: ${totalBytes} bytes in ${seconds.toFixed(2)} s (${(totalBytes / 1e6 / seconds).toFixed(1)} MB/s), one cut resumed\n`);

      ckan.requests.length = 0;
      expect(await h.source().poll(signal)).toMatchObject({ emitted: 0, skipped: 4 });
      expect(ckan.requests.map((r) => r.path)).toEqual(['/api/3/action/package_show']);
    } finally {
      await ckan.close();
    }
  });
});
