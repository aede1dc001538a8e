/** The dashboards' routes on a real embedded store: declared and saved ones listed, a bad body refused naming the field, a missing one 404, the store closed with the server. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { createLogger } from '../../../src/logger.ts';
import type { DashboardStore } from '../../../src/metadata/dashboard-store.ts';
import { openEmbeddedDashboardStore } from '../../../src/metadata/embedded/embedded-dashboards.ts';
import { dashboardRoutes } from '../../../src/serve/api/dashboard-routes.ts';
import { createServer, serverPlugin } from '../../../src/serve/server.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'tributary-dashboard-routes-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const declared = [{ pipeline: 'pinterest', name: 'pins', title: 'Pins', charts: [{ title: 'n', sql: 'SELECT 1 AS n', kind: 'number' as const }] }];

describe('dashboard routes', () => {
  it('should list, save, refuse, delete, and close the store with the server', async () => {
    let opened: DashboardStore | undefined;
    const app = createServer({
      server: configSchema.parse({}).server,
      logger: await createLogger({ level: 'silent' }),
      plugins: [serverPlugin(dashboardRoutes, { declared: () => declared, open: async () => (opened = await openEmbeddedDashboardStore({ file: path.join(dir, 'metadata.sqlite') })) })],
    });
    await app.ready();
    expect((await app.inject({ url: '/api/ui/dashboards' })).json()).toEqual({ declared, saved: [] });
    const chart = { title: 'Total', sql: 'SELECT count(*) AS n FROM lake.processed.pins', kind: 'number' };
    const put = await app.inject({ method: 'PUT', url: '/api/ui/dashboards/mine', payload: { title: 'Mine', charts: [chart] } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ name: 'mine', title: 'Mine', charts: [chart] });
    const bad = await app.inject({ method: 'PUT', url: '/api/ui/dashboards/mine', payload: { title: 'Mine', charts: [{ ...chart, sql: '' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'DASHBOARD_INVALID', message: expect.stringContaining('charts.0.sql') as unknown });
    expect((await app.inject({ url: '/api/ui/dashboards' })).json<{ saved: Array<{ name: string; charts: unknown[] }> }>().saved).toMatchObject([{ name: 'mine', charts: [chart] }]);
    expect((await app.inject({ method: 'DELETE', url: '/api/ui/dashboards/mine' })).json()).toEqual({ name: 'mine', deleted: true });
    const gone = await app.inject({ method: 'DELETE', url: '/api/ui/dashboards/mine' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: 'DASHBOARD_NOT_FOUND' });
    await app.close();
    await expect(opened!.list()).rejects.toMatchObject({ code: 'METADATA_CLOSED' });
  });
});
