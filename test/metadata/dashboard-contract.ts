/** What every saved-dashboard store does, run against each backend. */
import { describe, expect, it } from 'vitest';
import type { DashboardStore } from '../../src/metadata/dashboard-store.ts';

const chart = { title: 'Pins per category', sql: 'SELECT category, count(*) AS pins FROM lake.processed.pins GROUP BY 1', kind: 'bar' as const, x: 'category', y: 'pins' };

export function describeDashboardContract(name: string, open: () => Promise<DashboardStore>): void {
  describe(`${name} dashboard store`, () => {
    it('should save, list, replace and remove dashboards, keeping charts as they went in', async () => {
      const store = await open();
      try {
        const saved = await store.save({ name: 'pins', title: 'Pins', charts: [chart] }, new Date(1_700_000_000_123));
        expect(saved.updated.getTime()).toBe(1_700_000_000_123);
        await store.save({ name: 'apartments', title: 'Apartments', charts: [] });
        expect((await store.list()).map((d) => d.name)).toEqual(['apartments', 'pins']);
        expect(await store.get('pins')).toEqual({ name: 'pins', title: 'Pins', charts: [chart], updated: new Date(1_700_000_000_123) });
        const second = { title: 'Total', sql: 'SELECT count(*) AS n FROM lake.processed.pins', kind: 'number' as const };
        await store.save({ name: 'pins', title: 'Pins, again', charts: [chart, second] });
        expect(await store.get('pins')).toMatchObject({ title: 'Pins, again', charts: [chart, second] });
        expect(await store.list()).toHaveLength(2);
        expect(await store.remove('pins')).toBe(true);
        expect(await store.remove('pins')).toBe(false);
        expect(await store.get('pins')).toBeUndefined();
        expect((await store.list()).map((d) => d.name)).toEqual(['apartments']);
      } finally {
        await store.close();
      }
    });

    it('should refuse a bad name or chart with DASHBOARD_INVALID naming where, and a call after close', async () => {
      const store = await open();
      await expect(store.save({ name: '../x', title: 'X', charts: [] })).rejects.toMatchObject({ code: 'DASHBOARD_INVALID', message: expect.stringContaining('name:') as unknown });
      await expect(store.save({ name: 'x', title: 'X', charts: [{ ...chart, kind: 'donut' as 'bar' }] })).rejects.toMatchObject({ code: 'DASHBOARD_INVALID', message: expect.stringContaining('charts.0.kind') as unknown });
      expect(await store.get('x')).toBeUndefined();
      await store.close();
      await expect(store.list()).rejects.toMatchObject({ code: 'METADATA_CLOSED' });
    });
  });
}
