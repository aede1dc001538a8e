/**
 * The Runs page reads runs a page at a time (`GET /api/runs?limit&offset`): with 10,000 runs in the
 * embedded run store, every page comes back quickly, newest first, and the pages together hold
 * each run exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedRunStore } from '../../src/metadata/embedded/embedded-run-store.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'tributary-run-pages-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const RUNS = 10_000;
const PAGE = 120;

describe('runs paged from the embedded run store', () => {
  it('should page 10,000 runs newest first, each run on exactly one page, each page quickly', async () => {
    const store = await openEmbeddedRunStore({ file: path.join(dir, 'metadata.sqlite') });
    try {
      const base = Date.UTC(2026, 0, 1);
      await store.createRuns(
        Array.from({ length: RUNS }, (_, i) => ({
          runId: `r${String(i).padStart(5, '0')}`,
          graph: `g${i % 4}`,
          key: `logical:${new Date(base + i * 60_000).toISOString()}`,
          trigger: 'schedule' as const,
          logicalDate: new Date(base + i * 60_000),
          params: {},
          created: new Date(base + i * 60_000),
          tasks: [{ taskId: 't', upstream: [] }],
        })),
      );
      const seen = new Set<string>();
      let slowest = 0;
      let last = Number.POSITIVE_INFINITY;
      let pages = 0;
      for (let offset = 0; ; offset += PAGE) {
        const started = performance.now();
        const page = await store.listRuns({ limit: PAGE, offset });
        slowest = Math.max(slowest, performance.now() - started);
        if (page.length === 0) break;
        pages++;
        for (const r of page) {
          expect(r.created.getTime()).toBeLessThan(last);
          last = r.created.getTime();
          seen.add(r.runId);
        }
      }
      expect(pages).toBe(Math.ceil(RUNS / PAGE));
      expect(seen.size).toBe(RUNS);
      // Generous for a loaded 2-core machine; the figure measured goes in docs/ui.md.
      expect(slowest).toBeLessThan(1000);
      process.stdout.write(`runs paged: ${pages} pages of ${PAGE}, slowest page ${slowest.toFixed(1)} ms\n`);
    } finally {
      await store.close();
    }
  });
});
