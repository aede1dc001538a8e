/** The first page's JavaScript stays within its budget: at most 300 KB gzipped (the build's manifest in dist/ui). */
import { describe, expect, it } from 'vitest';
import { bundleReport } from '../../bench/ui.ts';

describe('the web UI build', () => {
  it('should keep the initial JavaScript at most 300 KB gzipped, with the graph page loaded on demand', async () => {
    const report = await bundleReport();
    expect(report.initial.jsGzipBytes).toBeGreaterThan(10_000);
    expect(report.initial.jsGzipBytes).toBeLessThanOrEqual(300 * 1024);
    expect(report.lazy.map((c) => c.file)).toEqual(expect.arrayContaining([expect.stringMatching(/^assets\/graph-.*\.js$/)]));
  });
});
